"""The answer to a typed text by the run's best model so far, read out as validation reads it.

The run calls ``answer_question`` between steps, in its own thread (``RunControl.ask``): the text gets its own
encoding, prefix states and fixed features, and goes through the run's sessions with the best adapters and
the best head. Nothing the run keeps is touched: no random draw, no read-out, no counter, so a run that was
asked questions ends bit-identical to one that was not (``tests/test_answers.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.data.prompting import PromptSpec
from app.engine.errors import GenbaError
from app.engine.events import AnswerEvent
from app.engine.models.tunable import TunableModel, Tuning
from app.engine.tuning import zo
from app.engine.tuning.head import HeadFit
from app.engine.tuning.run_control import Question
from app.engine.tuning.run_heads import RunHeads

CANNOT_ANSWER = (
    "This text could not be answered; the tuning goes on.",
    "この文には答えられませんでした。調整はそのまま続きます。",
)


@dataclass(frozen=True)
class _Typed:
    """A typed text in the shape ``TunableModel.encode`` reads (its label is a placeholder)."""

    text: str
    label: str


@dataclass(frozen=True)
class BestSoFar:
    """What answers: the best adapters and head of the run at this moment, and the round they come from."""

    params: zo.Params
    head: HeadFit | None
    step: int


@dataclass(frozen=True)
class Answerer:
    """What a run answers with: its model, prompt and sessions (``Tuning.for_texts``) and its heads."""

    model: TunableModel
    spec: PromptSpec
    max_tokens: int
    long_text: str
    tuning: Tuning
    heads: RunHeads

    def probabilities(self, text: str, best: BestSoFar) -> np.ndarray:
        """[C] probability of each label (``spec.labels`` order) for ``text``, by the best model so far."""
        spec = self.spec
        encoded = self.model.encode(spec, [_Typed(text, spec.labels[0])], self.max_tokens, self.long_text)
        texts = self.tuning.for_texts(encoded)
        copies = {k: v[None] for k, v in best.params.items()}
        readout = self.heads.readout_of_texts(best.head, texts)
        _, logits, _ = texts.objective.run(np.arange(1), copies, readout)
        scores = logits[0, 0].astype(np.float64)  # [C]: the one copy's one text
        e = np.exp(scores - scores.max())
        return e / e.sum()

    def answer(self, question: Question, best: BestSoFar) -> AnswerEvent:
        """The answer to ``question``; a failure is an answer that says so, never an exception (a question
        must not end the run)."""
        tuned = best.step > 0 or best.head is not None
        try:
            p = self.probabilities(question.text, best)
        except Exception as exc:  # noqa: BLE001 - the run goes on; the face shows the sentence
            en, ja = (exc.message("en"), exc.message("ja")) if isinstance(exc, GenbaError) else CANNOT_ANSWER
            return AnswerEvent(question.number, question.text, "", 0.0, best.step, tuned, en, ja)
        k = int(p.argmax())
        return AnswerEvent(question.number, question.text, self.spec.labels[k], float(p[k]), best.step, tuned)
