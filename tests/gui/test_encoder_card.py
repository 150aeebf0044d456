"""The Model page on a sentence encoder: named in plain words, and offered for tuning."""

from tests.tiny_encoder import write_encoder_folder


def test_the_model_page_offers_to_tune_a_sentence_encoder(window, qtbot, tmp_path):
    path = write_encoder_folder(tmp_path / "encoder")
    page = window.model_page
    with qtbot.waitSignal(page.model_checked, timeout=60_000):
        page.open_model(str(path))
    assert page.check.kind == "onnx-encoder" and page.check.can_tune
    assert page.card_fields["kind"][1].text() == "Sentence encoder (ONNX): becomes a classifier when tuned"
    assert page.error is None
