"""The ZO estimator and the seed trick, on objectives whose gradients are known."""

import numpy as np

from app.engine.tuning import zo


def quadratic_objective(target: dict[str, np.ndarray]):
    """L(B) = 0.5 * ||B - target||^2 per copy; gradient B - target."""

    def objective(copies):
        return np.array(
            [
                sum(0.5 * float(((copies[k][p] - target[k]) ** 2).sum()) for k in target)
                for p in range(next(iter(copies.values())).shape[0])
            ]
        )

    return objective


def test_projected_gradient_expectation_matches_finite_difference_gradient():
    rng = np.random.default_rng(1)
    params = {
        "a": rng.standard_normal((2, 3)).astype(np.float32),
        "b": rng.standard_normal((2, 2)).astype(np.float32),
    }
    target = {k: np.zeros_like(v) for k, v in params.items()}
    objective = quadratic_objective(target)
    # E[g z] over many directions approximates the true gradient (here params - target).
    n = 4000
    est = {k: np.zeros_like(v, dtype=np.float64) for k, v in params.items()}
    for i in range(n):
        z = zo.perturbation(zo.direction_seed(7, 0, i), params)
        losses = zo.evaluate_copies(objective, params, [z], eps=1e-3, copies_per_run=2)
        g = (losses[0] - losses[1]) / 2e-3
        for k in est:
            est[k] += g * z[k] / n
    # Finite-difference gradient, coordinate by coordinate, as the independent reference.
    for k, v in params.items():
        fd = np.zeros_like(v, dtype=np.float64)
        for idx in np.ndindex(v.shape):
            plus = {kk: vv.copy()[None] for kk, vv in params.items()}
            minus = {kk: vv.copy()[None] for kk, vv in params.items()}
            plus[k][(0, *idx)] += 1e-3
            minus[k][(0, *idx)] -= 1e-3
            fd[idx] = (objective(plus)[0] - objective(minus)[0]) / 2e-3
        np.testing.assert_allclose(est[k], fd, atol=0.12 * np.abs(fd).max() + 0.05)


def test_batched_and_sequential_copies_give_the_same_losses():
    rng = np.random.default_rng(2)
    params = {"a": rng.standard_normal((3, 4)).astype(np.float32)}
    objective = quadratic_objective({"a": np.ones((3, 4), np.float32)})
    zs = [zo.perturbation(s, params) for s in (1, 2, 3)]
    seq = zo.evaluate_copies(objective, params, zs, 1e-2, copies_per_run=1)
    batched = zo.evaluate_copies(objective, params, zs, 1e-2, copies_per_run=6)
    np.testing.assert_allclose(seq, batched, rtol=1e-6)


def test_zo_steps_descend_a_quadratic():
    params = {"a": np.full((4, 4), 3.0, np.float32)}
    objective = quadratic_objective({"a": np.zeros((4, 4), np.float32)})
    start = float(objective({"a": params["a"][None]})[0])
    for step in range(300):
        params, rec = zo.zo_step(objective, params, step=step, run_seed=0, q=4, eps=1e-2, lr=0.05)
        assert rec.accepted
    assert float(objective({"a": params["a"][None]})[0]) < 0.05 * start


def test_replay_from_the_step_log_gives_bit_identical_adapters():
    start = {
        "a": np.random.default_rng(3).standard_normal((5, 7)).astype(np.float32),
        "b": np.zeros((5, 2), np.float32),
    }
    objective = quadratic_objective({"a": np.ones((5, 7), np.float32), "b": np.ones((5, 2), np.float32)})
    params, records = start, []
    for step in range(50):
        params, rec = zo.zo_step(
            objective, params, step=step, run_seed=11, q=3, eps=1e-2, lr=0.02 * (1 + step % 3)
        )
        records.append(zo.StepRecord.from_list(rec.to_list()))  # through the serialised form, as on disk
    replayed = zo.replay(start, records)
    for k in start:
        assert replayed[k].tobytes() == params[k].tobytes()


def test_non_finite_loss_rejects_the_step_and_leaves_adapters_unchanged():
    params = {"a": np.ones((2, 2), np.float32)}

    def objective(copies):
        return np.array([np.nan] * next(iter(copies.values())).shape[0])

    new, rec = zo.zo_step(objective, params, step=0, run_seed=0, q=2, eps=1e-2, lr=0.1)
    assert not rec.accepted
    assert new["a"].tobytes() == params["a"].tobytes()
