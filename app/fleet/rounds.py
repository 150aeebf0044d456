"""The coordinator's questions to the PCs, and answers that arrive after the question was asked again.

A PC that falls behind (its first ClientApp was slow to start, or its answer was on its way when the
coordinator restarted) answers after the round's timeout. A server that then asks again and listens only for
the latest copy never hears it, and each new copy is one more message the PC must work through first: for the
head rounds, which need every PC, a loop without end. So the answers to every copy of the same question
(``key``: the step, or the head round and what it asks) count, one per PC, and a PC that still holds an
unanswered copy is not sent another one unless that copy is older than ``ABANDON_AFTER`` timeouts and
``ABANDON_MIN_S`` (a copy lost with a PC that died and came back under the same id; a PC that is gone for
good gets an error reply from the SuperLink, which counts as its answer).

Works with any ``grid`` that pushes and pulls Flower messages (``flwr.serverapp.Grid``); no Flower import here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

POLL_SECONDS = 0.05  # between pulls of answers from the SuperLink
ABANDON_AFTER = 3  # round timeouts after which an unanswered copy no longer stops a new one ...
ABANDON_MIN_S = 600.0  # ... and never sooner than this (a PC slower than a short timeout is not sent a pile)


class Rounds:
    """Push a question to PCs and pull their answers, counting answers to earlier copies of the same question."""

    def __init__(self, grid, clock: Callable[[], float] = time.monotonic, sleep=time.sleep) -> None:
        self.grid, self.clock, self.sleep = grid, clock, sleep
        self.key: Hashable = None
        # The unanswered copies of ``key``: message id -> (node id, when it was pushed).
        self.asked: dict[str, tuple[int, float]] = {}

    def exchange(self, key: Hashable, messages: list, timeout: float) -> list:
        """Push ``messages`` (one per PC) and return the first answer of each PC, to this copy or an earlier
        copy of the question ``key``, until every PC answered or ``timeout`` passed."""
        if key != self.key:
            self.key, self.asked = key, {}
        now = self.clock()
        patience = max(ABANDON_AFTER * timeout, ABANDON_MIN_S)
        busy = {node for node, at in self.asked.values() if now - at < patience}
        fresh = [m for m in messages if m.metadata.dst_node_id not in busy]
        ids = list(self.grid.push_messages(fresh)) if fresh else []
        self.asked |= {i: (m.metadata.dst_node_id, now) for i, m in zip(ids, fresh, strict=True) if i}
        left = {m.metadata.dst_node_id for m in messages}
        answers = []
        end = self.clock() + timeout
        while left and self.asked:
            for m in self.grid.pull_messages(set(self.asked)):
                node, _ = self.asked.pop(m.metadata.reply_to_message_id, (None, 0.0))
                if node in left:
                    left.discard(node)
                    answers.append(m)
            if not left or self.clock() >= end:
                break
            self.sleep(POLL_SECONDS)
        return answers
