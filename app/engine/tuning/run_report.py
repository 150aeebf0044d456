"""The report of a finished run (report.json before the export adds its files): what was tuned, how, and
what it is worth on held-out examples."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.data.examples import Dataset
from app.engine.data.prompting import PromptSpec
from app.engine.data.split import Split
from app.engine.models.catalog import ModelRef
from app.engine.tuning.checkpoint import RunState
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.energy import EnergyReading


@dataclass(frozen=True)
class RunFacts:
    """What the run was given and prepared, as the report names it."""

    cfg: TuneConfig
    ref: ModelRef
    dataset: Dataset
    data_sha256: str
    model_data_sha256: dict[str, str]  # external weight files of a user's ONNX model, by name
    split: Split
    spec: PromptSpec
    site_keys: list[str]
    copies_per_run: int


@dataclass(frozen=True)
class Outcome:
    """The result the run reports: the best validation figures, and what the held-out examples said."""

    stop_reason: str
    accuracy: float
    loss: float
    step: int
    readout: (
        str  # "label words", "head" (the model's features and fixed blocks) or "words" (text blocks only)
    )
    held_out: dict  # test (or, without a test split, validation) figures and the keyword model's
    energy: EnergyReading
    peak_rss_mb: float
    forward_examples: int


def run_report(facts: RunFacts, state: RunState, outcome: Outcome) -> dict:
    """The report's entries; ``export.export_run`` adds the files it writes."""
    cfg, st, split = facts.cfg, state, facts.split
    reading = outcome.energy
    report = {
        "model": facts.ref.display_name,
        "model_file": str(facts.ref.source),
        "model_sha256": facts.ref.sha256,
        "data": [str(s) for s in facts.dataset.sources],
        "data_sha256": facts.data_sha256,
        "examples_train": len(split.train),
        "examples_val": len(split.val),
        "examples_test": len(split.test),
        "test_examples": len(split.test),
        "duplicates_removed": split.duplicates_removed,
        "rows_skipped": len(facts.dataset.skipped),
        "labels": list(facts.spec.labels),
        # The report summarises the sources by this (a folder of 2,000 files is not listed file by file).
        "rows_per_label": {
            label: sum(ex.label == label for ex in facts.dataset.examples) for label in facts.spec.labels
        },
        "prompt": facts.spec.to_dict(),
        "steps": st.step,
        "seconds": round(st.seconds, 2),
        "stop_reason": outcome.stop_reason,
        # Validation chose the result (a maximum over it flatters it); test, read once, reports it.
        "val_accuracy_before": st.accuracy_before,
        "val_accuracy_after": outcome.accuracy,
        "val_loss_before": st.loss_before,
        "val_loss_after": outcome.loss,
        "best_step": outcome.step,
        **outcome.held_out,
        "energy_wh": round(reading.wh, 4),
        "energy_source": reading.source,
        "energy_assumption": {"en": reading.assumption_en, "ja": reading.assumption_ja},
        "peak_rss_mb": round(outcome.peak_rss_mb, 1),
        "model_kind": facts.ref.kind,
        "tuned_layers": st.info["layers"],
        "tuned_sites": facts.site_keys,
        "layer_choice": st.info.get("layer_reason", {}),
        "projections": list(cfg.projections),
        "adapter": {"rank": cfg.rank, "alpha": cfg.alpha, "seed": cfg.seed},
        "zo": {
            "q": cfg.q,
            "q_schedule": cfg.q_schedule,
            "eps": cfg.eps,
            "lr": cfg.lr,
            "lr_final": st.lr,
            "batch_size": cfg.batch_size,
            "copies_per_run": facts.copies_per_run,
            "copies_timing_s": st.info.get("copies_timing_s"),
        },
        "prefix_cache_mb": st.info.get("prefix_cache_mb"),
        "prefix_cache_storage": st.info.get("prefix_cache_storage"),
        "forward_examples": outcome.forward_examples,
        "head": st.info.get("head"),
        "readout": outcome.readout,
        "exported_model": None,
    }
    if facts.model_data_sha256:
        report["model_data_sha256"] = facts.model_data_sha256
    for key in ("zero_shot", "encoder_features"):  # an encoder's: no zero-shot answer, how its states pool
        if key in st.info:
            report[key] = st.info[key]
    return report
