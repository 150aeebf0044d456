"""One PC of a fleet: its own examples and split, the shared start, and the step log it has applied.

A member answers a round with exact loss sums over its own batch (``protocol.ClientReport``) and applies
the combined records it receives. Its state is the log alone (``member_log.json`` in its folder): adapters
are rebuilt from the shared zero start by ``zo.replay``, so a PC that was off catches up from records, never
from weights. Every example is run on its own (one example per forward pass, for the cache and the loss):
ONNX Runtime's kernels may round differently with the batch size, and a PC's losses must not depend on
which other examples share its batch, or the fleet would not equal the pooled run bit for bit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from app.engine.data.examples import Example, load_examples
from app.engine.data.prompting import encode_examples, make_prompt_spec
from app.engine.data.split import Split, split_examples
from app.engine.errors import GenbaError
from app.engine.models.adapters import AdapterConfig, zero_b
from app.engine.models.catalog import ensure_converted, resolve_model
from app.engine.models.llama_config import AdapterSite
from app.engine.models.llama_model import LlamaModel, Readout, SuffixObjective
from app.engine.storage import atomic_write_json
from app.engine.tuning import zo
from app.engine.tuning.head import LAMBDAS, fit_path
from app.engine.tuning.schedule import batch_rows
from app.engine.tuning.scoring import evaluate, features_of
from app.fleet.head import FleetHead, HeadProposal
from app.fleet.protocol import ClientReport, FleetSpec, exact_units

MEMBER_LOG = "member_log.json"


def split_for(spec: FleetSpec, examples: tuple[Example, ...]) -> Split:
    """The PC's own train / validation / test split (its test part never leaves it, and is read at the end)."""
    return split_examples(
        examples, val_fraction=spec.val_fraction, test_fraction=spec.test_fraction, seed=spec.split_seed
    )


