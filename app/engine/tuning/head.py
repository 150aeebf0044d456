"""The exact head: multinomial logistic regression on features the engine already computes.

ZO alone spent a whole budget learning what an exact fit learns in seconds: the label bias and a linear
read-out (issue 11: a linear probe on SmolLM2's frozen features beat a 30-minute ZO run on Rotten Tomatoes,
0.788 vs 0.644). So the run first fits a head on the final-norm hidden state at the answer position (and,
where cross-validation prefers them, on fixed blocks of features the adapters cannot move: the frozen layers'
states pooled over the text, ``PrefixCache.pooled``, and word-piece n-grams, ``app.engine.data.ngrams``), then ZO
moves the adapters through that head and the head is refitted on the features the perturbed passes computed
anyway.

    logits = (h / s) @ V.T + x @ U.T + b
    loss   = mean cross-entropy + lam / 2 * (|V - V0|^2 + |U|^2)

``h`` [N, H] are the features and ``s`` their mean row norm (so one ``lam`` suits every part), ``x`` [N, F]
the chosen fixed blocks side by side (each scaled to unit row norms), ``V0 = s * W0`` the LM head's
label-word rows: ``lam -> inf`` is the zero-shot model, plus a bias. Or ``V0 = 0``, as a plain linear probe
pulls (``PULLS``). ``lam``, the pull and the blocks are chosen by k-fold cross-validation on the training
examples only; validation and test are never looked at here.

The text blocks (``TEXT_BLOCKS``: n-grams of the token ids, character n-grams of the text they spell) are the
keyword model's evidence and want a regularisation of their own: sharing ``lam`` with the LLM features, they
overfitted where the LLM part needed a weak pull (Rotten Tomatoes: CV 0.76 with the frozen states alone, 0.66
with the text blocks added) or were held back where they carried the task (demo work orders). So they are a
second part, a logistic regression of their own (strength ``text_lam``), added to the first part's scores
with a weight ``text_weight``; cross-validation picks both with the rest, from the out-of-fold scores of each
part. The sum is one linear head over all the blocks, exported as before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations

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
TEXT_WEIGHTS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
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
class HeadFit:
    """A fitted head in the space the loss graph reads: ``features @ head.T + offsets``."""

    v: np.ndarray  # [C, H] weights on the scaled features, float64
    u: np.ndarray | None  # [C, F] weights on the fixed blocks, or None when the head reads h only
    b: np.ndarray  # [C]
    scale: float  # s: mean feature row norm of the training examples
    lam: float
    cv_accuracy: float  # k-fold accuracy on the training examples of the chosen setting
    blocks: tuple[str, ...] = ()  # the fixed blocks ``u`` reads, in order (see ``stack``)
    # The text part: the last ``text_columns`` columns of ``u`` (already times ``text_weight``), fitted alone with
    # ``text_lam`` and kept as they are when the first part is refitted to moved features.
    text_lam: float = 0.0
    text_weight: float = 0.0
    text_columns: int = 0
    # False: the text part alone (``fit_text_head``), the run's first model before any forward pass; ``v`` is
    # zero ([C, 0] until ``widened`` to the model's feature size).
    reads_llm: bool = True
    # What the first part is pulled towards (``PULLS``): the label-word rows (V0) or zero; refits keep it.
    pulls_to_labels: bool = True

    @property
    def name(self) -> str:
        return "+".join(("llm",) * self.reads_llm + self.blocks)

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
        meta = [self.scale, self.lam, self.cv_accuracy, self.text_lam, self.text_weight, self.text_columns]
        meta += [float(self.reads_llm), float(self.pulls_to_labels)]
        d = {"v": self.v, "b": self.b, "meta": np.array(meta, dtype=np.float64)}
        if self.u is not None:
            d["u"] = self.u
            d["blocks"] = np.array(self.blocks)
        return d

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray]) -> HeadFit:
        # Saved before the text part: none; before text-only heads: every head read the model's features;
        # before the pull was chosen: towards the label-word rows.
        meta = [float(x) for x in d["meta"]]
        meta += [0.0, 0.0, 0.0, 1.0, 1.0][len(meta) - 3 :]
        scale, lam, cv, text_lam, text_weight, text_columns, reads_llm, pulls_to_labels = meta
        blocks = tuple(str(b) for b in d["blocks"]) if "blocks" in d else ()
        return cls(
            d["v"], d.get("u"), d["b"], scale, lam, cv, blocks, text_lam, text_weight, int(text_columns),
            bool(reads_llm), bool(pulls_to_labels),
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
) -> ClassHead:
    """``fit`` in the exported graph's terms: the blocks it reads become the graph's own computations
    (``pooled``: the states entering ``pooled_layer``, as ``PrefixCache.pooled``; ``ngrams``: ``vocab``;
    ``chars``: the character n-grams of ``chars``)."""
    parts = fit.block_weights(widths)
    extra = {}
    if "chars" in parts:
        extra |= {"chars": chars, "char_weight": parts["chars"]}
    if "ngrams" in parts:
        extra |= {"unigrams": vocab.unigrams, "bigrams": vocab.bigrams, "idf": vocab.idf}
        extra["ngram_template"] = vocab.template
        extra["ngram_weight"] = parts["ngrams"]
    if "pooled" in parts:
        extra |= {"pooled_weight": parts["pooled"], "pooled_layer": pooled_layer}
    return ClassHead(fit.head(), fit.b.astype(np.float32), **extra)


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


def _split_text(subset: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the blocks the first part reads, the text blocks the second part reads)."""
    return tuple(b for b in subset if b not in TEXT_BLOCKS), tuple(b for b in subset if b in TEXT_BLOCKS)


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


