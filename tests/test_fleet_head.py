"""The fleet's head (app.fleet.head): PCs propose heads fitted on their own examples, the coordinator averages
them, the PCs vote on their validation examples, and every PC then reads out through the same weights."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.errors import GenbaError
from app.engine.tuning.head import LAMBDAS
from app.fleet.head import (
    FleetHead,
    HeadProposal,
    average,
    candidates_from_wire,
    candidates_to_wire,
    check_proposal,
    check_votes,
    choose,
    screen_proposals,
)
from app.fleet.member import FleetMember
from app.fleet.protocol import combine
from tests.fleet_support import tiny_spec, write_parts

L = len(LAMBDAS)


def proposal(name: str, count: int, value: float, hidden: int = 4) -> HeadProposal:
    return HeadProposal(
        name, count, np.full((L, 3, hidden), value, np.float32), np.full((L, 3), -value, np.float32)
    )


def test_average_is_weighted_by_example_counts_and_independent_of_answer_order():
    a, b = proposal("a", 1, 1.0), proposal("b", 3, 5.0)
    w, bias = average([a, b])
    assert np.allclose(w, 4.0) and np.allclose(bias, -4.0)  # (1 * 1 + 3 * 5) / 4
    w2, bias2 = average([b, a])
    assert np.array_equal(w, w2) and np.array_equal(bias, bias2)


def test_proposals_and_candidates_survive_the_wire_exactly():
    rng = np.random.default_rng(0)
    p = HeadProposal(
        "pc", 7, rng.normal(size=(L, 3, 5)).astype(np.float32), rng.normal(size=(L, 3)).astype(np.float32)
    )
    back = HeadProposal.from_wire(p.to_wire())
    assert back.name == "pc" and back.count == 7
    assert np.array_equal(back.weights, p.weights) and np.array_equal(back.bias, p.bias)
    w, b = candidates_from_wire(candidates_to_wire(p.weights, p.bias))
    assert np.array_equal(w, p.weights) and np.array_equal(b, p.bias)
    head = FleetHead(p.weights[1], p.bias[1], LAMBDAS[1], 0.5, 4, ("pc",))
    again = FleetHead.from_json(head.to_json())
    assert again.fingerprint() == head.fingerprint() and again.lam == head.lam and again.pcs == ("pc",)


def test_malformed_or_non_finite_proposals_are_rejected_by_reason():
    wire = proposal("x", 2, 1.0).to_wire()
    wire["head_values"] = wire["head_values"][:-1]
    with pytest.raises(ValueError, match="head values"):
        HeadProposal.from_wire(wire)
    bad = proposal("nan", 2, float("nan"))
    assert "non-finite" in check_proposal(bad, 3, None)
    assert "wide" in check_proposal(proposal("w", 2, 1.0, hidden=6), 3, 4)
    assert "not" in check_proposal(proposal("c", 2, 1.0), 2, None)
    assert check_proposal(proposal("ok", 0, 1.0), 3, None) == "no training examples"
    assert check_proposal(proposal("ok", 2, 1.0), 3, 4) is None
    assert check_votes([1] * L, 3, L) is None
    assert "do not fit" in check_votes([4] + [0] * (L - 1), 3, L)
    assert "counts for" in check_votes([1], 3, L)


def test_the_server_screens_proposals_and_names_every_pc_it_refuses():
    broken = proposal("broken", 2, 1.0).to_wire()
    broken["head_values"] = broken["head_values"][:3]
    answers = [
        proposal("a", 2, 1.0).to_wire(),
        broken,
        proposal("nan", 2, float("nan")).to_wire(),
        proposal("wide", 2, 1.0, hidden=6).to_wire(),  # the first accepted one is 4 wide
        proposal("a", 5, 2.0).to_wire(),
        proposal("b", 3, 3.0).to_wire(),
    ]
    good, rejected = screen_proposals(answers, 3)
    assert [(p.name, p.count) for p in good] == [("a", 2), ("b", 3)]
    assert "malformed" in rejected["broken"] and "non-finite" in rejected["nan"]
    assert "wide" in rejected["wide"] and rejected["a"] == "a second answer under the same name"


def test_choose_takes_most_right_answers_over_all_pcs_and_ties_go_to_the_stronger_pull():
    w, b = np.arange(L * 6, dtype=np.float32).reshape(L, 3, 2), np.zeros((L, 3), np.float32)
    votes = {"a": ([1, 5, 2, 5, 0], 6), "b": ([3, 1, 4, 1, 0], 6)}
    head = choose(w, b, votes, ("b", "a"))
    assert head.lam == LAMBDAS[1] and np.array_equal(
        head.weights, w[1]
    )  # 6 right vs 4, 6, 6: first of the 6s
    assert head.val_accuracy == pytest.approx(6 / 12) and head.n_val == 12 and head.pcs == ("a", "b")
    assert choose(w, b, {}, ("a",)).lam == LAMBDAS[0]


def test_three_pcs_agree_on_one_head_that_every_pc_reads_out_through(tmp_path, tiny_gguf):
    spec = tiny_spec(tiny_gguf, steps=2)
    parts = write_parts(tmp_path, 3)
    pcs = [FleetMember.from_data(spec, f"pc{k}", p, tmp_path / f"pc{k}") for k, p in enumerate(parts)]
    before = [pc.accuracy("val") for pc in pcs]
    proposals = [pc.propose_head() for pc in pcs]
    assert all(check_proposal(p, len(spec.labels), None) is None for p in proposals)
    weights, bias = average(proposals)
    head = choose(
        weights,
        bias,
        {pc.name: (pc.vote(weights, bias), len(pc.val_rows)) for pc in pcs},
        ("pc0", "pc1", "pc2"),
    )
    for pc in pcs:
        pc.set_head(head)
    after = [pc.accuracy("val") for pc in pcs]
    n_val = [len(pc.val_rows) for pc in pcs]
    # The chosen head's accuracy as the vote counted it is what the PCs measure through the ONNX graph.
    assert sum(a * n for a, n in zip(after, n_val, strict=True)) / sum(n_val) == pytest.approx(
        head.val_accuracy
    )
    assert head.val_accuracy >= sum(a * n for a, n in zip(before, n_val, strict=True)) / sum(n_val)
    for step in range(spec.steps):  # ZO steps go through the head; every PC stays bit-identical
        rec = combine(spec, step, [pc.report(step) for pc in pcs]).record
        for pc in pcs:
            pc.apply(step, [rec])
    pcs[0].save()
    reopened = FleetMember.from_data(spec, "pc0", parts[0], tmp_path / "pc0")  # its log keeps the head
    assert reopened.head.fingerprint() == head.fingerprint()
    assert reopened.accuracy("val") == pcs[0].accuracy("val")
    with pytest.raises(GenbaError, match="another head"):
        reopened.set_head(FleetHead(head.weights + 1, head.bias, head.lam, 0.0, 0, ()))
    for pc in pcs + [reopened]:
        pc.close()


def test_a_damaged_fleet_file_is_an_error_naming_it(tmp_path):
    from app.fleet.coordinator import HEAD_FILE, SPEC_FILE, read_head, read_spec

    (tmp_path / SPEC_FILE).write_text("{not json", encoding="utf-8")
    (tmp_path / HEAD_FILE).write_text('{"weights": []}', encoding="utf-8")  # a field missing
    with pytest.raises(GenbaError, match="settings file cannot be read") as spec_error:
        read_spec(tmp_path)
    assert spec_error.value.path == str(tmp_path / SPEC_FILE)
    with pytest.raises(GenbaError, match="head file cannot be read") as head_error:
        read_head(tmp_path)
    assert head_error.value.path == str(tmp_path / HEAD_FILE)
