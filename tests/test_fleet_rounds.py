"""The coordinator's rounds: a PC one message behind still counts when it answers an earlier copy of the same
question (app.fleet.rounds); an answer to another question never does."""

from __future__ import annotations

from types import SimpleNamespace

from app.fleet.rounds import ABANDON_AFTER, ABANDON_MIN_S, Rounds


def ask(node: int) -> SimpleNamespace:
    return SimpleNamespace(metadata=SimpleNamespace(dst_node_id=node))


class FakeGrid:
    """Pushed messages get ids m0, m1, ...; ``answer(id, at)`` makes a reply to that id pullable from time ``at``."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pushed: list[str] = []
        self.replies: dict[str, float] = {}  # message id -> time its reply is there

    def push_messages(self, messages):
        ids = [f"m{len(self.pushed) + k}" for k in range(len(messages))]
        self.pushed += ids
        return ids

    def pull_messages(self, ids):
        ready = [i for i in ids if i in self.replies and self.replies[i] <= self.now]
        for i in ready:
            del self.replies[i]  # the SuperLink hands a reply out once
        return [SimpleNamespace(metadata=SimpleNamespace(reply_to_message_id=i), name=i) for i in ready]

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def rounds_on(grid: FakeGrid) -> Rounds:
    return Rounds(grid, clock=lambda: grid.now, sleep=grid.sleep)


def test_a_pc_answering_the_earlier_copy_of_the_question_counts():
    grid = FakeGrid()
    rounds = rounds_on(grid)
    grid.replies["m0"] = 1.0  # PC 1 answers at once; PC 2 only after the round's timeout (10 s)
    grid.replies["m1"] = 15.0
    first = rounds.exchange(("step", 0), [ask(1), ask(2)], timeout=10.0)
    assert [m.name for m in first] == ["m0"]
    grid.replies["m2"] = 16.0  # asked again: PC 1 answers the new copy, PC 2 the one it holds
    second = rounds.exchange(("step", 0), [ask(1), ask(2)], timeout=10.0)
    assert sorted(m.name for m in second) == ["m1", "m2"] and grid.now < 20.0
    assert grid.pushed == ["m0", "m1", "m2"]  # PC 2 was not sent a second copy to work through first


def test_a_copy_unanswered_for_several_timeouts_no_longer_stops_a_new_one():
    grid = FakeGrid()
    rounds = rounds_on(grid)
    timeout = ABANDON_MIN_S / ABANDON_AFTER  # both limits at once
    for _ in range(ABANDON_AFTER):  # the PC died holding m0
        assert rounds.exchange("propose", [ask(5)], timeout=timeout) == []
    assert grid.pushed == ["m0"]
    grid.replies["m1"] = grid.now + 1.0
    assert [m.name for m in rounds.exchange("propose", [ask(5)], timeout=timeout)] == ["m1"]


def test_a_pc_slower_than_a_short_timeout_is_not_sent_a_pile_of_copies():
    grid = FakeGrid()
    rounds = rounds_on(grid)
    for _ in range(10 * ABANDON_AFTER):
        rounds.exchange(("step", 0), [ask(1)], timeout=1.0)
    assert grid.pushed == ["m0"]


def test_one_answer_per_pc_even_when_both_copies_come_back():
    grid = FakeGrid()
    rounds = rounds_on(grid)
    timeout = ABANDON_MIN_S / ABANDON_AFTER
    for _ in range(ABANDON_AFTER + 1):  # m0, then m1 once m0 is given up
        rounds.exchange("propose", [ask(7)], timeout=timeout)
    assert grid.pushed == ["m0", "m1"]
    grid.replies["m0"] = grid.replies["m1"] = grid.now + 1.0
    answers = rounds.exchange("propose", [ask(7)], timeout=timeout)
    assert len(answers) == 1


def test_an_answer_to_another_question_does_not_count():
    grid = FakeGrid()
    rounds = rounds_on(grid)
    rounds.exchange(("step", 3), [ask(1)], timeout=5.0)  # m0 unanswered; the step went on without the PC
    grid.replies["m0"] = grid.now + 1.0  # its late answer to step 3 ...
    answers = rounds.exchange(("step", 4), [ask(1)], timeout=5.0)  # ... is not an answer to step 4 (m1)
    assert answers == [] and grid.now >= 10.0
