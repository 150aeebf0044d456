"""The coordinator's side: the fleet's step log, which PCs answered, and the status the faces show.

Its folder holds ``fleet.json`` (the spec), ``fleet_head.json`` (the head agreed on before the first step),
``fleet_steps.jsonl`` (one line per step: the record and which PCs went into it or were rejected, and why)
and ``fleet_status.json`` (per-PC names, example counts, last
seen, accuracies; the pooled figures; the loss per step for the live chart). A restarted server continues
from its own step log.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

from app.engine.errors import GenbaError
from app.engine.models.catalog import ensure_converted, resolve_model
from app.engine.models.llama_model import LlamaModel
from app.engine.storage import atomic_write_json
from app.engine.tuning import zo
from app.fleet.head import FleetHead
from app.fleet.protocol import Combined, FleetSpec

SPEC_FILE = "fleet.json"
STEPS_LOG = "fleet_steps.jsonl"
STATUS_FILE = "fleet_status.json"
HEAD_FILE = "fleet_head.json"  # the head the PCs agreed on before the first step (app.fleet.head)
VIEW_FILE = "fleet_view.json"  # on each PC: the coordinator's latest view of the fleet, sent with every round
VIEW_LOSSES = 1000  # the last steps' losses a view carries (for the live chart)


def write_spec(folder: str | os.PathLike[str], spec: FleetSpec) -> Path:
    """Write the fleet's start into its folder; an existing fleet there must be the same one (a resume)."""
    folder = Path(folder)
    path = folder / SPEC_FILE
    if path.is_file():
        if read_spec(folder).fingerprint() != spec.fingerprint():
            raise GenbaError(
                "This folder holds another fleet (different settings). Choose a new folder to start a new one.",
                "このフォルダーには別の設定の共同調整があります。新しく始めるには別のフォルダーを選んでください。",
                path=path,
            )
        return path
    if folder.exists() and any(folder.iterdir()):
        raise GenbaError(
            "The fleet folder must be new or empty (it holds other files).",
            "共同調整用フォルダーは新しいか空である必要があります（他のファイルがあります）。",
            path=folder,
        )
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, json.loads(spec.to_json()))
    return path


def _read(path: Path, parse, en: str, ja: str):
    """``parse`` of a fleet file's text; a missing or damaged file is a GenbaError naming it."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise GenbaError(en, ja, path=path, detail=repr(exc)) from exc


def read_spec(folder: str | os.PathLike[str]) -> FleetSpec:
    return _read(
        Path(folder) / SPEC_FILE,
        FleetSpec.from_json,
        "The fleet settings file cannot be read.",
        "共同調整の設定ファイルを読めません。",
    )


def read_status(folder: str | os.PathLike[str]) -> dict | None:
    """The fleet's status in a coordinator's folder (or the view in a PC's folder); None before the first
    round or while it is being replaced."""
    folder = Path(folder)
    for name in (STATUS_FILE, VIEW_FILE):
        try:
            return json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return None


class Coordinator:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.spec = read_spec(self.folder)
        self.records: list[zo.StepRecord] = []
        self.status: dict = {"pcs": {}, "losses": [], "rejected": [], "finished": False, "pooled": {}}
        self.head: FleetHead | None = None
        if (self.folder / HEAD_FILE).is_file():
            self.head = read_head(self.folder)
        log = self.folder / STEPS_LOG
        if log.is_file():  # a restarted server continues from its own log
            for line in log.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.records.append(zo.StepRecord.from_list(entry["record"]))
                    self.status["losses"].append([entry["record"][0], entry["record"][4]])
        previous = read_status(self.folder)
        if previous:
            self.status["pcs"] = previous.get("pcs", {})
            self.status["rejected"] = previous.get("rejected", [])

    @property
    def step(self) -> int:
        return len(self.records)

    def set_head(self, head: FleetHead, rejected: dict[str, str]) -> None:
        atomic_write_json(self.folder / HEAD_FILE, json.loads(head.to_json()))
        self.head = head
        for name, why in rejected.items():
            self.status["rejected"].append({"step": -1, "pc": name, "reason": why})
        self.write_status()

    def add_step(self, combined: Combined, seconds: float) -> None:
        rec = combined.record
        entry = {
            "record": rec.to_list(),
            "used": list(combined.used),
            "rejected": combined.rejected,
            "seconds": round(seconds, 3),
        }
        with open(self.folder / STEPS_LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.records.append(rec)
        self.status["losses"].append([rec.step, rec.loss])
        for name, why in combined.rejected.items():
            self.status["rejected"].append({"step": rec.step, "pc": name, "reason": why})
        self.write_status()

    def seen(self, name: str, **figures) -> None:
        """A PC answered: its name, example counts, accuracies; stamped with the time."""
        pc = self.status["pcs"].setdefault(name, {})
        pc.update({k: v for k, v in figures.items() if v is not None})
        pc["last_seen"] = time.time()

    def pool(self) -> None:
        """Pooled accuracies: each PC's, weighted by its number of examples of that part."""
        for part in ("val", "test"):
            pcs = [p for p in self.status["pcs"].values() if f"{part}_accuracy" in p and p.get(f"n_{part}")]
            n = sum(p[f"n_{part}"] for p in pcs)
            if n:
                acc = sum(p[f"{part}_accuracy"] * p[f"n_{part}"] for p in pcs) / n
                self.status["pooled"][f"{part}_accuracy"] = acc
                self.status["pooled"][f"n_{part}"] = n

    def view(self) -> dict:
        """What every PC is shown: the PCs (names, example counts, last seen, accuracies), the pooled
        figures and the recent losses -- the same live chart everywhere."""
        return {
            "pcs": self.status["pcs"],
            "pooled": self.status["pooled"],
            "losses": self.status["losses"][-VIEW_LOSSES:],
            "step": self.step,
            "steps": self.spec.steps,
            "finished": self.status["finished"],
            "head": self.head_summary(),
            "now": time.time(),
        }

    def head_summary(self) -> dict | None:
        h = self.head
        if h is None:
            return None
        acc = None if math.isnan(h.val_accuracy) else h.val_accuracy
        return {"lam": h.lam, "val_accuracy": acc, "n_val": h.n_val, "pcs": list(h.pcs)}

    def write_status(self, finished: bool = False) -> None:
        self.pool()
        self.status["head"] = self.head_summary()
        self.status["step"] = self.step
        self.status["steps"] = self.spec.steps
        self.status["finished"] = finished
        atomic_write_json(self.folder / STATUS_FILE, self.status)


def read_head(folder: str | os.PathLike[str]) -> FleetHead:
    return _read(
        Path(folder) / HEAD_FILE,
        FleetHead.from_json,
        "The fleet's head file cannot be read.",
        "共同調整の読み取り部分のファイルを読めません。",
    )


def spec_for(model: str, labels: list[str], layers: list[int] | None = None, **settings) -> FleetSpec:
    """The fleet's start from a model and its labels; layers default to the model's top two."""
    ref = resolve_model(model)
    if layers is None:
        n = LlamaModel.open(ensure_converted(ref)).cfg.n_layers
        layers = [n - 2, n - 1] if n > 1 else [0]
    return FleetSpec(
        model=str(model),
        model_sha256=ref.sha256,
        labels=tuple(sorted(labels)),
        layers=tuple(layers),
        **settings,
    )
