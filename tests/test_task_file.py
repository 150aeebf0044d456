"""genba_task.json carries what scoring an export needs to match the run: prompt and max_tokens."""

import json

import numpy as np
import pytest

from app.cli import EXIT_USER_ERROR, main
from app.engine.data.examples import load_examples
from app.engine.errors import GenbaError
from app.engine.results.evaluation import open_scorer
from app.engine.run_files import EXPORT_DIR, TASK_FILE
from app.engine.tuning.tuner import tune
from tests.support import tiny_config, write_demo_csv

MAX_TOKENS = 14  # shorter than the demo prompts, so the cut changes what the model sees


@pytest.fixture(scope="module")
def export_with_short_texts(tiny_gguf, tmp_path_factory):
    base = tmp_path_factory.mktemp("short")
    data = write_demo_csv(base / "orders.csv")
    tune(tiny_config(tiny_gguf, data, base / "run", steps=2, max_tokens=MAX_TOKENS))
    return base / "run" / EXPORT_DIR / "model.onnx", data


def test_the_task_file_and_report_store_max_tokens(export_with_short_texts):
    model, _ = export_with_short_texts
    task = json.loads((model.parent / TASK_FILE).read_text(encoding="utf-8"))
    assert task["max_tokens"] == MAX_TOKENS
    # "output": the fitted head's class scores are what the run was scored with; "long_text" and
    # "keep_tokens": how a prompt over max_tokens was cut; "text_ids": how much of it the head's words read
    # (tests/test_long_text.py).
    assert set(task) == {
        "template",
        "labels",
        "label_words",
        "max_tokens",
        "long_text",
        "keep_tokens",
        "text_ids",
        "output",
    }
    report = json.loads((model.parent.parent / "report.json").read_text(encoding="utf-8"))
    assert report["prompt"] == task


def test_an_export_is_scored_with_the_max_tokens_it_was_tuned_with(export_with_short_texts):
    model, data = export_with_short_texts
    ds = load_examples(data)
    texts = [ex.text for ex in ds.examples[:6]]
    carried = open_scorer(model, ds.labels)
    assert carried.max_tokens == MAX_TOKENS
    as_tuned = open_scorer(model, ds.labels, max_tokens=MAX_TOKENS).label_logits(texts)
    uncut = open_scorer(model, ds.labels, max_tokens=128).label_logits(texts)
    assert not np.array_equal(as_tuned, uncut)  # the limit matters for these texts...
    np.testing.assert_array_equal(carried.label_logits(texts), as_tuned)  # ...and the export carries it


@pytest.mark.parametrize("bad", ["{not json", '{"template": "{text}"}', "max_tokens", "text_ids"])
def test_a_damaged_task_file_is_a_clear_error_naming_the_file(export_with_short_texts, tmp_path, capsys, bad):
    model, _ = export_with_short_texts
    folder = tmp_path / "copy"
    folder.mkdir()
    for f in model.parent.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    task = json.loads((folder / TASK_FILE).read_text(encoding="utf-8"))
    damaged = {"max_tokens": "fourteen", "text_ids": {"max_tokens": -1, "keep_tokens": [0, 0]}}
    if bad in damaged:
        bad = json.dumps(task | {bad: damaged[bad]})
    (folder / TASK_FILE).write_text(bad, encoding="utf-8")
    with pytest.raises(GenbaError) as err:
        open_scorer(folder / "model.onnx", ["bucket", "engine", "hydraulic"])
    assert TASK_FILE in err.value.en and TASK_FILE in err.value.ja
    assert (
        main(["--lang", "en", "predict", "--model", str(folder / "model.onnx"), "oil leak"])
        == EXIT_USER_ERROR
    )
    assert TASK_FILE in capsys.readouterr().err
