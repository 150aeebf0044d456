"""The exact head, its n-gram features and their export: maths checked against independent computations."""

from dataclasses import replace

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import scipy.sparse as sp
from onnx import TensorProto, helper

from app.engine.data.keyword_model import keyword_baseline
from app.engine.data.ngrams import fit_char_grams, fit_vocabulary, piece_text
from app.engine.data.prompting import EncodedExamples
from app.engine.models.adapters import AdapterConfig
from app.engine.models.catalog import ensure_converted, resolve_model
from app.engine.models.llama_config import ClassHead
from app.engine.models.llama_graph import build_causal_lm
from app.engine.models.llama_model import LlamaModel, Readout, SuffixObjective
from app.engine.tuning import head as head_mod
from app.engine.tuning.head import HeadFit, class_head_of, fit_head, refit_head, stack


def blobs(n_per_class: int = 40, classes: int = 3, dim: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (classes, dim))
    y = np.repeat(np.arange(classes), n_per_class)
    return (centres[y] + rng.normal(0, 1, (len(y), dim))).astype(np.float32), y


def test_objective_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    h, y = blobs(6, 3, 5)
    x = sp.random(len(y), 7, density=0.4, random_state=2, format="csr")
    v0 = rng.normal(size=(3, 5))
    shapes = (3, 5, 7)
    theta = rng.normal(size=3 * 5 + 3 * 7 + 3)
    onehot = np.eye(3)[y]
    _, grad = head_mod._objective(theta, h.astype(np.float64), x, onehot, v0, 0.3, shapes)
    numeric = np.zeros_like(theta)
    for i in range(len(theta)):
        d = np.zeros_like(theta)
        d[i] = 1e-6
        plus = head_mod._objective(theta + d, h.astype(np.float64), x, onehot, v0, 0.3, shapes)[0]
        minus = head_mod._objective(theta - d, h.astype(np.float64), x, onehot, v0, 0.3, shapes)[0]
        numeric[i] = (plus - minus) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_head_learns_what_the_start_gets_wrong_and_reproduces_its_scores():
    h, y = blobs()
    start = -np.eye(3, 12, dtype=np.float32)  # a start that points away from every class
    fit, options = fit_head(h, y, start, seed=0)
    assert fit.cv_accuracy > 0.9 and (fit.logits(h, None).argmax(1) == y).mean() > 0.95
    assert [(o["features"], o["lam"], o["weight"]) for o in options] == [
        ("llm", fit.lam, round(fit.llm_weight, 4))
    ]
    # What the loss graph computes from head() and offsets() is what logits() says.
    readout = h @ fit.head().T + fit.offsets(None, len(h))
    np.testing.assert_allclose(readout, fit.logits(h, None), rtol=1e-4, atol=1e-4)
    again = HeadFit.from_arrays(fit.to_arrays())
    np.testing.assert_array_equal(again.head(), fit.head())


