"""Pull the plug: SIGKILL a tuning process at random moments, resume each time, compare bit for bit."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from app.engine.checkpoint import load_checkpoint
from tests.test_tuner import write_demo_csv

KILLS = 20


def tune_cmd(model, data, out, resume: bool) -> list[str]:
    common = [
        "--steps",
        "150",
        "--eval-every",
        "7",
        "--checkpoint-every",
        "5",
        "--max-layers",
        "2",
        "--q",
        "2",
        "--copies-per-run",
        "1",
        "--json",
    ]
    if resume:
        return [sys.executable, "-m", "app", "tune", "--resume", str(out), *common]
    return [
        sys.executable,
        "-m",
        "app",
        "tune",
        "--model",
        str(model),
        "--data",
        str(data),
        "--out",
        str(out),
        *common,
    ]


def adapters(folder) -> dict[str, bytes]:
    with np.load(folder / "adapters.npz") as z:
        return {k: z[k].tobytes() for k in z.files if k.startswith("B/")}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_at_random_moments_then_resume_gives_bit_identical_adapters(tiny_gguf, tmp_path):
    data = write_demo_csv(tmp_path / "orders.csv")
    env = dict(os.environ, GENBA_TUNER_HOME=str(tmp_path / "home"), OMP_NUM_THREADS="1")
    ref = tmp_path / "reference"
    subprocess.run(tune_cmd(tiny_gguf, data, ref, resume=False), check=True, env=env, capture_output=True)
    # How long a whole run takes bounds where the kills land: steps, evaluations, checkpoints and export.
    t = time.monotonic()
    subprocess.run(
        tune_cmd(tiny_gguf, data, tmp_path / "timing", resume=False), check=True, env=env, capture_output=True
    )
    run_seconds = time.monotonic() - t

    out = tmp_path / "killed"
    rng = np.random.default_rng(12345)
    kills = 0
    phases = []  # the last event each killed process had printed
    finished = False
    while not finished:
        resume = (out / "checkpoint.npz").exists()
        proc = subprocess.Popen(
            tune_cmd(tiny_gguf, data, out, resume), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        if kills < KILLS:
            time.sleep(float(rng.uniform(0.2, run_seconds)))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
        stdout, stderr = proc.communicate(timeout=300)
        if proc.returncode == 0:
            finished = kills >= KILLS
            if not finished:  # it completed before the kill: start over to place the remaining kills
                summary = json.loads(stdout.decode().splitlines()[-1])
                assert summary["steps"] == 150
                for f in out.iterdir():
                    if f.is_file():
                        f.unlink()
        else:
            assert proc.returncode == -signal.SIGKILL, stderr.decode()[-2000:]
            lines = [
                json.loads(x) for x in stdout.decode().splitlines() if x.startswith("{") and x.endswith("}")
            ]
            phases.append(lines[-1].get("stage", lines[-1]["event"]) if lines else "startup")
    assert kills >= KILLS
    # The kills must land inside the work, not only in interpreter start-up.
    assert sum(p in ("step", "eval", "resources") for p in phases) >= KILLS // 2, phases
    expected, got = adapters(ref), adapters(out)
    assert expected.keys() == got.keys()
    for k in expected:
        assert got[k] == expected[k], k
    p_ref, _, s_ref = load_checkpoint(ref)
    p_out, _, s_out = load_checkpoint(out)
    assert s_out.step == s_ref.step == 150
    assert s_out.records == s_ref.records
    for k in p_ref:
        assert p_ref[k].tobytes() == p_out[k].tobytes()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert os.path.isfile(report["exported_model"])
