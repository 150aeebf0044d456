"""No network, checked by the operating system rather than by patching Python's ``socket``.

A tune (model conversion from a fresh cache, tuning, export) runs through the CLI in a child process,
traced by strace, and again in a network namespace without interfaces (``unshare -n``). Native code in
onnxruntime or tokenizers that opened a socket would show in the trace, where a Python patch never sees it.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support import tune_args

REPO = Path(__file__).resolve().parents[1]
# System calls that create, connect or use a socket; strace's network class also lists sendfile (file copies).
SOCKET_CALLS = frozenset(
    {"socket", "connect", "bind", "listen", "accept", "accept4", "sendto", "sendmsg", "sendmmsg"}
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="strace and network namespaces are Linux's")


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _write_orders(path: Path) -> Path:
    rng = np.random.default_rng(0)
    words = {"leak": ["oil", "hose", "leak"], "fine": ["great", "good", "engine"]}
    lines = ["text,label"]
    for label, choices in words.items():
        for i in range(12):
            w = rng.choice(choices, size=3)
            lines.append(f"{w[0]} {w[1]} number {i} {w[2]},{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_tune(folder: Path, model: Path, *, wrapper: tuple[str, ...] = ()) -> Path:
    """One small tune through the CLI from a fresh model cache; returns its run folder."""
    folder.mkdir()
    data = _write_orders(folder / "orders.csv")
    out = folder / "run"
    env = {**os.environ, "GENBA_TUNER_HOME": str(folder / "home")}  # forces a fresh conversion
    command = [
        *wrapper,
        sys.executable,
        "-m",
        "app.cli",
        "--lang",
        "en",
        *tune_args(model, data, out, "--steps", "3"),
        "--eval-every",
        "2",
        "--checkpoint-every",
        "2",
        "--max-layers",
        "2",
    ]
    child = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, child.stdout + child.stderr
    assert (out / "model" / "model.onnx").is_file()
    return out


def test_tune_conversion_and_export_make_no_socket_system_call(tiny_gguf, tmp_path):
    strace = shutil.which("strace")
    if strace is None or not _works([strace, "-f", "-o", os.devnull, "true"]):
        pytest.skip("strace is missing or may not trace here (scripts/test.sh installs it when run as root)")
    trace = tmp_path / "trace.txt"
    run_tune(tmp_path / "traced", tiny_gguf, wrapper=(strace, "-f", "-e", "trace=network", "-o", str(trace)))
    calls = [
        line
        for line in trace.read_text(encoding="utf-8", errors="replace").splitlines()
        if (m := re.match(r"\d+\s+(\w+)\(", line)) and m.group(1) in SOCKET_CALLS
    ]
    assert calls == [], "\n".join(calls[:20])


def test_tune_in_a_network_namespace_without_interfaces_matches_an_ordinary_run(tiny_gguf, tmp_path):
    unshare = shutil.which("unshare")
    if unshare is None or not _works([unshare, "-n", "true"]):
        pytest.skip("unshare -n is missing or not permitted here (it needs root or user namespaces)")
    ordinary = run_tune(tmp_path / "ordinary", tiny_gguf)
    offline = run_tune(tmp_path / "offline", tiny_gguf, wrapper=(unshare, "-n"))
    for name in ("adapters.npz", "model/weights.bin"):
        assert (offline / name).read_bytes() == (ordinary / name).read_bytes(), name
