"""Whether a saved run may be resumed: same model, same examples, same settings that shape its steps."""

from __future__ import annotations

from pathlib import Path

from app.engine.errors import GenbaError
from app.engine.tuning.config import TuneConfig

# Everything that changes the steps' arithmetic, the split, or how examples are encoded and labelled.
FIXED_ON_RESUME = (
    "seed",
    "q",
    "q_schedule",
    "q_max",
    "eps",
    "batch_size",
    "rank",
    "alpha",
    "projections",
    "split_seed",
    "val_fraction",
    "max_val",
    "text_column",
    "label_column",
    "max_tokens",
    "long_text",
    "whole_words",
    "template",
    "label_words",
)


def check_resume(
    info: dict,
    cfg: TuneConfig,
    *,
    model_sha256: str,
    model_data_sha256: dict[str, str],
    data_sha256: str,
    labels: list[str],
    model_path: Path,
    out: Path,
) -> None:
    """Raise GenbaError naming what differs between the saved run (``info``) and this one."""
    if info.get("model_sha256") != model_sha256 or info.get("model_data_sha256", {}) != model_data_sha256:
        raise GenbaError(
            "Cannot resume: the model file changed since this run started.",
            "再開できません: 実行開始後にモデルファイルが変更されています。",
            path=model_path,
        )
    if info.get("data_sha256") != data_sha256:
        raise GenbaError(
            "Cannot resume: the example files changed since this run started (their contents, names, "
            "or the label folders they are in).",
            "再開できません: 実行開始後に学習データのファイルが変更されています（内容、名前、または入っているラベルフォルダー）。",
            path=cfg.data,
        )
    saved = TuneConfig.from_dict(info["config"])
    changed = [
        f"{f} ({getattr(saved, f)!r} → {getattr(cfg, f)!r})"
        for f in FIXED_ON_RESUME
        if getattr(saved, f) != getattr(cfg, f)
    ]
    if info.get("labels", labels) != labels:
        changed.append(f"labels ({', '.join(info['labels'])} → {', '.join(labels)})")
    if changed:
        raise GenbaError(
            f"Cannot resume with different settings: {'; '.join(changed)}.",
            f"設定が異なるため再開できません: {'; '.join(changed)}。",
            path=out,
        )
