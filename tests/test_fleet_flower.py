"""The fleet on Flower's deployment engine: a SuperLink and three SuperNodes on localhost, real processes.

Each PC holds a disjoint part of the examples. The fleet's adapters must equal, bit for bit, one PC's run
on the pooled examples with the same seeds and batches; a PC killed mid-run rejoins and ends equal too.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from app.engine.data.examples import Split
from app.fleet import launch
from app.fleet.coordinator import STEPS_LOG, read_status, write_spec
from app.fleet.member import MEMBER_LOG, FleetMember
from app.fleet.protocol import combine
from tests.fleet_support import tiny_spec, write_parts

pytest.importorskip("flwr")
RUN_TIMEOUT = 900  # seconds: a safety net for a hung run, not a measurement


class Fleet:
    """A SuperLink, one SuperNode per part, and the ServerApp's run; every process stopped at the end."""

    def __init__(self, root: Path, spec, parts: list[Path], min_pcs: int, round_timeout: float = 60.0):
        self.root, self.parts = root, parts
        self.server = root / "server"
        write_spec(self.server, spec)
        self.port = launch.free_port()
        self.env = launch.process_env(root / "flwr-home")
        launch.write_connection(root / "flwr-home", f"127.0.0.1:{self.port}")
        self.procs: list[subprocess.Popen] = []
        self.link = self.start(launch.superlink_command(self.port, host="127.0.0.1"), root / "superlink.log")
        launch.wait_for_port("127.0.0.1", self.port, self.link)
        self.nodes = [self.start_node(k) for k in range(len(parts))]
        self.min_pcs, self.round_timeout = min_pcs, round_timeout

    def start(self, cmd, log) -> subprocess.Popen:
        proc = launch.start(cmd, self.env, log)
        self.procs.append(proc)
        return proc

    def start_node(self, k: int) -> subprocess.Popen:
        config = launch.node_config(f"pc{k}", self.parts[k], self.root / f"pc{k}")
        cmd = launch.supernode_command(f"127.0.0.1:{self.port}", config, launch.free_port())
        return self.start(cmd, self.root / f"pc{k}.log")

    def run(self) -> subprocess.Popen:
        cmd = launch.run_command(self.server, self.min_pcs, self.round_timeout)
        return self.start(cmd, self.root / "run.log")

    def close(self) -> None:
        for proc in reversed(self.procs):
            launch.stop(proc)


def member_records(folder: Path) -> list:
    return json.loads((folder / MEMBER_LOG).read_text(encoding="utf-8"))["records"]


def pooled_reference(spec, parts: list[Path], folder: Path) -> dict[str, np.ndarray]:
    """One PC holding every part's examples, stepping on the union of the parts' batches."""
    members = [FleetMember.from_data(spec, f"pc{k}", p, folder / f"part{k}") for k, p in enumerate(parts)]
    splits = [m.split for m in members]
    pooled = Split(*(sum((getattr(s, f) for s in splits), ()) for f in ("train", "val", "test")))
    one = FleetMember(spec, "one", pooled, folder / "one")
    offsets = np.cumsum([0] + [len(s.train) for s in splits])
    for step in range(spec.steps):
        rows = np.concatenate([m.batch(step) + offsets[k] for k, m in enumerate(members)])
        one.apply(step, [combine(spec, step, [one.report(step, rows)]).record])
    return one.params


@pytest.fixture
def fleet_parts(tmp_path, tiny_gguf):
    return tiny_spec(tiny_gguf, steps=3), write_parts(tmp_path, 3)


def test_three_supernodes_equal_one_pc_on_the_pooled_examples_bit_for_bit(tmp_path, fleet_parts):
    spec, parts = fleet_parts
    fleet = Fleet(tmp_path / "fleet", spec, parts, min_pcs=3)
    try:
        run = fleet.run()
        assert run.wait(timeout=RUN_TIMEOUT) == 0
    finally:
        fleet.close()
    status = read_status(fleet.server)
    assert status["finished"] and status["step"] == spec.steps
    assert sorted(status["pcs"]) == ["pc0", "pc1", "pc2"]
    steps = [json.loads(line) for line in (fleet.server / STEPS_LOG).read_text().splitlines()]
    assert all(sorted(s["used"]) == ["pc0", "pc1", "pc2"] for s in steps)  # synchronous: every PC, every step
    reference = pooled_reference(spec, parts, tmp_path / "reference")
    for k in range(3):
        pc = FleetMember.from_data(spec, f"pc{k}", parts[k], fleet.root / f"pc{k}")
        assert len(pc.records) == spec.steps
        for key in reference:
            assert np.array_equal(pc.params[key], reference[key]), (k, key)
        pc.close()
