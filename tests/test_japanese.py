"""Japanese out of the box: label words that start alike, the language-picked model and template, the demo."""

import json
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from app.engine.data.examples import load_examples
from app.engine.data.prompting import (
    DEFAULT_TEMPLATE,
    DEFAULT_TEMPLATE_JA,
    JAPANESE_SHARE,
    default_template,
    encode_examples,
    japanese_share,
    label_token_ids,
    make_prompt_spec,
)
from app.engine.errors import GenbaError
from app.engine.events import EvalEvent
from app.engine.models.catalog import (
    AUTO_MODEL,
    DEFAULT_MODEL,
    ensure_converted,
    pick_builtin,
    resolve_model,
)
from app.engine.models.gemma_builtin import GEMMA_BUILTIN
from app.engine.models.llama_graph import build_causal_lm
from app.engine.models.llama_model import LlamaModel
from app.engine.results.evaluation import LlamaScorer, open_scorer
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.tuner import tune
from tests.support import tiny_config

ROOT = Path(__file__).resolve().parents[1]
JA_DEMO = ROOT / "resources" / "demo" / "factory_work_orders_ja.csv"


@pytest.fixture(scope="module")
def model(tiny_gguf):
    return LlamaModel.open(ensure_converted(resolve_model(tiny_gguf)), threads=1)


def _examples(texts, label):
    return [type("Ex", (), {"text": t, "label": label})() for t in texts]


# --- language -------------------------------------------------------------------------------------------
def test_japanese_share_counts_kana_and_kanji_among_non_space_characters():
    assert japanese_share(["油漏れ", "ポンプ"]) == 1.0
    assert japanese_share(["pump leak"]) == 0.0
    assert japanese_share(["ab", "油"]) == pytest.approx(1 / 3)
    assert japanese_share([]) == 0.0
    # Shop text mixing part numbers with Japanese is still Japanese; one kanji in English text is not.
    assert japanese_share(["P-101 ポンプ異音"]) >= JAPANESE_SHARE
    assert japanese_share(["L/H BUCKET CYL LEAKING 油"]) < JAPANESE_SHARE


def test_japanese_examples_pick_gemma_and_the_japanese_template():
    ja, en = ["油圧ホースから漏れ"], ["hydraulic hose leaking"]
    assert pick_builtin(ja) == GEMMA_BUILTIN and pick_builtin(en) == DEFAULT_MODEL
    assert default_template(ja) == DEFAULT_TEMPLATE_JA and default_template(en) == DEFAULT_TEMPLATE
    cfg = TuneConfig(data="x.csv", out_dir="out", model=AUTO_MODEL)
    assert cfg.for_examples(ja).model == GEMMA_BUILTIN and cfg.for_examples(en).model == DEFAULT_MODEL
    assert cfg.prompt_template(ja) == DEFAULT_TEMPLATE_JA and cfg.prompt_template(en) == DEFAULT_TEMPLATE
    # A model or template the user named is kept.
    named = cfg.with_(model="my.gguf", template="{text} ->")
    assert named.for_examples(ja).model == "my.gguf" and named.prompt_template(ja) == "{text} ->"


def test_auto_without_examples_is_a_clear_error():
    with pytest.raises(GenbaError) as err:
        resolve_model(AUTO_MODEL)
    assert "auto" in err.value.en and "auto" in err.value.ja


def test_identical_label_words_are_refused_in_both_languages():
    with pytest.raises(GenbaError) as err:
        make_prompt_spec(["a", "b"], label_words={"a": "漏れ", "b": "漏れ"})
    assert "漏れ" in err.value.en and "漏れ" in err.value.ja


# --- label words that start with the same token ------------------------------------------------------
def test_demo_labels_collide_in_the_tiny_byte_tokenizer_and_are_kept_whole(model):
    tok = model.tokenizer()
    data = load_examples(JA_DEMO)
    spec = make_prompt_spec(data.labels, DEFAULT_TEMPLATE_JA)
    with pytest.raises(GenbaError, match="start with the same token"):
        label_token_ids(tok, spec)  # a first-token read-out cannot tell them apart
    enc = encode_examples(tok, spec, data.examples, distinct_first_tokens=False)
    assert enc.whole_labels
    words = [tok.decode(t.tolist()) for t in enc.label_tokens]
    assert words == list(spec.label_words)  # every token of each word, no space before Japanese
    assert [int(t[0]) for t in enc.label_tokens] == enc.label_token_ids.tolist()


def test_distinct_first_tokens_keep_the_first_token_readout(model):
    spec = make_prompt_spec(["neg", "pos"], label_words={"neg": "bad", "pos": "good"})
    enc = encode_examples(model.tokenizer(), spec, _examples(["pump leak"], "neg"))
    assert not enc.whole_labels and enc.label_tokens == ()


