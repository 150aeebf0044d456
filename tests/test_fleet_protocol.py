"""The fleet's arithmetic without Flower: exact sums, combining answers, rejecting faulty PCs, catching up."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.data.split import Split
from app.engine.tuning import zo
from app.fleet.coordinator import Coordinator, write_spec
from app.fleet.member import FleetMember
from app.fleet.protocol import ClientReport, FleetSpec, check_report, combine, exact_units
from tests.fleet_support import tiny_spec, write_parts


def spec_of(**kw) -> FleetSpec:
    base = dict(model="m", model_sha256="0" * 64, labels=("a", "b"), layers=(1,), q=2, eps=0.01, steps=4)
    return FleetSpec(**(base | kw))


def report(name: str, losses_plus, losses_minus, step: int = 0) -> ClientReport:
    plus = tuple(exact_units(np.asarray(v, np.float32)) for v in losses_plus)
    minus = tuple(exact_units(np.asarray(v, np.float32)) for v in losses_minus)
    return ClientReport(name, step, len(losses_plus[0]), plus, minus)


def test_exact_sums_of_parts_equal_the_sum_of_the_whole_in_any_order():
    rng = np.random.default_rng(0)
    values = (rng.standard_normal(1000) * 10.0 ** rng.integers(-8, 8, 1000)).astype(np.float32)
    parts = np.split(rng.permutation(values), [100, 350, 700])
    assert sum(exact_units(p) for p in parts) == exact_units(values)
    # and they are exact: float64 summation of the same values depends on the order
    assert exact_units(values) * 2.0**-149 == pytest.approx(math.fsum(values.astype(np.float64)), rel=1e-15)


def test_weighted_mean_of_three_pcs_is_the_pooled_batch_gradient():
    rng = np.random.default_rng(1)
    plus, minus = rng.random((2, 9)).astype(np.float32), rng.random((2, 9)).astype(np.float32)
    spec = spec_of()
    cuts = [(0, 2), (2, 7), (7, 9)]  # unequal parts: an unweighted mean of PC means would differ
    pcs = [report(f"pc{k}", plus[:, a:b], minus[:, a:b]) for k, (a, b) in enumerate(cuts)]
    fleet = combine(spec, 0, pcs).record
    pooled = combine(spec, 0, [report("one", plus, minus)]).record
    assert fleet.projected_grads == pooled.projected_grads and fleet.loss == pooled.loss
    expected = (plus.astype(np.float64).mean(1) - minus.astype(np.float64).mean(1)) / 0.02
    assert np.allclose(fleet.projected_grads, expected, rtol=1e-12)
    assert fleet.seeds == spec.seeds(0) and fleet.accepted


def test_a_pc_sending_nan_or_huge_values_is_rejected_and_named():
    spec = spec_of(max_abs_grad=100.0)
    good = [report(f"pc{k}", [[1.0, 2.0]] * 2, [[1.1, 2.0]] * 2) for k in range(2)]
    nan = ClientReport("line-3", 0, 2, (0, 0), (0, 0), finite=False)
    huge = report("shift-b", [[1e6, 1e6]] * 2, [[0.0, 0.0]] * 2)
    wrong_step = report("late", [[1.0, 1.0]] * 2, [[1.0, 1.0]] * 2, step=3)
    out = combine(spec, 0, [*good, nan, huge, wrong_step])
    assert set(out.rejected) == {"line-3", "shift-b", "late"}
    assert "non-finite" in out.rejected["line-3"] and "beyond the limit" in out.rejected["shift-b"]
    assert out.used == ("pc0", "pc1")
    assert out.record.projected_grads == combine(spec, 0, good).record.projected_grads


def test_median_rule_ignores_one_pc_with_a_wild_but_finite_gradient():
    spec = spec_of(rule="median", max_abs_grad=1e9)
    honest = [report(f"pc{k}", [[1.0 + k * 1e-3]] * 2, [[1.0]] * 2) for k in range(3)]
    wild = report("wild", [[500.0]] * 2, [[0.0]] * 2)
    mean_out = combine(spec_of(max_abs_grad=1e9), 0, [*honest, wild]).record.projected_grads
    median_out = combine(spec, 0, [*honest, wild]).record.projected_grads
    honest_grads = [r.projected_grads(spec.eps)[0] for r in honest]
    assert min(honest_grads) <= median_out[0] <= max(honest_grads)
    assert mean_out[0] > 10 * max(honest_grads)


def test_malformed_answers_raise_value_error_for_the_server_to_reject():
    with pytest.raises(ValueError):
        ClientReport.from_wire(
            {"name": "x", "step": 0, "count": 1, "plus": ["nan"], "minus": ["1"], "finite": True}
        )
    assert check_report(ClientReport("x", 0, 0, (1, 1), (1, 1)), spec_of(), 0) == "no examples"


def test_pcs_with_disjoint_parts_equal_one_pc_on_the_pooled_examples(tmp_path, tiny_gguf):
    spec = tiny_spec(tiny_gguf, steps=3)
    parts = write_parts(tmp_path, 3)
    pcs = [FleetMember.from_data(spec, f"pc{k}", p, tmp_path / f"pc{k}") for k, p in enumerate(parts)]
    splits = [m.split for m in pcs]
    one = FleetMember(
        spec,
        "one",
        Split(*(sum((getattr(s, f) for s in splits), ()) for f in ("train", "val", "test"))),
        tmp_path / "one",
    )
    offsets = np.cumsum([0] + [len(s.train) for s in splits])
    for step in range(spec.steps):
        rec = combine(spec, step, [m.report(step) for m in pcs]).record
        rows = np.concatenate([m.batch(step) + offsets[k] for k, m in enumerate(pcs)])
        one.apply(step, [combine(spec, step, [one.report(step, rows)]).record])
        for m in pcs:
            m.apply(step, [rec])
    assert any(np.abs(v).max() > 0 for v in one.params.values())
    for m in pcs:
        assert all(np.array_equal(m.params[k], one.params[k]) for k in one.params)


def test_a_pc_that_missed_records_catches_up_by_replay_and_refuses_a_gap(tmp_path, tiny_gguf):
    spec = tiny_spec(tiny_gguf, steps=4)
    (part,) = write_parts(tmp_path, 1)
    on = FleetMember.from_data(spec, "on", part, tmp_path / "on")
    records = []
    for step in range(spec.steps):
        records.append(combine(spec, step, [on.report(step)]).record)
        on.apply(step, records[-1:])
    on.save()
    back = FleetMember.from_data(spec, "back", part, tmp_path / "back")
    back.apply(0, records[:1])
    back.save()
    with pytest.raises(Exception, match="Missing fleet records 1 to 2"):
        back.apply(3, records[3:])
    reopened = FleetMember.from_data(spec, "back", part, tmp_path / "back")  # a restarted PC: its log only
    assert len(reopened.records) == 1
    reopened.apply(0, records)  # the server sends everything from its last known point; held ones are skipped
    assert all(np.array_equal(reopened.params[k], on.params[k]) for k in on.params)
    assert all(
        np.array_equal(FleetMember.from_data(spec, "on", part, tmp_path / "on").params[k], on.params[k])
        for k in on.params
    )


def test_coordinator_continues_from_its_own_step_log(tmp_path):
    spec = spec_of()
    write_spec(tmp_path / "server", spec)
    first = Coordinator(tmp_path / "server")
    for step in range(2):
        first.add_step(combine(spec, step, [report("pc0", [[1.0], [2.0]], [[1.5], [2.0]], step)]), 0.1)
    restarted = Coordinator(tmp_path / "server")
    assert restarted.step == 2 and restarted.records == first.records
    assert isinstance(restarted.records[0], zo.StepRecord)
    with pytest.raises(Exception, match="another fleet"):
        write_spec(tmp_path / "server", spec_of(q=3))
