"""Texts longer than max_tokens: head+tail cutting, carried to the export so plain onnxruntime scores alike."""

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from app.engine.data.examples import load_examples
from app.engine.data.prompting import encode_examples, make_prompt_spec, prompt_ends, text_windows
from app.engine.data.tokenizer import load_tokenizer_json
from app.engine.models.catalog import ensure_converted, resolve_model
from app.engine.results.evaluation import open_scorer
from app.engine.run_files import EXPORT_DIR, TASK_FILE
from app.engine.tuning.head import class_head_of
from app.engine.tuning.run_heads import RunHeads
from app.engine.tuning.tuner import tune
from tests.support import WORDS, tiny_config

MAX_TOKENS = 48  # the tiny models' tokenizer is nearly byte-level: about one token per character
TEMPLATE = "N: {text}\n="


def write_long_csv(path, per_label: int = 12):
    """Notes whose label words come only at the end, after filler: truncation cuts them away."""
    rng = np.random.default_rng(1)
    lines = ["text,label"]
    for label, words in WORDS.items():
        for i in range(per_label):
            filler = " ".join(rng.choice(["the", "unit", "was", "seen", "today", "and"], size=20))
            lines.append(f"report {i} {filler} {' '.join(rng.choice(words, size=3))},{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tokenizer(tiny_gguf):
    return load_tokenizer_json(ensure_converted(resolve_model(str(tiny_gguf))) / "tokenizer.json")


class _Ex:
    def __init__(self, text, label="a"):
        self.text, self.label = text, label


def test_head_tail_keeps_the_prompt_start_and_end_and_truncation_keeps_the_start(tokenizer):
    spec = make_prompt_spec(["a", "b"], TEMPLATE)
    text = "start " + "middle " * 60 + "finish"
    whole = tokenizer.encode(spec.render(text)).ids
    head, tail = prompt_ends(tokenizer, spec, MAX_TOKENS)
    assert head + tail == MAX_TOKENS and head > 0 and tail > 0
    cut = encode_examples(tokenizer, spec, [_Ex(text)], MAX_TOKENS, "head_tail").ids[0]
    assert cut.tolist() == whole[:head] + whole[-tail:]
    truncated = encode_examples(tokenizer, spec, [_Ex(text)], MAX_TOKENS, "truncate").ids[0]
    assert len(truncated) <= MAX_TOKENS and "finish" not in tokenizer.decode(truncated.tolist())
    assert "finish" in tokenizer.decode(cut.tolist()) and "start" in tokenizer.decode(cut.tolist())
    # Both end with the template's question, where the answer is read.
    assert truncated[-2:].tolist() == cut[-2:].tolist() == whole[-2:]
    # A text that fits is encoded whole either way.
    short = encode_examples(tokenizer, spec, [_Ex("start finish")], MAX_TOKENS, "head_tail").ids[0]
    assert short.tolist() == tokenizer.encode(spec.render("start finish")).ids


def test_a_cut_prompt_is_kept_whole_for_the_words_up_to_their_own_limit(tokenizer):
    spec = make_prompt_spec(["a", "b"], TEMPLATE)
    long_text = "start " + "middle " * 60 + "finish"
    whole = tokenizer.encode(spec.render(long_text)).ids
    enc = encode_examples(tokenizer, spec, [_Ex(long_text), _Ex("short")], MAX_TOKENS, "head_tail")
    assert len(enc.ids[0]) == MAX_TOKENS and enc.word_ids is not None
    assert enc.words[0].tolist() == whole and enc.words[1].tolist() == enc.ids[1].tolist()
    batch = enc.word_batch([1, 0])  # right-padded with -1, as the exported graph's text_ids
    assert (
        batch.shape == (2, len(whole))
        and batch[1].tolist() == whole
        and (batch[0, len(enc.ids[1]) :] == -1).all()
    )
    # Over their own limit the words keep the prompt's head and tail too.
    capped = encode_examples(tokenizer, spec, [_Ex(long_text)], MAX_TOKENS, "truncate", words_max_tokens=100)
    head, tail = prompt_ends(tokenizer, spec, 100)
    assert capped.words[0].tolist() == whole[:head] + whole[-tail:]
    # Nothing cut: the words are the model's ids.
    assert encode_examples(tokenizer, spec, [_Ex("short")], MAX_TOKENS, "head_tail").word_ids is None


@pytest.mark.parametrize("whole_words", [True, False])
def test_the_heads_words_read_what_the_setting_says(tokenizer, whole_words):
    """A run's text blocks read each cut prompt whole (``whole_words``, the default) or as the model does
    (runs saved before), and the exported head says which (``ClassHead.text_ids``)."""
    spec = make_prompt_spec(["a", "b"], TEMPLATE)
    notes = [_Ex("start " + "middle " * 40 + "finish", "a"), _Ex("short", "b"), _Ex("other " * 30, "a")]
    enc = encode_examples(tokenizer, spec, notes * 2, MAX_TOKENS, "head_tail")
    heads = RunHeads(
        enc,
        np.arange(len(enc)),
        head_setting="auto",
        takes_head=True,
        pieces=lambda: None,
        cross_fit=False,
        seed=0,
        saved={},
        whole_words=whole_words,
    )
    read = enc.words if whole_words else enc.ids
    expected = heads.vocab.transform(read).toarray()
    assert np.array_equal(heads.blocks["ngrams"].toarray(), expected)
    assert not np.array_equal(
        heads.vocab.transform(enc.ids).toarray(), heads.vocab.transform(enc.words).toarray()
    )
    fit = heads.fit_words()
    widths = {name: m.shape[1] for name, m in heads.blocks.items()}
    assert (
        class_head_of(fit.widened(4), widths, heads.vocab, 1, None, heads.whole_words).text_ids == whole_words
    )


def test_text_windows_cover_the_text_in_order_each_inside_the_template(tokenizer):
    spec = make_prompt_spec(["a", "b"], TEMPLATE)
    text = " ".join(f"w{i}" for i in range(80))
    windows = text_windows(tokenizer, spec, text, MAX_TOKENS, max_windows=100)
    whole = tokenizer.encode(spec.render(text)).ids
    assert len(windows) > 2 and all(len(w) <= MAX_TOKENS for w in windows)
    assert windows[0][-2:].tolist() == whole[-2:] and windows[0][:2].tolist() == whole[:2]
    decoded = [tokenizer.decode(w.tolist()) for w in windows]
    assert all(d.startswith("N:") and d.endswith("\n=") for d in decoded)
    assert "w0" in decoded[0] and "w79" in decoded[-1] and "w79" not in decoded[0]
    assert len(text_windows(tokenizer, spec, text, MAX_TOKENS, max_windows=2)) == 2


@pytest.fixture(scope="module")
def head_tail_run(tiny_gguf, tmp_path_factory):
    base = tmp_path_factory.mktemp("longtext")
    data = write_long_csv(base / "notes.csv")
    config = tiny_config(
        tiny_gguf,
        data,
        base / "run",
        steps=10,
        max_tokens=MAX_TOKENS,
        long_text="head_tail",
        template=TEMPLATE,
    )
    report = tune(config).report
    return config, report, data


def test_the_task_file_says_how_long_texts_were_cut(head_tail_run, tokenizer):
    config, report, _ = head_tail_run
    task = json.loads((Path(config.out_dir) / EXPORT_DIR / TASK_FILE).read_text(encoding="utf-8"))
    assert task["long_text"] == "head_tail" and task["max_tokens"] == MAX_TOKENS
    spec = make_prompt_spec(
        task["labels"], task["template"], dict(zip(task["labels"], task["label_words"], strict=True))
    )
    assert task["keep_tokens"] == list(prompt_ends(tokenizer, spec, MAX_TOKENS))
    assert report["prompt"] == task


def test_plain_onnxruntime_with_the_task_file_reproduces_the_test_accuracy(head_tail_run):
    config, report, data = head_tail_run
    folder = Path(report["exported_model"]).parent
    task = json.loads((folder / TASK_FILE).read_text(encoding="utf-8"))
    tokenizer = load_tokenizer_json(folder / "tokenizer.json")
    sess = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    ds = load_examples(data)
    test = config.split(ds.examples).test
    head, tail = task["keep_tokens"]
    # The head's words read the whole prompt, an optional input of the graph (its two inputs are as before).
    assert [i.name for i in sess.get_inputs()] == ["input_ids", "attention_mask"]
    assert [i.name for i in sess.get_overridable_initializers()] == ["text_ids"]
    assert task["text_ids"]["max_tokens"] >= max(len(tokenizer.encode(ex.text).ids) for ex in test)
    choices = ", ".join(task["label_words"])
    correct = 0
    cut_any = words_read = False
    for ex in test:  # what a caller does with nothing of ours: render, tokenize, cut, run, argmax
        prompt = task["template"].replace("{choices}", choices).replace("{text}", ex.text)
        whole = ids = tokenizer.encode(prompt).ids
        feeds = {}
        if len(ids) > task["max_tokens"]:
            ids, cut_any = ids[:head] + ids[-tail:], True
            feeds["text_ids"] = np.array([whole], dtype=np.int64)
        feeds |= {
            "input_ids": np.array([ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(ids)), np.int64),
        }
        scores = sess.run([task["output"]], feeds)[0][0]
        correct += task["labels"][int(scores.argmax())] == ex.label
        if "text_ids" in feeds:  # without them the graph reads the cut ids' words: other scores
            del feeds["text_ids"]
            words_read |= not np.allclose(sess.run([task["output"]], feeds)[0][0], scores, atol=1e-4)
    assert cut_any and words_read  # the cut and the whole prompt's words were exercised
    assert correct / len(test) == pytest.approx(report["test_accuracy_after"])
    # The engine's own scorer reads the same file and agrees.
    assert open_scorer(report["exported_model"], ds.labels).evaluate(test).accuracy == pytest.approx(
        report["test_accuracy_after"]
    )