def test_label_continuation_is_the_full_models_log_probability_of_the_later_tokens(model, tmp_path):
    tok = model.tokenizer()
    spec = make_prompt_spec(["a", "b"], label_words={"a": "hose1", "b": "hose22"})
    texts = ["engine oil leak", "bucket pin", "pump hose"]
    enc = encode_examples(tok, spec, _examples(texts, "a"), distinct_first_tokens=False)
    assert enc.whole_labels and [len(t) for t in enc.label_tokens] == [2, 3]
    got = model.label_continuation(enc)
    # Reference: the causal LM's log-softmax over the whole vocabulary at each later label position.
    path = tmp_path / "lm.onnx"
    path.write_bytes(build_causal_lm(model.cfg, model.store).SerializeToString())
    shutil.copy(model.folder / "weights.bin", tmp_path / "weights.bin")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n, ids in enumerate(enc.ids):
        for c, tokens in enumerate(enc.label_tokens):
            full = np.concatenate([ids, tokens])[None]
            logits = sess.run(["logits"], {"input_ids": full, "attention_mask": np.ones_like(full)})[0][0]
            top = logits.max(-1, keepdims=True)
            logp = logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))
            answer = len(ids) - 1
            want = sum(logp[answer + j, tokens[j]] for j in range(1, len(tokens)))
            assert got[n, c] == pytest.approx(want, abs=1e-4)


def test_base_model_scores_colliding_words_by_the_whole_word(model):
    """Zero-shot on two words sharing their first token: the later tokens decide, not a tie."""
    spec = make_prompt_spec(["a", "b"], label_words={"a": "hose1", "b": "hose22"})
    texts = ["engine oil leak", "bucket pin", "pump hose"]
    scorer = LlamaScorer(model, spec)
    logits = scorer.label_logits(texts)
    enc = encode_examples(model.tokenizer(), spec, _examples(texts, "a"), distinct_first_tokens=False)
    first = logits - model.label_continuation(enc)
    np.testing.assert_allclose(first[:, 0], first[:, 1], rtol=1e-5, atol=1e-5)  # same first token
    assert not np.allclose(logits[:, 0], logits[:, 1])


# --- whole runs -------------------------------------------------------------------------------------------
def test_cp932_japanese_demo_tunes_without_label_word_edits_and_the_export_agrees(tiny_gguf, tmp_path):
    events = []
    config = tiny_config(tiny_gguf, JA_DEMO, tmp_path / "run", steps=10, eval_every=5)
    report = tune(config, events.append).report
    assert report["prompt"]["label_words"] == report["labels"] == ["損傷", "摩耗", "漏れ", "異音", "電装"]
    assert report["prompt"]["template"] == DEFAULT_TEMPLATE_JA  # Japanese examples: Japanese prompt
    # Whole-word zero-shot scores have no export: the fitted models (words first, then the head) are the start.
    evals = [e for e in events if isinstance(e, EvalEvent)]
    assert [e.model for e in evals][:3] == ["words", "zero-shot", "head"]
    assert evals[0].is_best and not evals[1].is_best and report["readout"] in ("words", "head")
    ds = load_examples(JA_DEMO)
    exported = open_scorer(report["exported_model"], ds.labels).evaluate(config.split(ds.examples).test)
    assert exported.accuracy == pytest.approx(report["test_accuracy_after"])
    task = json.loads((Path(report["exported_model"]).parent / "genba_task.json").read_text(encoding="utf-8"))
    assert task["labels"] == report["labels"]


def test_label_word_readout_refuses_words_that_start_alike_in_both_languages(tiny_gguf, tmp_path):
    config = tiny_config(tiny_gguf, JA_DEMO, tmp_path / "run", steps=2, head="none")
    with pytest.raises(GenbaError) as err:
        tune(config)
    assert "--head" in err.value.en and "--head" in err.value.ja
    assert err.value.field == "head"


def test_demo_file_is_cp932_with_japanese_columns_and_fifty_rows():
    raw = JA_DEMO.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    data = load_examples(JA_DEMO)
    assert data.text_column == "作業内容" and data.label_column == "分類"
    assert len(data.examples) == 50 and set(data.counts().values()) == {10}
    assert japanese_share(ex.text for ex in data.examples) > 0.8
    assert pick_builtin([ex.text for ex in data.examples]) == GEMMA_BUILTIN
    assert "factory_work_orders_ja.csv" in (ROOT / "resources" / "demo" / "SOURCE.md").read_text(
        encoding="utf-8"
    )


def test_weights_read_through_the_file_equal_the_mapped_ones(model):
    store = model.store
    for name in store.index:
        read, mapped = store.read(name), store.array(name)
        assert read.dtype == mapped.dtype and read.shape == mapped.shape
        assert read.tobytes() == mapped.tobytes()
        assert not isinstance(read, np.memmap)