@_one_blas_thread
def fit_head(
    features: np.ndarray,
    labels: np.ndarray,
    start_head: np.ndarray,
    blocks: dict[str, sp.csr_matrix] | None = None,
    *,
    seed: int = 0,
    lambdas: tuple[float, ...] = LAMBDAS,
    subsets: list[tuple[str, ...]] | None = None,
    text_scores: dict[tuple[str, ...], dict[float, np.ndarray]] | None = None,
    pulls: tuple[str, ...] = PULLS,
) -> tuple[HeadFit, list[dict]]:
    """Choose (fixed blocks, pull, lam, and for the text blocks text_lam and text_weight) by k-fold CV on the
    training examples, then fit on all of them.

    ``features`` [N, H] at zero adapters, ``labels`` [N] class indices, ``start_head`` [C, H] the LM head's
    label-word rows, ``blocks`` fixed features of the same N rows by name. Every subset of the non-text blocks
    is tried, each without and with all the text blocks, unless ``subsets`` names the ones to try.
    ``text_scores``: the text part's out-of-fold scores already computed on the same rows and folds
    (``fit_text_head``). Returns the head and the best setting of each (blocks, lam) tried (for report.json).
    """
    h, scale, v0 = _scaled(features, start_head)
    targets = {"labels": v0, "zero": np.zeros_like(v0)}
    n_classes = start_head.shape[0]
    fold = _cv_folds(labels, n_classes, seed)
    names = [b for b, m in (blocks or {}).items() if m.shape[1]]
    if subsets is None:
        own, text = _split_text(tuple(names))
        subsets = [c + t for r in range(len(own) + 1) for c in combinations(own, r) for t in {(), text}]
        subsets.sort(key=lambda c: (len(c), [names.index(b) for b in c]))
    no_features = np.zeros((len(labels), 0))
    first, second = {}, dict(text_scores or {})  # out-of-fold scores of each part, per blocks read
    for subset in subsets:
        own, text = _split_text(subset)
        for pull in pulls:
            if (own, pull) not in first:
                x = stack(blocks, own)
                first[own, pull] = _out_of_fold(h, x, labels, n_classes, targets[pull], lambdas, fold)
        if text and text not in second:
            zero = np.zeros((n_classes, 0))
            second[text] = _out_of_fold(
                no_features, stack(blocks, text), labels, n_classes, zero, TEXT_LAMBDAS, fold
            )
    options = []
    for order, subset in enumerate(subsets):
        own, text = _split_text(subset)
        for pull in pulls:
            for lam in lambdas:
                scores = first[own, pull][lam]
                tries = [(0.0, 0.0, scores)]
                if text:  # a subset that names text blocks reads them
                    tries = [
                        (lt, w, scores + w * second[text][lt]) for lt in TEXT_LAMBDAS for w in TEXT_WEIGHTS
                    ]
                rated = [(rate(z, labels), lt, w) for lt, w, z in tries]
                (acc, loglik), lt, w = max(rated, key=lambda r: r[0])
                options.append(
                    {
                        "features": "+".join(("llm",) + subset),
                        "pull": pull,
                        "lam": lam,
                        "text_lam": lt,
                        "text_weight": w,
                        "cv_accuracy": acc,
                        "cv_log_likelihood": round(loglik, 6),
                        "order": order,
                    }
                )
    # Best CV accuracy; ties go to the label words (zero must win on accuracy: on the demo data the likelier
    # scores alone moved two of five splits to zero and lost a row on one), then the likelier scores, the
    # simpler feature set and the stronger pull.
    best = max(
        options,
        key=lambda o: (
            o["cv_accuracy"], o["pull"] == "labels", o["cv_log_likelihood"], -o["order"], o["lam"]
        ),
    )  # fmt: skip
    subset = subsets[best["order"]]
    for o in options:
        del o["order"]
    own, text = _split_text(subset)
    v, u, b = _solve(h, stack(blocks, own), labels, n_classes, targets[best["pull"]], best["lam"])
    fit = HeadFit(
        v, u, b, scale, best["lam"], best["cv_accuracy"], own, pulls_to_labels=best["pull"] == "labels"
    )
    if text:
        fit = _with_text(fit, blocks, text, labels, best["text_lam"], best["text_weight"])
    return fit, options