class FleetMember:
    def __init__(
        self, spec: FleetSpec, name: str, split: Split, state_dir: str | os.PathLike[str], threads: int = 1
    ) -> None:
        self.spec, self.name, self.split = spec, name, split
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        unknown = sorted({e.label for e in split.train + split.val + split.test} - set(spec.labels))
        if unknown:
            raise GenbaError(
                f"This PC's examples have labels the fleet does not know: {', '.join(unknown)} "
                f"(the fleet's labels: {', '.join(spec.labels)}).",
                f"この PC の学習データに、共同調整にないラベルがあります: {', '.join(unknown)}"
                f"（共同調整のラベル: {', '.join(spec.labels)}）。",
                field="labels",
            )
        ref = resolve_model(spec.model)
        if ref.sha256 != spec.model_sha256:
            raise GenbaError(
                "This PC's model file differs from the fleet's (its SHA-256 does not match).",
                "この PC のモデルファイルは共同調整のものと異なります（SHA-256 が一致しません）。",
                path=ref.source,
            )
        self.model = LlamaModel.open(ensure_converted(ref), threads=threads)
        prompt = make_prompt_spec(spec.labels, spec.template, spec.label_words)
        everything = split.train + split.val + split.test
        self.encoded = encode_examples(self.model.tokenizer(), prompt, everything, spec.max_tokens)
        n_train, n_val = len(split.train), len(split.val)
        self.train_rows = np.arange(n_train)
        self.val_rows = np.arange(n_train, n_train + n_val)
        self.test_rows = np.arange(n_train + n_val, len(everything))
        start = min(spec.layers)
        sites = [AdapterSite(layer, p) for layer in spec.layers for p in spec.projections]
        adapter_cfg = AdapterConfig(rank=spec.rank, alpha=spec.alpha, seed=spec.seed)
        cache = self.model.build_prefix_cache(self.encoded, start, batch_size=1, spill_dir=self.state_dir)
        session = self.model.loss_session(start, sites, adapter_cfg)
        self.label_head = self.model.label_head(self.encoded.label_token_ids)
        readout = Readout.label_words(self.label_head, len(self.encoded))
        self.objective = SuffixObjective(session, cache, self.encoded, readout, sites)
        self.start = zero_b(self.model.site_shapes(sites), adapter_cfg)
        self.head: FleetHead | None = None
        self.records: list[zo.StepRecord] = []
        records, head = self._load_log()
        if head is not None:
            self.set_head(head)
        self.records = records
        self.params = zo.replay(self.start, self.records)

    @classmethod
    def from_data(
        cls,
        spec: FleetSpec,
        name: str,
        data: str | os.PathLike[str],
        state_dir: str | os.PathLike[str],
        text_column: str | None = None,
        label_column: str | None = None,
        threads: int = 1,
    ) -> FleetMember:
        dataset = load_examples(data, text_column=text_column, label_column=label_column)
        return cls(spec, name, split_for(spec, dataset.examples), state_dir, threads)

    # --- the log ---------------------------------------------------------------------------------------
    def _load_log(self) -> tuple[list[zo.StepRecord], FleetHead | None]:
        path = self.state_dir / MEMBER_LOG
        if not path.is_file():
            return [], None
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            if d["fleet"] != self.spec.fingerprint():
                raise GenbaError(
                    "This PC's fleet folder belongs to another fleet (different start settings).",
                    "この PC の共同調整用フォルダーは別の共同調整（開始設定が異なる）のものです。",
                    path=path,
                )
            head = FleetHead.from_json(d["head"]) if d.get("head") else None
            return [zo.StepRecord.from_list(v) for v in d["records"]], head
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise GenbaError(
                "This PC's fleet log is damaged.",
                "この PC の共同調整記録が壊れています。",
                path=path,
                detail=repr(exc),
            ) from exc

    def save(self) -> None:
        atomic_write_json(
            self.state_dir / MEMBER_LOG,
            {
                "fleet": self.spec.fingerprint(),
                "name": self.name,
                "records": [r.to_list() for r in self.records],
                "head": self.head.to_json() if self.head is not None else None,
            },
        )

    # --- the fleet's head (app.fleet.head) ---------------------------------------------------------------
    def set_head(self, head: FleetHead) -> None:
        """Read out through the fleet's head from now on; it must come before any step (steps went through it)."""
        if self.head is not None and self.head.fingerprint() == head.fingerprint():
            return
        if self.head is not None or self.records:
            raise GenbaError(
                "The fleet sent another head after tuning had started.",
                "調整が始まった後で、共同調整から別の読み取り部分が届きました。",
            )
        if head.weights.shape != self.label_head.shape:
            raise GenbaError(
                f"The fleet's head has the shape {head.weights.shape}, this PC's model needs {self.label_head.shape}.",
                f"共同調整の読み取り部分の形 {head.weights.shape} が、この PC のモデル {self.label_head.shape} と合いません。",
            )
        self.head = head
        self.objective.readout = Readout(
            head.weights, np.broadcast_to(head.bias, (len(self.encoded), len(head.bias))).astype(np.float32)
        )

    def propose_head(self) -> HeadProposal:
        """Heads fitted on this PC's training examples at the start, one per strength."""
        fits = fit_path(
            features_of(self.objective, self.start, self.train_rows),
            self.encoded.label_index[self.train_rows],
            self.label_head,
        )
        assert len(fits) == len(LAMBDAS)
        return HeadProposal(
            self.name,
            len(self.train_rows),
            np.stack([f.head() for f in fits]),
            np.stack([f.b for f in fits]).astype(np.float32),
        )

    def vote(self, weights: np.ndarray, bias: np.ndarray) -> list[int]:
        """How many of this PC's validation examples each candidate head answers right, at the start."""
        if not len(self.val_rows):
            return [0] * len(weights)
        h = features_of(self.objective, self.start, self.val_rows).astype(np.float64)
        truth = self.encoded.label_index[self.val_rows]
        scores = np.einsum("nh,lch->lnc", h, weights.astype(np.float64)) + bias[:, None, :]
        return [int(c) for c in (scores.argmax(-1) == truth).sum(axis=1)]

    def apply(self, first: int, records: list[zo.StepRecord]) -> int:
        """Apply the fleet's records ``first``, ``first + 1``, ...; those this PC already holds are skipped.

        Returns how many records the PC now holds. A gap (records it never saw) raises: it asks for them.
        """
        if first > len(self.records):
            raise GenbaError(
                f"Missing fleet records {len(self.records)} to {first - 1}.",
                f"共同調整の記録 {len(self.records)}〜{first - 1} が欠けています。",
            )
        for i, rec in enumerate(records, start=first):
            if i < len(self.records):
                continue
            if rec.accepted:
                self.params = zo.apply_update(self.params, rec.seeds, rec.projected_grads, rec.lr)
            self.records.append(rec)
        return len(self.records)

    # --- a round's answer --------------------------------------------------------------------------------
    def batch(self, step: int) -> np.ndarray:
        """This PC's examples of a step: a pure function of (seed, step, its training examples)."""
        return batch_rows(self.spec.seed, step, len(self.train_rows), self.spec.batch_size)

    def report(
        self, step: int, rows: np.ndarray | None = None, seeds: tuple[int, ...] | None = None
    ) -> ClientReport:
        """Exact loss sums of the step's 2q copies over this PC's batch (``rows``, ``seeds``: overrides for
        the pooled reference and the local-steps benchmark)."""
        spec = self.spec
        rows = self.batch(step) if rows is None else np.asarray(rows)
        seeds = spec.seeds(step) if seeds is None else seeds
        zs = [zo.perturbation(s, self.params) for s in seeds]
        eps32 = np.float32(spec.eps)
        signs = [(+1.0, z) for z in zs] + [(-1.0, z) for z in zs]
        copies = {
            k: np.stack([self.params[k] + np.float32(s) * eps32 * z[k] for s, z in signs])
            for k in self.params
        }  # [2q, r, out]
        losses = np.concatenate(
            [self.objective.run(np.array([r]), copies)[0] for r in rows], axis=1
        )  # [2q, E]
        finite = bool(np.isfinite(losses).all())
        sums = [exact_units(losses[c]) if finite else 0 for c in range(2 * spec.q)]
        return ClientReport(self.name, step, len(rows), tuple(sums[: spec.q]), tuple(sums[spec.q :]), finite)

    def accuracy(self, part: str) -> float:
        """This PC's accuracy on its own validation or test examples with the current adapters."""
        rows = {"val": self.val_rows, "test": self.test_rows, "train": self.train_rows}[part]
        return evaluate(self.objective, self.params, rows)[0]

    def close(self) -> None:
        if self.objective.cache is not None:
            self.objective.cache.close()
