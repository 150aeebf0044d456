"""Pull the plug: SIGKILL a tuning process at 20 chosen places, resume each time, compare bit for bit.

The kills are placed by what the run has done, never by the clock, so they land in the same phases on a
fast PC and on a loaded one: right after the child prints a given step or evaluation event on its
``--json`` stream, or inside a checkpoint or export write through the crash hook in ``app.engine.storage``
(honoured only under pytest), which makes the child kill itself at an exact point of the write.
"""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from app.engine.run_files import EXPORT_DIR
from app.engine.tuning.checkpoint import load_checkpoint
from tests.support import tune_args, write_demo_csv

STEPS = 150

# Where each process of the killed run dies, in order. ("event", kind, step): killed by the test right after
# the child printed that event (a resumed child prints again the steps after its checkpoint, so every target
# lies past the previous one). ("crash", point): the child kills itself the N-th time it passes the point.
KILL_PLAN = [
    ("event", "progress", "cache"),  # preparation: building the prefix cache
    ("event", "eval", 0),  # right after the evaluation before tuning, during or before the first checkpoint
    ("event", "step", 3),
    ("crash", "write:checkpoint.npz#2"),  # checkpoint written to its temporary file, not yet renamed
    ("event", "step", 17),
    ("event", "eval", 21),
    ("crash", "write:checkpoint.npz#1"),
    ("event", "step", 40),
    ("event", "eval", 49),
    ("crash", "write:checkpoint.npz#3"),
    ("event", "step", 66),
    ("event", "eval", 77),
    ("event", "step", 95),
    ("crash", "write:checkpoint.npz#2"),
    ("event", "eval", 119),
    ("crash", "write:adapters.npz#1"),  # export phase: the adapter file
    ("crash", f"{EXPORT_DIR}:written#1"),  # merged model half-way: files in model.partial, not yet listed
    ("crash", f"{EXPORT_DIR}:staged#1"),  # merged model written to model.partial, nothing swapped yet
    ("crash", "write:report.json#1"),  # model/ in place, report not yet written
    (
        "crash",
        f"{EXPORT_DIR}:swapping#1",
    ),  # the old model/ renamed to model.old, the new one not yet in place
]


def tune_cmd(model, data, out, resume: bool) -> list[str]:
    common = [
        "--steps",
        str(STEPS),
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
    return [sys.executable, "-m", "app", *tune_args(model, data, out, *common)]


def adapters(folder) -> dict[str, bytes]:
    with np.load(folder / "adapters.npz") as z:
        return {k: z[k].tobytes() for k in z.files if k.startswith("B/")}


def matches(event: dict, kind: str, where) -> bool:
    if event.get("event") != kind:
        return False
    return event.get("stage") == where if kind == "progress" else event.get("step") == where


def run_until_killed(cmd, env, kill, stderr_file) -> tuple[int, list[dict]]:
    """Run ``cmd`` and place ``kill`` (or none); returns the exit code and the events it printed."""
    if kill is not None and kill[0] == "crash":
        env = dict(env, GENBA_TUNER_TEST_CRASH_AT=kill[1])
    with open(stderr_file, "wb") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err)
        events = []
        for line in proc.stdout:
            event = json.loads(line)
            events.append(event)
            if kill is not None and kill[0] == "event" and matches(event, kill[1], kill[2]):
                proc.send_signal(signal.SIGKILL)
                break
        proc.stdout.close()
        return proc.wait(timeout=300), events


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_at_20_places_then_resume_gives_bit_identical_adapters_and_export(tiny_gguf, tmp_path):
    data = write_demo_csv(tmp_path / "orders.csv")
    env = dict(os.environ, GENBA_TUNER_HOME=str(tmp_path / "home"), OMP_NUM_THREADS="1")
    ref = tmp_path / "reference"
    subprocess.run(tune_cmd(tiny_gguf, data, ref, resume=False), check=True, env=env, capture_output=True)

    out = tmp_path / "killed"
    stderr_file = tmp_path / "stderr.txt"
    last_events = []  # what each killed process had printed last
    for kill in [*KILL_PLAN, None]:
        resume = (out / "checkpoint.npz").exists()
        code, events = run_until_killed(tune_cmd(tiny_gguf, data, out, resume), env, kill, stderr_file)
        log = stderr_file.read_text(encoding="utf-8", errors="replace")[-2000:]
        if kill is None:
            assert code == 0, log
        else:
            # A kill after an event lands before the run could finish (every target is well before the end);
            # a crash point that is never reached makes the child finish with 0 instead, and fails here.
            assert code == -signal.SIGKILL, (kill, code, log)
            last_events.append(events[-1] if events else {})
    # The event kills stopped the child right after their event; each crash kill after its last event.
    for kill, last in zip(KILL_PLAN, last_events, strict=True):
        if kill[0] == "event":
            assert matches(last, kill[1], kill[2]), (kill, last)

    expected, got = adapters(ref), adapters(out)
    assert expected.keys() == got.keys()
    for k in expected:
        assert got[k] == expected[k], k
    p_ref, _, s_ref = load_checkpoint(ref)
    p_out, _, s_out = load_checkpoint(out)
    assert s_out.step == s_ref.step == STEPS
    assert s_out.records == s_ref.records
    for k in p_ref:
        assert p_ref[k].tobytes() == p_out[k].tobytes()
    # The export survived kills inside its own swap: the same weights, and no staging or old folder left.
    assert (out / EXPORT_DIR / "weights.bin").read_bytes() == (ref / EXPORT_DIR / "weights.bin").read_bytes()
    assert not (out / f"{EXPORT_DIR}.partial").exists()
    assert not (out / f"{EXPORT_DIR}.old").exists()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert os.path.isfile(report["exported_model"])