def text_task(n_per_class: int = 20, seed: int = 5):
    """LLM features that are noise and an n-gram block that names the class: only the text part can learn."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_class)
    h = rng.normal(size=(len(y), 12)).astype(np.float32)
    words = np.zeros((len(y), 9))
    words[np.arange(len(y)), 3 * y + rng.integers(0, 3, len(y))] = 2.0  # one of three words per class, twice
    words[np.arange(len(y)), rng.integers(0, 9, len(y))] += 1.0  # and one word of any class
    x = words / np.linalg.norm(words, axis=1, keepdims=True)
    return h, y, sp.csr_matrix(x)


def test_text_blocks_are_a_part_of_their_own_kept_when_refitting_and_cross_fitted_per_fold():
    h, y, x = text_task()
    start = np.zeros((3, 12), np.float32)
    fit, options = fit_head(h, y, start, {"ngrams": x}, seed=0)
    (part,) = fit.parts
    assert fit.blocks == part.blocks == ("ngrams",) and part.columns == x.shape[1] and part.weight > 0
    assert [o["features"] for o in options] == ["llm", "ngrams"]
    assert fit.cv_accuracy > 0.9 and (fit.logits(h, x).argmax(1) == y).mean() > 0.9
    # The noise features weigh less than the words that name the class.
    assert fit.llm_weight < part.weight
    again = HeadFit.from_arrays(fit.to_arrays())
    assert again.parts == fit.parts and again.llm_weight == fit.llm_weight
    np.testing.assert_array_equal(again.biases, fit.biases)
    # The adapters moved the features: the first part follows them, the text part (which reads nothing they
    # move) stays exactly as it was.
    moved = np.random.default_rng(9).normal(size=h.shape).astype(np.float32)
    refitted = refit_head(fit, moved, y, start, x)
    np.testing.assert_array_equal(refitted.u, fit.u)
    assert (refitted.logits(moved, x).argmax(1) == y).mean() > 0.9
    # A fold's head never saw its fold: its text part is refitted without those rows too.
    folds = head_mod.fold_of(y, 0)
    fold_heads = head_mod.fit_fold_heads(fit, h, y, start, x, folds)
    assert all(not np.allclose(f.u, fit.u) for f in fold_heads)
    assert all(f.parts == fit.parts for f in fold_heads)


def test_a_refit_on_the_features_the_head_was_fitted_on_gives_the_same_head():
    # Both parts carry signal; CV chose their sum, each part fitted alone. A refit that fitted the first part
    # on top of the text part's in-sample scores learned a different, weaker first part (0.86 off in the
    # logits here; on Rotten Tomatoes validation accuracy 0.810 -> 0.800 before any step).
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(3), 30)
    h = (rng.normal(0, 1.0, (3, 12))[y] + rng.normal(0, 1.5, (len(y), 12))).astype(np.float32)
    words = np.zeros((len(y), 9))
    words[np.arange(len(y)), 3 * y + rng.integers(0, 3, len(y))] = 1.0
    words[np.arange(len(y)), rng.integers(0, 9, len(y))] += 1.0
    x = sp.csr_matrix(words / np.linalg.norm(words, axis=1, keepdims=True))
    start = np.zeros((3, 12), np.float32)
    fit, _ = fit_head(h, y, start, {"ngrams": x}, seed=0)
    assert fit.name == "llm+ngrams" and fit.llm_weight > 0 and fit.parts[0].weight > 0
    refitted = refit_head(fit, h, y, start, x)
    np.testing.assert_allclose(refitted.logits(h, x), fit.logits(h, x), atol=1e-3)
    # A head saved before the parts were weighed (the text part in meta 3-5, no own biases) reads as one text
    # part, and its refit recovers the biases it needs: the same head again.
    old = {k: v for k, v in fit.to_arrays().items() if k not in ("part_blocks", "part_numbers", "biases")}
    part = fit.parts[0]
    old["meta"] = np.concatenate([old["meta"][:3], [part.lam, part.weight, part.columns], old["meta"][6:8]])
    legacy = HeadFit.from_arrays(old)
    assert legacy.parts == fit.parts and legacy.biases is None and legacy.llm_weight == 1.0
    legacy = replace(legacy, llm_weight=fit.llm_weight)  # the saved first parts weighed 1; here it does not
    refitted = refit_head(legacy, h, y, start, x)
    np.testing.assert_allclose(refitted.logits(h, x), fit.logits(h, x), atol=1e-3)


def test_a_frozen_states_part_reads_its_columns_in_any_units():
    # The columns of frozen states differ in spread (up to 21 times on Gemma 3). Fitted on the raw columns
    # under one penalty, a part held the narrow ones back; standardised, a column's units change nothing,
    # and the weights folded back onto the raw block give the same scores.
    rng = np.random.default_rng(7)
    y = np.repeat(np.arange(3), 30)
    states = rng.normal(0, 1, (3, 10))[y] + rng.normal(0, 1, (len(y), 10))
    states[:, 0] = rng.normal(0, 300, len(y))  # loud, and carries nothing
    h = rng.normal(0, 1, (len(y), 6)).astype(np.float32)  # the model's features: nothing either
    start = np.zeros((3, 6), np.float32)
    fits = []
    for loudness in (1.0, 1000.0):
        block = states.copy()
        block[:, 3] *= loudness
        x = sp.csr_matrix(block)
        fit, _ = fit_head(h, y, start, {"pooled": x}, seed=0)
        assert fit.blocks == ("pooled",) and fit.parts[0].standardized
        fits.append((fit, x))
    (fit, x), (loud_fit, loud_x) = fits
    np.testing.assert_allclose(loud_fit.logits(h, loud_x), fit.logits(h, x), atol=1e-3)
    assert (fit.logits(h, x).argmax(1) == y).mean() > 0.8
    # Fold heads re-solve the part from where it is (raw weights in, raw weights out): on the same rows, the same.
    again = refit_head(fit, h, y, start, x, refit_parts=True)
    np.testing.assert_allclose(again.logits(h, x), fit.logits(h, x), atol=1e-3)
    # Saved and read back, it stays standardised; a part saved before this was fitted on the raw block.
    assert HeadFit.from_arrays(fit.to_arrays()).parts == fit.parts
    saved = fit.to_arrays() | {"part_numbers": fit.to_arrays()["part_numbers"][:, :3]}
    assert not HeadFit.from_arrays(saved).parts[0].standardized


def test_the_text_part_alone_is_a_first_model_and_its_cross_validation_is_reused_as_is():
    h, y, x = text_task()
    blocks = {"ngrams": x}
    words, scores = head_mod.fit_text_head(blocks, y, 3, seed=0)
    assert not words.reads_llm and words.name == "ngrams" and words.v.shape == (3, 0)
    assert words.cv_accuracy > 0.9 and (words.offsets(x, len(y)).argmax(1) == y).mean() > 0.9
    # In the graph's shape it reads the model's features with zero weights: the same scores.
    wide = words.widened(12)
    np.testing.assert_allclose(wide.logits(h, x), words.offsets(x, len(y)), atol=1e-6)
    again = HeadFit.from_arrays(wide.to_arrays())
    assert not again.reads_llm and again.name == "ngrams"
    # The full head's cross-validation, given the text part's out-of-fold scores, chooses exactly as when it
    # computes them itself (same rows, same folds).
    start = np.zeros((3, 12), np.float32)
    fresh, fresh_options = fit_head(h, y, start, blocks, seed=0)
    reused, reused_options = fit_head(h, y, start, blocks, seed=0, text_scores=scores)
    assert reused_options == fresh_options
    np.testing.assert_array_equal(reused.u, fresh.u)
    # Checkpoints saved before text-only heads existed (six numbers of meta) read as heads on the features.
    old = fresh.to_arrays()
    old["meta"] = old["meta"][:6]
    assert HeadFit.from_arrays(old).reads_llm
    assert head_mod.fit_text_head({"pooled": x}, y, 3) is None  # no text block, no text-only head


def test_the_pull_is_chosen_by_cross_validation_and_refits_keep_it():
    h, y = blobs(10)
    start = np.random.default_rng(3).normal(size=(3, 12)).astype(np.float32)
    # Pulled towards the label-word rows, a strong pull keeps them: the zero-shot model, plus a bias.
    fit, _ = fit_head(h, y, start, lambdas=(1e3,), pulls=("labels",))
    assert fit.pulls_to_labels
    np.testing.assert_allclose(fit.head(), start, atol=2e-2)
    # Rows that point the wrong way: at a moderate strength cross-validation prefers the pull towards zero.
    centres = np.stack([h[y == c].mean(0) for c in range(3)])
    wrong = (-5 * centres / np.linalg.norm(centres, axis=1, keepdims=True)).astype(np.float32)
    fit, options = fit_head(h, y, wrong, lambdas=(1e-1,))
    assert not fit.pulls_to_labels and options[0]["pull"] == "zero"
    assert HeadFit.from_arrays(fit.to_arrays()).pulls_to_labels is False
    # Refitted to moved features, the head is still pulled towards zero, not towards those rows.
    refitted = refit_head(fit, h, y, wrong, None)
    assert not refitted.pulls_to_labels
    np.testing.assert_allclose(refitted.v, fit.v, atol=1e-3)
    # Rows that point the right way are kept.
    right, _ = fit_head(h, y, -wrong, lambdas=(1e-1,))
    assert right.pulls_to_labels


def test_refit_follows_moved_features():
    h, y = blobs(seed=4)
    fit, _ = fit_head(h, y, np.zeros((3, 12), np.float32))
    moved = h[:, ::-1].copy()  # the adapters changed the features: the old head no longer fits
    assert (fit.logits(moved, None).argmax(1) == y).mean() < 0.8
    refitted = refit_head(fit, moved, y, np.zeros((3, 12), np.float32), None)
    assert (refitted.logits(moved, None).argmax(1) == y).mean() > 0.95
    assert refitted.lam == fit.lam


def test_ngram_features_match_onnx_tfidf_vectorizer_with_padding():
    rng = np.random.default_rng(5)
    ids = [rng.integers(1, 30, size=int(rng.integers(3, 12))) for _ in range(40)]
    vocab = fit_vocabulary(ids[:30])
    ours = vocab.transform(ids).toarray()
    t = max(len(x) for x in ids)
    padded = np.full((len(ids), t), -1, dtype=np.int64)
    for i, x in enumerate(ids):
        padded[i, : len(x)] = x
    n_uni = len(vocab.unigrams)
    node = helper.make_node(
        "TfIdfVectorizer",
        ["ids"],
        ["y"],
        mode="TFIDF",
        min_gram_length=1,
        max_gram_length=2,
        max_skip_count=0,
        ngram_counts=[0, n_uni],
        ngram_indexes=list(range(vocab.size)),
        pool_int64s=[int(v) for v in vocab.unigrams] + [int(v) for v in vocab.bigrams.reshape(-1)],
        weights=[float(w) for w in vocab.idf],
    )
    graph = helper.make_graph(
        [node],
        "tfidf",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "t"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", vocab.size])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    raw = sess.run(["y"], {"ids": padded})[0]
    expected = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
    assert (np.abs(ours).sum(axis=1) > 0).all()


@pytest.fixture(scope="module")
def tiny_model(tiny_gguf):
    return LlamaModel.open(ensure_converted(resolve_model(tiny_gguf)), threads=1)


def test_char_grams_are_the_keyword_models_grams_of_the_spelled_text_across_pieces():
    from sklearn.feature_extraction.text import CountVectorizer

    pieces = ["\u0120CYL", "INDER", "\u2581leak", "ing", "\u0120cy", "xyz", "\u010a"]
    train = [np.array([0, 1]), np.array([2, 3]), np.array([0, 3]), np.array([2, 1])]
    chars = fit_char_grams(pieces, train)
    assert piece_text(pieces[0]) == " cyl" and piece_text(pieces[6]) == " "
    examples = [np.array([0, 1, 0]), np.array([4, 6, 5]), np.array([5])]
    x = chars.transform(examples).toarray()
    column = {"".join(map(chr, g[g >= 0])): i for i, g in enumerate(chars.grams)}
    # Independent: scikit-learn's char_wb counts on the text the pieces spell, kept grams only.
    texts = [" cylinder cyl ", " cy xyz ", " xyz "]
    counter = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False).fit(texts)
    counts = counter.transform(texts).toarray()
    for r in range(len(texts)):
        expected = np.zeros(chars.size)
        for gram, j in counter.vocabulary_.items():
            if gram in column and counts[r, j]:
                expected[column[gram]] = (1 + np.log(counts[r, j])) * chars.idf[column[gram]]
        norm = np.linalg.norm(expected)
        np.testing.assert_allclose(x[r], expected / norm if norm else expected, rtol=1e-6, atol=1e-7)
    # "li" and "yli" span the pieces "cyl|inder": the text is read across them. " cy" (unseen) still has " c".
    assert x[0, column["li"]] > 0 and x[0, column["yli"]] > 0
    assert x[1, column[" c"]] > 0 and not x[2].any()


def test_the_templates_own_grams_do_not_hide_the_same_words_in_the_text():
    """The template lists the label names; a text that says one of them must still count it (the demo work
    orders' template lists "bucket": counted as every prompt's, "bucket" in a text weighed nothing)."""
    pieces = [
        "\u0120text",
        ":",
        "\u0120bucket",
        "\u0120engine",
        "\u0120won't",
        "\u0120open",
        "\u0120oil",
        "\u010a",
    ]
    template = np.array([0, 1, 7, 2, 3])  # " text:\n bucket engine"
    texts = [[2, 5], [4, 5], [2, 4], [6], [3, 6], [6, 3]]  # bucket open / won't open / ... / oil engine
    ids = [np.array([0, 1, *t, 7, 2, 3]) for t in texts]
    vocab = fit_vocabulary(ids, template_ids=template)
    chars = fit_char_grams(pieces, ids, template_ids=template)
    col = {int(t): i for i, t in enumerate(vocab.unigrams)}
    x = vocab.transform(ids).toarray()
    # Token " bucket": in the text of rows 0 and 2 only; its weight is not zero.
    assert vocab.idf[col[2]] > 0
    assert (x[:, col[2]] > 0).tolist() == [True, False, True, False, False, False]
    assert 0 not in col or vocab.idf[col[0]] == 0  # " text" is only ever the template's
    grams = {"".join(map(chr, g[g >= 0])): i for i, g in enumerate(chars.grams)}
    c = chars.transform(ids).toarray()
    assert (c[:, grams["buck"]] > 0).tolist() == [True, False, True, False, False, False]
    assert (c[:, grams["eng"]] > 0).tolist() == [False, False, False, False, True, True]
    # Without the template, every row has "buck" and it weighs nothing: what the head saw before.
    old = fit_char_grams(pieces, ids)
    old_col = {"".join(map(chr, g[g >= 0])): i for i, g in enumerate(old.grams)}
    assert old.idf[old_col["buck"]] == 0


@pytest.mark.parametrize(
    "blocks",
    [
        (),
        ("ngrams",),
        ("pooled",),
        ("chars",),
        ("pooled", "ngrams"),
        ("pooled", "pooled:1", "ngrams", "chars"),
        ("pooled:1",),
        ("answer",),
        ("pooled", "answer", "answer:1", "ngrams"),
    ],
)
def test_exported_class_logits_equal_the_head_on_tuning_features(tiny_model, blocks):
    """The export (built by ``class_head_of``, as the tuner does) scores as tuning did, for right- and
    left-padded batches: final-norm features, the pooled frozen states, those at the answer position and the
    n-grams."""
    model = tiny_model
    rng = np.random.default_rng(6)
    # Every prompt holds the template's tokens around its text, and some texts repeat a template token: the
    # export must subtract the template's own counts as tuning does.
    prefix, suffix = rng.integers(3, model.cfg.vocab, size=3), rng.integers(3, model.cfg.vocab, size=2)
    texts = [rng.integers(3, model.cfg.vocab, size=int(rng.integers(2, 7))) for _ in range(6)]
    texts[1][0] = texts[3][-1] = prefix[1]
    ids = tuple(np.concatenate([prefix, t, suffix]) for t in texts)
    template = np.concatenate([prefix, suffix])
    enc = EncodedExamples(ids, np.zeros(6, dtype=np.int64), np.array([5, 9], dtype=np.int64))
    vocab = fit_vocabulary(ids, template_ids=template)
    # Half the pieces continue a word: their grams join the previous piece's (packing matters under padding).
    pieces = [f"{' ' * (i % 2)}{'abcdefgh'[i % 8]}{'xyz'[i % 3]}{i % 5}" for i in range(model.cfg.vocab)]
    # The last two examples also hold pieces unseen in training.
    chars = fit_char_grams(pieces, ids[:4], template_ids=template)
    assert vocab.template.any() and chars.template.any()
    start = model.cfg.n_layers - 1  # tuning reads the pooled states from the cache of the tuned suffix
    cache = model.build_prefix_cache(enc, start, also=(1,))
    available = {
        "pooled": sp.csr_matrix(cache.pooled().astype(np.float64)),
        "pooled:1": sp.csr_matrix(cache.pooled_below[1].astype(np.float64)),
        "answer": sp.csr_matrix(cache.answers().astype(np.float64)),
        "answer:1": sp.csr_matrix(cache.answers_below[1].astype(np.float64)),
        "ngrams": vocab.transform(ids),
        "chars": chars.transform(ids),
    }
    widths = {name: m.shape[1] for name, m in available.items()}
    x = stack(available, blocks)
    # Weights large enough that each block moves the scores well beyond the tolerance below.
    u = rng.normal(0, 20, size=(2, sum(widths[b] for b in blocks))) if blocks else None
    weight = rng.normal(size=(2, model.cfg.hidden))
    fit = HeadFit(weight, u, np.array([0.3, -0.2]), 1.0, 0, 0, blocks)
    session = model.loss_session(start, [], AdapterConfig())
    objective = SuffixObjective(session, cache, enc, Readout(fit.head(), fit.offsets(x, len(ids))), [])
    _, tuned, features = objective.run(np.arange(6), {})
    head = class_head_of(fit, widths, vocab, start, chars)
    path = (
        model.folder / f"test-class-head-{'-'.join(blocks)}.onnx"
    )  # beside weights.bin, which it references
    onnx.save(build_causal_lm(model.cfg, model.store, class_head=head), str(path))
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    t = max(len(i) for i in ids)
    for left in (False, True):
        batch = np.zeros((6, t), dtype=np.int64)
        mask = np.zeros_like(batch)
        for r, seq in enumerate(ids):
            span = slice(t - len(seq), t) if left else slice(0, len(seq))
            batch[r, span], mask[r, span] = seq, 1
        scores = sess.run(["class_logits"], {"input_ids": batch, "attention_mask": mask})[0]
        np.testing.assert_allclose(scores, tuned[0], rtol=1e-3, atol=1e-3)
    # The features the head reads are not a constant: a wrong gather would not match above.
    assert features[0].std(axis=0).mean() > 1e-3
    if blocks:  # and each block matters: the scores without it are far from the export's
        without = features[0] @ fit.head().T + fit.b
        assert np.abs(without - tuned[0]).max() > 0.1


def test_keyword_baseline_scores_the_test_part_it_never_saw():
    from app.engine.data.examples import Example

    words = {"hyd": ["hose", "pump", "leak"], "eng": ["oil", "start", "smoke"]}
    rng = np.random.default_rng(0)

    def rows(n):
        return [
            Example(" ".join(rng.choice(w, 2)) + f" unit {rng.integers(99)}", lab, "x", 1)
            for lab, w in words.items()
            for _ in range(n)
        ]

    result = keyword_baseline(rows(20), rows(5), rows(5))
    assert result.test_accuracy == 1.0 and result.val_accuracy == 1.0
    swapped = [Example(e.text, "eng" if e.label == "hyd" else "hyd", "x", 1) for e in rows(5)]
    assert keyword_baseline(rows(20), rows(5), swapped).test_accuracy == 0.0


def test_exported_pooled_block_equals_the_prefix_cache_pooling(tiny_model):
    """The export pools the states entering each pooled layer exactly as tuning pools the prefix cache (the
    cached layer, and a layer below it pooled on the caching pass)."""
    model = tiny_model
    rng = np.random.default_rng(7)
    ids = tuple(rng.integers(3, model.cfg.vocab, size=int(rng.integers(1, 11))) for _ in range(6))
    ids = (ids[0][:1],) + ids[1:]  # a one-token example keeps its only token
    enc = EncodedExamples(ids, np.zeros(6, dtype=np.int64), np.array([5, 9], dtype=np.int64))
    layer = model.cfg.n_layers - 1
    cache = model.build_prefix_cache(enc, layer, also=(1,))
    by_layer = cache.pooled_by_layer(layer)
    assert sorted(by_layer) == [1, layer]
    for pooled in by_layer.values():  # differs between examples: a constant would match too easily
        assert pooled.std(axis=0).mean() > 1e-3
    assert not np.allclose(by_layer[1], by_layer[layer], atol=1e-2)  # and between layers
    weight = rng.normal(size=(2, model.cfg.hidden)).astype(np.float32)
    weights = {k: rng.normal(size=(2, model.cfg.hidden)).astype(np.float32) for k in by_layer}
    head = ClassHead(weight, np.zeros(2, np.float32), pooled=tuple(sorted(weights.items())))
    plain = ClassHead(weight, np.zeros(2, np.float32))
    scores = {}
    for name, h in (("pooled", head), ("plain", plain)):
        path = model.folder / f"test-class-head-{name}.onnx"
        onnx.save(build_causal_lm(model.cfg, model.store, class_head=h), str(path))
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        t = max(len(i) for i in ids)
        for left in (False, True):
            batch = np.zeros((6, t), dtype=np.int64)
            mask = np.zeros_like(batch)
            for r, seq in enumerate(ids):
                span = slice(t - len(seq), t) if left else slice(0, len(seq))
                batch[r, span], mask[r, span] = seq, 1
            scores[name, left] = sess.run(["class_logits"], {"input_ids": batch, "attention_mask": mask})[0]
    for left in (False, True):
        np.testing.assert_allclose(
            scores["pooled", left] - scores["plain", left],
            sum(by_layer[k] @ w.T for k, w in weights.items()),
            rtol=1e-3,
            atol=1e-3,
        )
