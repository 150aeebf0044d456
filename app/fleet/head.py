"""The fleet's head: one linear read-out, fitted by every PC on its own examples and averaged.

A fleet without it reads its answers out through the LM head's label words, as a single-PC run does before
its head is fitted; on the demo work orders (3 PCs, SmolLM2) that ended at 38.9 % on the pooled test rows
after 30 rounds, where one PC's first head reaches 97 %. So before its first step the fleet agrees on a head:

1. *propose*: every PC fits, on the final-norm hidden states of its own training examples at the start (no
   adapter moved), one multinomial logistic regression per strength of ``app.engine.tuning.head.LAMBDAS``
   (``fit_path``: started from the label words, pulled towards them) and sends the weights and its example
   count: C x H + C numbers per strength, a summary of its examples like a gradient, never an example's
   features;
2. the coordinator averages them per strength, weighted by the counts (``average``);
3. *vote*: every PC counts how many of its own validation examples each averaged head answers right; the
   strength with most right answers over all PCs is the fleet's head (``choose``; ties go to the stronger
   pull). Test examples are never read.

The head is then part of the shared start, as the model and the prompt are: every PC reads out through the
same weights, the ZO steps move the adapters through it, and a PC that joins later is sent it with the
records it lacks. It costs two rounds. An exact fit over the fleet (the single-PC head's) would cost one
round per function evaluation of L-BFGS, 50-150 of them, and a round takes 20-30 s on Flower; on the demo
work orders the average of 3 PCs' heads scored what the exact fit on their pooled examples scores, 69.4 %
on the pooled test rows (docs/BENCHMARKS.md, "Fleet tuning").
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np

from app.engine.tuning.head import LAMBDAS
from app.fleet.protocol import screen


@dataclass(frozen=True)
class HeadProposal:
    """One PC's heads, one per strength of ``LAMBDAS``, in the raw features' terms."""

    name: str
    count: int  # training examples they were fitted on
    weights: np.ndarray  # [L, C, H] float32
    bias: np.ndarray  # [L, C] float32

    def to_wire(self) -> dict:
        shape, values = _pack(self.weights, self.bias)
        return {"name": self.name, "head_count": self.count, "head_shape": shape, "head_values": values}

    @classmethod
    def from_wire(cls, d) -> HeadProposal:
        """Parse a PC's proposal; anything malformed raises ValueError (the PC is then rejected by name)."""
        return cls(str(d["name"]), int(d["head_count"]), *_unpack(d["head_shape"], d["head_values"]))


def _pack(weights: np.ndarray, bias: np.ndarray) -> tuple[list[int], list[float]]:
    """[L, C, H] weights and [L, C] biases as plain values for a ConfigRecord (float32 -> float is exact)."""
    return list(weights.shape), np.concatenate([weights.ravel(), bias.ravel()]).astype(float).tolist()


def _unpack(shape, values) -> tuple[np.ndarray, np.ndarray]:
    """``_pack``'s inverse; a count of values that does not fit the shape raises ValueError."""
    n_strengths, n_classes, hidden = (int(x) for x in shape)
    flat = np.asarray(list(values), dtype=np.float64)
    if flat.size != n_strengths * n_classes * (hidden + 1):
        raise ValueError(f"{flat.size} head values for the shape {n_strengths}x{n_classes}x{hidden}")
    cut = n_strengths * n_classes * hidden
    return (
        flat[:cut].reshape(n_strengths, n_classes, hidden).astype(np.float32),
        flat[cut:].reshape(n_strengths, n_classes).astype(np.float32),
    )


def screen_proposals(answers, n_classes: int) -> tuple[list[HeadProposal], dict[str, str]]:
    """The usable proposals among the PCs' answers, and why each other one was refused, by PC name."""
    parsed, rejected = [], {}
    for a in answers:
        try:
            parsed.append(HeadProposal.from_wire(a))
        except (KeyError, ValueError, TypeError) as exc:
            rejected[str(a["name"])] = f"malformed head: {exc!r}"
    good, refused = screen(
        parsed, lambda p, good: check_proposal(p, n_classes, good[0].weights.shape[2] if good else None)
    )
    return good, rejected | refused


