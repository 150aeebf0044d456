"""The fleet on Flower's deployment engine: a SuperLink and three SuperNodes on localhost, real processes.

Each PC holds a disjoint part of the examples. The fleet's adapters must equal, bit for bit, one PC's run
on the pooled examples with the same seeds and batches; a PC killed mid-run rejoins and ends equal too.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from app.engine.data.split import Split
from app.engine.tuning.scoring import features_of
from app.fleet import launch
from app.fleet.coordinator import STEPS_LOG, read_head, read_status
from app.fleet.member import MEMBER_LOG, FleetMember
from app.fleet.protocol import combine
from tests.fleet_support import Fleet, tiny_spec, write_parts

pytest.importorskip("flwr")


def member_records(folder: Path) -> list:
    return json.loads((folder / MEMBER_LOG).read_text(encoding="utf-8"))["records"]


def pooled_reference(spec, parts: list[Path], folder: Path, server: Path) -> dict[str, np.ndarray]:
    """One PC holding every part's examples, stepping on the union of the parts' batches, from the same start
    (the fleet's head included)."""
    members = [FleetMember.from_data(spec, f"pc{k}", p, folder / f"part{k}") for k, p in enumerate(parts)]
    splits = [m.split for m in members]
    pooled = Split(*(sum((getattr(s, f) for s in splits), ()) for f in ("train", "val", "test")))
    one = FleetMember(spec, "one", pooled, folder / "one")
    one.set_head(read_head(server))
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
        fleet.finish(run)
    finally:
        fleet.close()
    status = read_status(fleet.server)
    assert status["finished"] and status["step"] == spec.steps
    assert sorted(status["pcs"]) == ["pc0", "pc1", "pc2"]
    # Every PC's own final-test accuracy, and the pooled one weighted by their test rows.
    pcs = status["pcs"].values()
    assert status["pooled"]["n_test"] == sum(pc["n_test"] for pc in pcs) > 0
    weighted = sum(pc["test_accuracy"] * pc["n_test"] for pc in pcs) / status["pooled"]["n_test"]
    assert status["pooled"]["test_accuracy"] == pytest.approx(weighted)
    steps = [json.loads(line) for line in (fleet.server / STEPS_LOG).read_text().splitlines()]
    assert all(sorted(s["used"]) == ["pc0", "pc1", "pc2"] for s in steps)  # synchronous: every PC, every step
    # The head the PCs agreed on before the first step: all three proposed and voted, and every PC holds it.
    head = read_head(fleet.server)
    assert head.pcs == ("pc0", "pc1", "pc2") and status["head"]["n_val"] == status["pooled"]["n_val"]
    reference = pooled_reference(spec, parts, tmp_path / "reference", fleet.server)
    for k in range(3):
        pc = FleetMember.from_data(spec, f"pc{k}", parts[k], fleet.root / f"pc{k}")
        assert pc.head.fingerprint() == head.fingerprint()
        assert len(pc.records) == spec.steps
        for key in reference:
            assert np.array_equal(pc.params[key], reference[key]), (k, key)
        pc.close()


def test_a_supernode_killed_mid_run_rejoins_by_replaying_records_and_ends_equal(tmp_path, tiny_gguf):
    spec = tiny_spec(tiny_gguf, steps=4)
    parts = write_parts(tmp_path, 3)
    fleet = Fleet(tmp_path / "fleet", spec, parts, min_pcs=3, round_timeout=60.0)
    pc2_log = fleet.root / "pc2" / MEMBER_LOG
    try:
        run = fleet.run()
        fleet.wait_for(
            lambda: pc2_log.is_file() and len(member_records(fleet.root / "pc2")) >= 1,
            "pc2's first record",
            run,
        )
        os.killpg(fleet.nodes[2].pid, signal.SIGKILL)  # the PC's SuperNode and its ClientApp die at once
        fleet.nodes[2].wait()
        held_when_killed = len(member_records(fleet.root / "pc2"))
        assert held_when_killed < spec.steps
        fleet.nodes[2] = fleet.start_node(2)  # the same PC (name, examples, folder) comes back
        fleet.finish(run)
    finally:
        fleet.close()
    logs = [member_records(fleet.root / f"pc{k}") for k in range(3)]
    assert len(logs[0]) == spec.steps and logs[0] == logs[1] == logs[2]
    final = [FleetMember.from_data(spec, f"pc{k}", parts[k], fleet.root / f"pc{k}") for k in range(3)]
    for key in final[0].params:
        assert np.array_equal(final[0].params[key], final[2].params[key])
        assert np.array_equal(final[1].params[key], final[2].params[key])
    assert read_status(fleet.server)["pcs"]["pc2"]["have"] == spec.steps


def test_a_pc_sends_no_example_text_token_id_or_feature_vector(tmp_path, tiny_gguf):
    spec = tiny_spec(tiny_gguf, steps=2)
    parts = write_parts(tmp_path, 2)
    fleet = Fleet(tmp_path / "fleet", spec, parts, min_pcs=2, record_pc0=True)
    try:
        run = fleet.run()
        fleet.finish(run)
    finally:
        fleet.close()
        sent = fleet.proxy.close()
    pc0 = FleetMember.from_data(spec, "pc0", parts[0], tmp_path / "check")
    assert b"pc0" in sent and b"val_accuracy" in sent  # the recording is readable: the PC's answers are in it
    for example in pc0.split.train + pc0.split.val + pc0.split.test:
        assert example.text.encode("utf-8") not in sent
    assert b"site 0 note" not in sent
    for ids in pc0.encoded.ids:
        for dtype in ("<i8", "<i4"):
            assert ids.astype(dtype).tobytes() not in sent
        assert ", ".join(map(str, ids)).encode() not in sent and " ".join(map(str, ids)).encode() not in sent
    cache = pc0.objective.cache
    for r in range(len(pc0.encoded)):
        hidden = cache.batch(np.array([r]))[0, 0, :4]  # the first hidden state of each example
        assert hidden.astype("<f4").tobytes() not in sent and hidden.astype("<f8").tobytes() not in sent
    # The head's input (final-norm state at the answer position): the PC sent heads fitted on these, not them.
    assert b"head_values" in sent
    for features in features_of(pc0.objective, pc0.start, np.arange(len(pc0.encoded))):
        assert (
            features[:4].astype("<f4").tobytes() not in sent
            and features[:4].astype("<f8").tobytes() not in sent
        )
    pc0.close()
    print(
        f"\nbytes sent by one PC: {len(sent)} for {spec.steps} steps (+ final sync), {len(sent) / spec.steps:.0f}/step"
    )


def test_a_restarted_coordinator_continues_from_its_step_log(tmp_path, tiny_gguf):
    spec = tiny_spec(tiny_gguf, steps=3)
    parts = write_parts(tmp_path, 2)
    # A PC whose answer was on its way when the SuperLink died can lag the restarted one (seen once in 12
    # repeats: two 60 s rounds went on without pc1). A round timeout longer than that lag keeps every PC in every
    # step, so the run can still equal the pooled one bit for bit.
    fleet = Fleet(tmp_path / "fleet", spec, parts, min_pcs=2, round_timeout=300.0)
    try:
        run = fleet.run()
        fleet.wait_for(lambda: steps_logged(fleet.server) >= 1, "the first step", run)
        os.killpg(fleet.link.pid, signal.SIGKILL)  # the SuperLink and the ServerApp it started
        fleet.link.wait()
        launch.stop(run)  # its log stream lost the SuperLink
        before = (fleet.server / STEPS_LOG).read_text().splitlines()
        fleet.restart_link()  # same port: the SuperNodes reconnect by themselves
        fleet.finish(fleet.run())
    finally:
        fleet.close()
    after = (fleet.server / STEPS_LOG).read_text().splitlines()
    assert len(after) == spec.steps and after[: len(before)] == before
    logs = [member_records(fleet.root / f"pc{k}") for k in range(2)]
    assert logs[0] == logs[1] and [r[0] for r in logs[0]] == list(range(spec.steps))
    reference = pooled_reference(spec, parts, tmp_path / "reference", fleet.server)
    pc = FleetMember.from_data(spec, "pc0", parts[0], fleet.root / "pc0")
    assert all(np.array_equal(pc.params[key], reference[key]) for key in reference)
    pc.close()


def steps_logged(server: Path) -> int:
    path = server / STEPS_LOG
    return len(path.read_text().splitlines()) if path.is_file() else 0


def test_rounds_shorter_than_an_answer_still_agree_on_the_head_and_finish(tmp_path, tiny_gguf):
    """A round timeout below every PC's answer time (each ClientApp takes seconds to start): the answers to the
    earlier copy of each question count, so the head rounds, which need every PC, end, and so does the run."""
    spec = tiny_spec(tiny_gguf, steps=2)
    parts = write_parts(tmp_path, 2)
    fleet = Fleet(tmp_path / "fleet", spec, parts, min_pcs=2, round_timeout=1.0)
    try:
        fleet.finish(fleet.run())
    finally:
        fleet.close()
    assert read_head(fleet.server).pcs == ("pc0", "pc1")
    status = read_status(fleet.server)
    assert status["head"]["n_val"] == sum(pc["n_val"] for pc in status["pcs"].values()) > 0  # both PCs voted
    assert status["finished"] and status["step"] == spec.steps
