"""Numerical guards and one run per folder — at the level of a whole tuning run."""

import numpy as np
import pytest

from app.engine.errors import GenbaError
from app.engine.events import StepEvent
from app.engine.models.objective import BatchObjective
from app.engine.run_lock import RunLock
from app.engine.tuning.checkpoint import load_checkpoint
from app.engine.tuning.tuner import tune
from tests.support import tiny_config, write_demo_csv


def test_nan_losses_reject_steps_halve_lr_and_stop_with_the_best_kept(tiny_gguf, tmp_path, monkeypatch):
    data = write_demo_csv(tmp_path / "orders.csv")
    calls = {"n": 0}
    original = BatchObjective.__call__

    def poisoned(self, copies):
        calls["n"] += 1
        losses = original(self, copies)
        return losses * np.nan if calls["n"] > 12 else losses  # healthy at first, then NaN forever

    monkeypatch.setattr(BatchObjective, "__call__", poisoned)
    events = []
    result = tune(
        tiny_config(tiny_gguf, data, tmp_path / "run", steps=50, q=1, copies_per_run=2), events.append
    )
    steps = [e for e in events if isinstance(e, StepEvent)]
    rejected = [e for e in steps if not e.accepted]
    assert result.stop_reason == "diverged"
    assert len(rejected) == 5
    assert [e.lr for e in rejected] == [0.05 * 0.5**i for i in range(5)]
    # The adapters delivered are the best evaluated ones, not the last ones.
    _, best, state = load_checkpoint(tmp_path / "run")
    assert result.report["best_step"] == state.best_step
    with np.load(tmp_path / "run" / "adapters.npz") as z:
        for key, value in best.items():
            assert z[f"B/{key}"].tobytes() == value.tobytes(), key


def test_a_run_that_never_beats_its_first_evaluation_delivers_the_untouched_model(
    tiny_gguf, tmp_path, monkeypatch
):
    """Tuning that does not help leaves B = 0: the result is the model as it was."""
    from app.engine.tuning import tuner

    evaluate_features = tuner.evaluate_features
    calls = {"n": 0}

    def worse_after_the_first(objective, params, rows, *args, **kwargs):
        calls["n"] += 1
        acc, loss, pred, features = evaluate_features(objective, params, rows, *args, **kwargs)
        return (acc, loss, pred, features) if calls["n"] == 1 else (0.0, loss + 100.0, pred, features)

    monkeypatch.setattr(tuner, "evaluate_features", worse_after_the_first)
    monkeypatch.setattr(tuner, "evaluate", lambda *args, **kwargs: worse_after_the_first(*args, **kwargs)[:3])
    data = write_demo_csv(tmp_path / "orders.csv")
    # Read out by the label words: on these invented rows the fitted head's word grams separate the
    # training examples with certainty (loss exactly 0), so ZO steps through it would not move at all.
    result = tune(tiny_config(tiny_gguf, data, tmp_path / "run", steps=20, export=False, head="none"))
    assert calls["n"] >= 2  # the patch is in effect: evaluations at step 0 and later
    assert result.report["best_step"] == 0
    params, _, _ = load_checkpoint(tmp_path / "run")
    assert any(np.abs(v).max() > 0 for v in params.values())  # the steps did move the adapters...
    with np.load(tmp_path / "run" / "adapters.npz") as z:
        delivered = [z[k] for k in z.files if k.startswith("B/")]
    assert delivered and all(not b.any() for b in delivered)  # ...but what is delivered is B = 0


def test_a_second_run_on_the_same_folder_is_refused_with_a_clear_message(tiny_gguf, tmp_path):
    data = write_demo_csv(tmp_path / "orders.csv")
    out = tmp_path / "run"
    out.mkdir()
    holder = RunLock(out)
    holder.acquire()
    try:
        with pytest.raises(GenbaError) as err:
            tune(tiny_config(tiny_gguf, data, out, steps=2))
        assert "another" in err.value.message("en").lower()
        assert err.value.message("ja")
    finally:
        holder.release()
    tune(tiny_config(tiny_gguf, data, out, steps=2, export=False))  # free again once released


def test_a_full_disk_during_checkpoint_stops_the_run_and_keeps_the_previous_checkpoint(
    tiny_gguf, tmp_path, monkeypatch
):
    import errno

    data = write_demo_csv(tmp_path / "orders.csv")
    out = tmp_path / "run"
    tune(tiny_config(tiny_gguf, data, out, steps=5, export=False))
    before = (out / "checkpoint.npz").read_bytes()
    savez = np.savez

    def disk_fills_mid_write(file, **arrays):
        # The real checkpoint writer runs; the disk fills after part of the file is written, so a writer
        # that wrote over checkpoint.npz directly would leave it half-written.
        file.write(b"PK\x03\x04 half of a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_fills_mid_write)
    with pytest.raises(GenbaError) as err:
        tune(tiny_config(tiny_gguf, data, out, steps=10, export=False, resume=True))
    monkeypatch.setattr(np, "savez", savez)
    assert "disk is full" in err.value.message("en").lower()
    assert (out / "checkpoint.npz").read_bytes() == before
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    # ...and the run resumes from it once there is space again.
    assert tune(tiny_config(tiny_gguf, data, out, steps=10, export=False, resume=True)).report["steps"] == 10


def test_a_full_disk_during_export_keeps_the_previous_export_and_leaves_no_partial(
    tiny_gguf, tmp_path, monkeypatch
):
    import errno

    from app.engine.models.weights import WeightWriter

    data = write_demo_csv(tmp_path / "orders.csv")
    out = tmp_path / "run"
    tune(tiny_config(tiny_gguf, data, out, steps=3))
    before = (out / "model" / "weights.bin").read_bytes()

    def disk_full(self, name, array):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(WeightWriter, "add", disk_full)
    with pytest.raises(GenbaError) as err:
        tune(tiny_config(tiny_gguf, data, out, steps=6, resume=True))
    assert "disk is full" in err.value.message("en").lower()
    assert (out / "model" / "weights.bin").read_bytes() == before
    assert not (out / "model.partial").exists()


def test_resume_refuses_a_changed_model_file(tmp_path):
    from tests.tiny_models import write_tiny_llama_gguf

    model = tmp_path / "m.gguf"
    write_tiny_llama_gguf(model, seed=1)
    data = write_demo_csv(tmp_path / "orders.csv")
    tune(tiny_config(model, data, tmp_path / "run", steps=3, export=False))
    write_tiny_llama_gguf(model, seed=2)  # same name, other weights
    with pytest.raises(GenbaError) as err:
        tune(tiny_config(model, data, tmp_path / "run", steps=6, export=False, resume=True))
    assert "model file changed" in err.value.message("en")