def check_proposal(p: HeadProposal, n_classes: int, hidden: int | None) -> str | None:
    """Why this proposal cannot be used, or None (``hidden``: the width the other PCs sent, if known)."""
    if p.count < 1:
        return "no training examples"
    if p.weights.shape[:2] != (len(LAMBDAS), n_classes):
        return f"sent heads of shape {p.weights.shape[:2]}, not {(len(LAMBDAS), n_classes)}"
    if hidden is not None and p.weights.shape[2] != hidden:
        return f"sent heads {p.weights.shape[2]} wide, the others {hidden}"
    if not (np.isfinite(p.weights).all() and np.isfinite(p.bias).all()):
        return "non-finite (NaN or infinite) head weights"
    return None


def average(proposals: list[HeadProposal]) -> tuple[np.ndarray, np.ndarray]:
    """Per strength, the proposals' mean weighted by their example counts: ([L, C, H], [L, C]) float32.

    Summed in the order of the PCs' names, so the same answers give the same head whatever order they came in.
    """
    ordered = sorted(proposals, key=lambda p: p.name)
    total = sum(p.count for p in ordered)
    weights = sum(p.weights.astype(np.float64) * (p.count / total) for p in ordered)
    bias = sum(p.bias.astype(np.float64) * (p.count / total) for p in ordered)
    return weights.astype(np.float32), bias.astype(np.float32)


def candidates_to_wire(weights: np.ndarray, bias: np.ndarray) -> dict:
    shape, values = _pack(weights, bias)
    return {"candidates_shape": shape, "candidates": values}


def candidates_from_wire(d) -> tuple[np.ndarray, np.ndarray]:
    return _unpack(d["candidates_shape"], d["candidates"])


@dataclass(frozen=True)
class FleetHead:
    """The head every PC reads out through: ``features @ weights.T + bias``."""

    weights: np.ndarray  # [C, H] float32
    bias: np.ndarray  # [C] float32
    lam: float
    val_accuracy: float  # of the chosen head on all PCs' validation examples at the start (nan: none)
    n_val: int
    pcs: tuple[str, ...]  # whose proposals were averaged

    def to_json(self) -> str:
        return json.dumps(
            {
                "weights": self.weights.astype(float).tolist(),
                "bias": self.bias.astype(float).tolist(),
                "lam": self.lam,
                "val_accuracy": None if math.isnan(self.val_accuracy) else self.val_accuracy,
                "n_val": self.n_val,
                "pcs": list(self.pcs),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> FleetHead:
        d = json.loads(text)
        acc = d["val_accuracy"]
        return cls(
            np.asarray(d["weights"], dtype=np.float32),
            np.asarray(d["bias"], dtype=np.float32),
            float(d["lam"]),
            float("nan") if acc is None else float(acc),
            int(d["n_val"]),
            tuple(d["pcs"]),
        )

    def fingerprint(self) -> str:
        return hashlib.sha256(self.weights.tobytes() + self.bias.tobytes()).hexdigest()[:16]


def choose(
    weights: np.ndarray, bias: np.ndarray, votes: dict[str, tuple[list[int], int]], pcs: tuple[str, ...]
) -> FleetHead:
    """The candidate with most right answers on all PCs' validation examples (``votes``: name -> (right
    answers per candidate, validation examples)); ties, and no votes at all, go to the stronger pull."""
    right = np.zeros(len(weights), dtype=np.int64)
    n_val = 0
    for counts, n in votes.values():
        right += np.asarray(counts, dtype=np.int64)
        n_val += n
    best = int(np.argmax(right))  # the first maximum: LAMBDAS run strongest first
    acc = float(right[best]) / n_val if n_val else float("nan")
    return FleetHead(weights[best], bias[best], LAMBDAS[best], acc, n_val, tuple(sorted(pcs)))


def check_votes(counts, n_val: int, n_candidates: int) -> str | None:
    if len(counts) != n_candidates:
        return f"sent {len(counts)} counts for {n_candidates} heads"
    if n_val < 0 or any(c < 0 or c > n_val for c in counts):
        return f"counts {list(counts)} do not fit {n_val} validation examples"
    return None
