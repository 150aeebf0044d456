"""Fleet test helpers: a spec for the tiny model, demo data cut into disjoint parts per PC, and a fleet of\nreal Flower processes on localhost (free ports; every process stopped by ``close``)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path

from app.engine.models.catalog import resolve_model
from app.fleet import launch
from app.fleet.coordinator import write_spec
from app.fleet.protocol import FleetSpec
from tests.support import WORDS

RUN_TIMEOUT = 900  # seconds: a safety net for a hung run, not a measurement


def tiny_spec(model: Path, **kw) -> FleetSpec:
    base = dict(
        model=str(model),
        model_sha256=resolve_model(str(model)).sha256,
        labels=tuple(sorted(WORDS)),
        layers=(1, 2),
        projections=("q", "v"),
        rank=4,
        q=2,
        lr=0.05,
        batch_size=4,
        steps=4,
        eval_every=2,
        max_tokens=32,
    )
    base.update(kw)
    return FleetSpec(**base)


def write_parts(folder: Path, parts: int, per_label: int = 6) -> list[Path]:
    """``parts`` CSVs of short repair notes with disjoint texts (PC k's notes carry 'site k')."""
    import numpy as np

    rng = np.random.default_rng(1)
    paths = []
    for k in range(parts):
        lines = ["text,label"]
        for label, words in WORDS.items():
            for i in range(per_label):
                w = rng.choice(words, size=3)
                lines.append(f"{w[0]} {w[1]} site {k} note {i} {w[2]},{label}")
        path = folder / f"pc{k}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


class RecordingProxy:
    """A TCP relay in front of the SuperLink that keeps every byte one SuperNode sends."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.sent = bytearray()
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self.pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, False), daemon=True).start()

    def pump(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    with self.lock:
                        self.sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                s.close()

    def close(self) -> bytes:
        self.server.close()
        with self.lock:
            return bytes(self.sent)


class Fleet:
    """A SuperLink, one SuperNode per part, and the ServerApp's run; every process stopped at the end."""

    def __init__(
        self, root: Path, spec, parts: list[Path], min_pcs: int, round_timeout: float = 60.0, record_pc0=False
    ):
        self.root, self.parts = root, parts
        self.server = root / "server"
        write_spec(self.server, spec)
        self.port = launch.free_port()
        self.env = launch.process_env(root / "flwr-home")
        launch.write_connection(root / "flwr-home", f"127.0.0.1:{self.port}")
        self.procs: list[subprocess.Popen] = []
        self.restart_link()
        self.proxy = RecordingProxy(self.port) if record_pc0 else None
        self.nodes = [self.start_node(k) for k in range(len(parts))]
        self.min_pcs, self.round_timeout = min_pcs, round_timeout

    def restart_link(self) -> None:
        command = launch.superlink_command(self.port, host="127.0.0.1", database=self.root / "superlink.db")
        self.link = self.start(command, self.root / "superlink.log")
        launch.wait_for_port("127.0.0.1", self.port, self.link)

    def start(self, cmd, log) -> subprocess.Popen:
        proc = launch.start(cmd, self.env, log)
        self.procs.append(proc)
        return proc

    def start_node(self, k: int) -> subprocess.Popen:
        config = launch.node_config(f"pc{k}", self.parts[k], self.root / f"pc{k}")
        port = self.proxy.port if self.proxy is not None and k == 0 else self.port
        cmd = launch.supernode_command(f"127.0.0.1:{port}", config, launch.free_port())
        return self.start(cmd, self.root / f"pc{k}.log")

    def run(self) -> subprocess.Popen:
        cmd = launch.run_command(self.server, self.min_pcs, self.round_timeout)
        return self.start(cmd, self.root / "run.log")

    def finish(self, run: subprocess.Popen, timeout: float = RUN_TIMEOUT) -> None:
        """Wait for the ServerApp's run to end well; otherwise fail with every process's log."""
        try:
            code = run.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the fleet run did not end in {timeout:g} s\n{self.logs()}") from None
        assert code == 0, f"the fleet run ended with code {code}\n{self.logs()}"

    def wait_for(self, condition, what: str, run: subprocess.Popen, timeout: float = RUN_TIMEOUT) -> None:
        """Poll a condition on the processes' files (a safety timeout, not a synchronisation by sleeping);
        fail at once, with the logs, if the run ends first."""
        end = time.monotonic() + timeout
        while not condition():
            assert run.poll() is None, (
                f"the fleet run ended (code {run.returncode}) before {what}\n{self.logs()}"
            )
            assert time.monotonic() < end, f"timed out waiting for {what}\n{self.logs()}"
            time.sleep(0.2)

    def logs(self, lines: int = 30) -> str:
        """The last non-blank lines of each process's log (the run's, the SuperLink's, each PC's)."""
        parts = []
        for log in sorted(self.root.glob("*.log")):
            text = log.read_text(encoding="utf-8", errors="replace").splitlines()
            parts.append(f"--- {log.name}\n" + "\n".join([t for t in text if t.strip()][-lines:]))
        return "\n".join(parts)

    def close(self) -> None:
        for proc in reversed(self.procs):
            launch.stop(proc)