@_one_blas_thread
def fit_text_head(
    blocks: dict[str, sp.csr_matrix], labels: np.ndarray, n_classes: int, *, seed: int = 0
) -> tuple[HeadFit, dict[tuple[str, ...], dict[float, np.ndarray]]] | None:
    """The text part alone: logistic regression on the text blocks of the training rows, ``text_lam`` by
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
    rated = {lam: rate(scores[lam], labels) for lam in TEXT_LAMBDAS}
    lam = max(TEXT_LAMBDAS, key=rated.get)  # ties: the stronger pull (listed first)
    _, u, b = _solve(no_features, x, labels, n_classes, zero, lam)
    fit = HeadFit(zero, u, b, 1.0, 0.0, rated[lam][0], names, lam, 1.0, x.shape[1], reads_llm=False)
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


def _with_text(
    fit: HeadFit, blocks, text: tuple[str, ...], labels, text_lam: float, weight: float
) -> HeadFit:
    """``fit`` plus the text part fitted on ``blocks[text]`` alone, weighted: one head over all its blocks."""
    x = stack(blocks, text)
    n_classes = len(fit.b)
    _, ut, bt = _solve(np.zeros((len(labels), 0)), x, labels, n_classes, np.zeros((n_classes, 0)), text_lam)
    u = weight * ut if fit.u is None else np.hstack([fit.u, weight * ut])
    return replace(
        fit, u=u, b=fit.b + weight * bt, blocks=fit.blocks + text, text_lam=text_lam, text_weight=weight,
        text_columns=x.shape[1],
    )  # fmt: skip


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
        heads.append(refit_head(fit, features[keep], labels[keep], start_head, part, refit_text=True))
    return heads


@_one_blas_thread
def refit_head(
    fit: HeadFit,
    features: np.ndarray,
    labels: np.ndarray,
    start_head: np.ndarray,
    x: sp.csr_matrix | None,
    *,
    refit_text: bool = False,
) -> HeadFit:
    """The same head refitted (warm start) to features the adapters now produce.

    ``x``: the head's own fixed blocks (``stack(blocks, fit.blocks)``) of the same rows. Each part is refitted
    alone, as ``fit_head`` fitted the model its cross-validation chose: the first part does not see the text
    part's scores (fitted on the same rows, those are near-certain and left the first part little to learn:
    a refit on unchanged features moved Rotten Tomatoes' validation accuracy from 0.810 to 0.800). The text
    part reads nothing the adapters move and stays as it is, unless ``refit_text`` (other rows than it was
    fitted on).
    """
    h = features.astype(np.float64) / fit.scale
    v0 = start_head.astype(np.float64) * fit.scale * fit.pulls_to_labels  # the pull it was chosen with
    n_classes = len(fit.b)
    own_columns = (x.shape[1] if x is not None else 0) - fit.text_columns
    u_own = fit.u[:, :own_columns] if fit.u is not None and own_columns else None
    x_own = x[:, :own_columns] if own_columns else None
    u_text, b_text = None, np.zeros(n_classes)
    if fit.text_columns:
        x_text, u_text = x[:, own_columns:], fit.u[:, own_columns:] / fit.text_weight
        b_text = _text_bias(x_text, u_text, labels)
        if refit_text:
            no_features, zero = np.zeros((len(labels), 0)), np.zeros((n_classes, 0))
            start = np.concatenate([u_text.ravel(), b_text])
            _, u_text, b_text = _solve(
                no_features, x_text, labels, n_classes, zero, fit.text_lam, start, REFIT_ITER
            )
        u_text, b_text = fit.text_weight * u_text, fit.text_weight * b_text
    start = [fit.v.ravel()] + ([u_own.ravel()] if u_own is not None else []) + [fit.b - b_text]
    v, u, b = _solve(h, x_own, labels, n_classes, v0, fit.lam, np.concatenate(start), REFIT_ITER)
    if u_text is not None:
        u = u_text if u is None else np.hstack([u, u_text])
    return replace(fit, v=v, u=u, b=b + b_text)


def _text_bias(x_text: sp.csr_matrix, u_text: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The text part's own bias, which ``fit.b`` holds summed with the first part's: the bias is not
    penalised, so it is the best bias for the part's scores on the rows it was fitted on."""
    n_classes = len(u_text)
    no_features, zero = np.zeros((len(labels), 0)), np.zeros((n_classes, 0))
    scores = np.asarray(x_text @ u_text.T)
    return _solve(no_features, None, labels, n_classes, zero, 0.0, np.zeros(n_classes), MAX_ITER, scores)[2]
