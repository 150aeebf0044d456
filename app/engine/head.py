"""The exact head: multinomial logistic regression on features the engine already computes.

ZO alone spent a whole budget learning what an exact fit learns in seconds: the label bias and a linear
read-out (issue 11: a linear probe on SmolLM2's frozen features beat a 30-minute ZO run on Rotten Tomatoes,
0.788 vs 0.644). So the run first fits a head on the final-norm hidden state at the answer position (and,
where cross-validation prefers it, on word-piece n-grams, ``app.engine.ngrams``), then ZO moves the adapters
through that head and the head is refitted on the features the perturbed passes computed anyway.

    logits = (h / s) @ V.T + x @ U.T + b
    loss   = mean cross-entropy + lam / 2 * (|V - V0|^2 + |U|^2)

``h`` [N, H] are the features and ``s`` their mean row norm (so one ``lam`` suits both parts), ``x`` [N, F]
the L2-normalised n-gram rows, ``V0 = s * W0`` the LM head's label-word rows: ``lam -> inf`` is the
zero-shot model, plus a bias. ``lam`` and the feature set are chosen by k-fold cross-validation on the
training examples only; validation and test are never looked at here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.sparse as sp

LAMBDAS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)  # strongest first: each fold's path is warm-started
FOLDS = 3
MAX_ITER = 150
REFIT_ITER = 50  # warm-started refits move little; measured on the demo data (docs/BENCHMARKS.md)


@dataclass(frozen=True)
class HeadFit:
    """A fitted head in the space the loss graph reads: ``features @ head.T + offsets``."""

    v: np.ndarray  # [C, H] weights on the scaled features, float64
    u: np.ndarray | None  # [C, F] n-gram weights, or None when the head reads the model's features only
    b: np.ndarray  # [C]
    scale: float  # s: mean feature row norm of the training examples
    lam: float
    cv_accuracy: float  # k-fold accuracy on the training examples of the chosen setting

    @property
    def uses_ngrams(self) -> bool:
        return self.u is not None

    def head(self) -> np.ndarray:
        """[C, H] fp32 weights on the raw features."""
        return (self.v / self.scale).astype(np.float32)

    def offsets(self, ngrams: sp.csr_matrix | None, n: int) -> np.ndarray:
        """[N, C] fp32: the bias plus the n-gram part of each example's scores."""
        out = np.broadcast_to(self.b, (n, len(self.b))).astype(np.float64)
        if self.u is not None:
            out = out + np.asarray(ngrams @ self.u.T)
        return out.astype(np.float32)

    def logits(self, features: np.ndarray, ngrams: sp.csr_matrix | None) -> np.ndarray:
        return features.astype(np.float64) @ self.head().astype(np.float64).T + self.offsets(
            ngrams, len(features)
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        d = {"v": self.v, "b": self.b, "meta": np.array([self.scale, self.lam, self.cv_accuracy])}
        if self.u is not None:
            d["u"] = self.u
        return d

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray]) -> HeadFit:
        scale, lam, cv = (float(x) for x in d["meta"])
        return cls(d["v"], d.get("u"), d["b"], scale, lam, cv)


def _objective(theta, h, x, y_onehot, v0, lam, shapes):
    c, hd, f = shapes
    v = theta[: c * hd].reshape(c, hd)
    u = theta[c * hd : c * hd + c * f].reshape(c, f) if f else None
    b = theta[c * hd + c * f :]
    logits = h @ v.T + b
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


def _solve(h, x, y, n_classes, v0, lam, start=None, max_iter=MAX_ITER):
    """L-BFGS on the convex objective; returns (v, u, b)."""
    c, hd = v0.shape
    f = x.shape[1] if x is not None else 0
    onehot = np.eye(n_classes)[y]
    if start is None:
        start = np.concatenate([v0.ravel(), np.zeros(c * f), np.zeros(c)])
    res = scipy.optimize.minimize(
        _objective,
        start,
        args=(h, x, onehot, v0, lam, (c, hd, f)),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter},
    )
    theta = res.x
    v = theta[: c * hd].reshape(c, hd)
    u = theta[c * hd : c * hd + c * f].reshape(c, f) if f else None
    return v, u, theta[c * hd + c * f :]


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


