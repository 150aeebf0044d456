"""Pause, stop and questions for a run: what a face sets from any thread and the engine reads between steps."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    """A text the operator typed, to be answered by the best model so far (``AnswerEvent.question``)."""

    number: int
    text: str


class RunControl:
    """Pause/stop flags and a queue of questions, set by the face (any thread), read by the engine between steps.

    A question is answered between steps in the run's own thread, which owns the model's sessions; while the
    run is paused it is answered at once (the pause wakes for it and goes on).
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._stop = False
        self._paused = False
        self._questions: list[Question] = []
        self._numbers = itertools.count(1)

    def stop(self) -> None:
        with self._changed:
            self._stop = True
            self._paused = False
            self._changed.notify_all()

    def pause(self) -> None:
        with self._changed:
            self._paused = True

    def resume(self) -> None:
        with self._changed:
            self._paused = False
            self._changed.notify_all()

    def ask(self, text: str) -> int:
        """Queue a question for the run; returns its number (the answer's ``AnswerEvent.question``)."""
        with self._changed:
            question = Question(next(self._numbers), text)
            self._questions.append(question)
            self._changed.notify_all()
        return question.number

    def take_questions(self) -> list[Question]:
        """The questions asked since the last call, oldest first (the engine answers each once)."""
        with self._changed:
            questions, self._questions = self._questions, []
        return questions

    @property
    def stopped(self) -> bool:
        return self._stop

    @property
    def paused(self) -> bool:
        return self._paused

    def wait_while_paused(self, answer: Callable[[list[Question]], None] | None = None) -> float:
        """Block while paused, answering questions as they come; returns the seconds spent paused (not
        charged to the budget)."""
        if not self._paused:
            return 0.0
        t = time.monotonic()
        while True:
            with self._changed:
                while self._paused and not (answer is not None and self._questions):
                    self._changed.wait()
                if not self._paused:
                    break
                questions, self._questions = self._questions, []
            answer(questions)  # outside the lock: the face may ask, resume or stop meanwhile
        return time.monotonic() - t
