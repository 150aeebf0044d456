"""bench.zo_variance's joint arm: its head step is a gradient step of the head's cross-entropy and pull."""

import numpy as np

from app.engine.tuning.head import HeadFit
from bench.zo_variance import head_step


def _loss(v, b, h, y, lam, pull):
    z = h @ v.T + b
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean() + 0.5 * lam * ((v - pull) ** 2).sum()


def test_head_step_follows_the_loss_gradient_with_its_pull():
    rng = np.random.default_rng(0)
    c, hd, n = 3, 5, 8
    fit = HeadFit(rng.normal(size=(c, hd)), None, rng.normal(size=c), 2.0, 0.3, 0.0, llm_weight=0.5)
    feats, y, target = rng.normal(size=(n, hd)), rng.integers(0, c, n), rng.normal(size=(c, hd))
    h, pull = feats / fit.scale, fit.llm_weight * target
    eps, lr = 1e-6, 1e-3
    num_v = np.zeros_like(fit.v)
    for i in np.ndindex(fit.v.shape):
        d = np.zeros_like(fit.v)
        d[i] = eps
        num_v[i] = (
            _loss(fit.v + d, fit.b, h, y, fit.lam, pull) - _loss(fit.v - d, fit.b, h, y, fit.lam, pull)
        ) / (2 * eps)
    num_b = np.array(
        [
            (_loss(fit.v, fit.b + e, h, y, fit.lam, pull) - _loss(fit.v, fit.b - e, h, y, fit.lam, pull))
            / (2 * eps)
            for e in np.eye(c) * eps
        ]
    )
    stepped = head_step(fit, feats, y, None, target, lr)
    np.testing.assert_allclose((fit.v - stepped.v) / lr, num_v, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose((fit.b - stepped.b) / lr, num_b, rtol=1e-5, atol=1e-7)
    assert stepped.scale == fit.scale and stepped.u is None  # the fixed parts and the scale stay


def test_a_head_pulled_towards_zero_is_not_pulled_towards_the_target():
    rng = np.random.default_rng(1)
    fit = HeadFit(np.zeros((2, 3)), None, np.zeros(2), 1.0, 0.5, 0.0, pulls_to_labels=False)
    feats, y = np.zeros((4, 3)), np.array([0, 1, 0, 1])  # no signal: only a pull could move the weights
    stepped = head_step(fit, feats, y, None, rng.normal(size=(2, 3)), 0.1)
    np.testing.assert_array_equal(stepped.v, fit.v)