def fit_head(
    features: np.ndarray,
    labels: np.ndarray,
    start_head: np.ndarray,
    ngrams: sp.csr_matrix | None = None,
    *,
    seed: int = 0,
    lambdas: tuple[float, ...] = LAMBDAS,
) -> tuple[HeadFit, list[dict]]:
    """Choose (feature set, lam) by k-fold CV on the training examples, then fit on all of them.

    ``features`` [N, H] at zero adapters, ``labels`` [N] class indices, ``start_head`` [C, H] the LM head's
    label-word rows, ``ngrams`` [N, F] or None. Returns the head and every option tried (for report.json).
    """
    h_raw = features.astype(np.float64)
    scale = float(np.mean(np.linalg.norm(h_raw, axis=1))) or 1.0
    h = h_raw / scale
    v0 = start_head.astype(np.float64) * scale
    n_classes = start_head.shape[0]
    k = int(min(FOLDS, max(2, np.bincount(labels, minlength=n_classes).max())))
    fold = _folds(labels, k, seed)
    sets = [("llm", None)] + ([("llm+ngrams", ngrams)] if ngrams is not None and ngrams.shape[1] else [])
    options = []
    for name, x in sets:
        correct = dict.fromkeys(lambdas, 0)
        for j in range(k):
            tr, te = fold != j, fold == j
            if not te.any() or not tr.any():
                continue
            xt = x[tr] if x is not None else None
            theta = None
            for lam in lambdas:  # a regularisation path: each fit starts where the stronger one ended
                v, u, b = _solve(h[tr], xt, labels[tr], n_classes, v0, lam, theta)
                theta = np.concatenate([v.ravel()] + ([u.ravel()] if u is not None else []) + [b])
                logits = h[te] @ v.T + b
                if u is not None:
                    logits = logits + np.asarray(x[te] @ u.T)
                correct[lam] += int((logits.argmax(1) == labels[te]).sum())
        options += [
            {"features": name, "lam": lam, "cv_accuracy": correct[lam] / len(labels)} for lam in lambdas
        ]
    # Best CV accuracy; ties go to the simpler feature set, then the stronger pull towards the start.
    order = {name: i for i, (name, _) in enumerate(sets)}
    best = max(options, key=lambda o: (o["cv_accuracy"], -order[o["features"]], o["lam"]))
    x = dict(sets)[best["features"]]
    v, u, b = _solve(h, x, labels, n_classes, v0, best["lam"])
    return HeadFit(v, u, b, scale, best["lam"], best["cv_accuracy"]), options


def fold_of(labels: np.ndarray, seed: int) -> np.ndarray:
    """The cross-fitting fold of each training example (stratified, seeded): ``FOLDS`` folds."""
    return _folds(labels, FOLDS, seed)


def fit_fold_heads(
    fit: HeadFit,
    features: np.ndarray,
    labels: np.ndarray,
    start_head: np.ndarray,
    ngrams: sp.csr_matrix | None,
    folds: np.ndarray,
) -> list[HeadFit]:
    """One head per fold, fitted on the other folds (warm-started from ``fit``).

    ZO steps on fold k read out through head k, which never saw those examples: a head fitted on every
    training example separates them (training loss near 0 with H >> N), so the perturbed losses would
    carry almost no signal for the adapters (measured on the demo data: 1,293 ZO steps through the
    in-sample head left validation accuracy unchanged, docs/BENCHMARKS.md).
    """
    heads = []
    for k in range(int(folds.max()) + 1):
        keep = folds != k
        x = ngrams[keep] if ngrams is not None else None
        heads.append(refit_head(fit, features[keep], labels[keep], start_head, x))
    return heads


def refit_head(
    fit: HeadFit,
    features: np.ndarray,
    labels: np.ndarray,
    start_head: np.ndarray,
    ngrams: sp.csr_matrix | None,
) -> HeadFit:
    """The same head setting refitted (warm start) to features the adapters now produce."""
    h = features.astype(np.float64) / fit.scale
    v0 = start_head.astype(np.float64) * fit.scale
    x = ngrams if fit.uses_ngrams else None
    parts = [fit.v.ravel()] + ([fit.u.ravel()] if fit.u is not None else []) + [fit.b]
    v, u, b = _solve(h, x, labels, len(fit.b), v0, fit.lam, np.concatenate(parts), REFIT_ITER)
    return HeadFit(v, u, b, fit.scale, fit.lam, fit.cv_accuracy)
