"""The run report for management: one self-contained HTML page in Japanese or English.

Everything is inline (a ``<style>`` block, charts as SVG in ``data:`` URIs), so the file can be mailed or
copied to a USB stick and opened anywhere with no network. Qt's rich-text engine renders the same HTML
into the PDF (``app/gui/report_pdf.py``), which is why the markup sticks to tables, attributes and the
CSS subset ``QTextDocument`` understands. The engine has no Qt translations: the text is kept here as
(English, Japanese) pairs.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from html import escape
from pathlib import Path

from app.engine.errors import GenbaError
from app.engine.results.comparison import compare_held_out
from app.engine.results.held_out import HeldOutAccuracy
from app.engine.results.roi import RoiInputs, RoiResult, compute_roi, savings_range, sensitivity
from app.engine.run_files import CHECKPOINT, EXPORT_DIR, REPORT_FILE
from app.engine.storage import atomic_write_bytes
from app.engine.tuning.budget import Budget
from app.engine.tuning.checkpoint import load_checkpoint
from app.engine.tuning.config import TuneConfig

CHART_MONTHS = 24
SENSITIVITY_DELTA = 0.2
SENSITIVITY_ROWS = 6  # the inputs that move the savings most; the app's chart shows them all
ROI_CHART_SCALE = 0.8  # the ROI's two charts and its tables on one page, so the report keeps to four

# Okabe-Ito colours, as in the app's plots (app/gui/plots.py); every series also differs by line style.
BLUE, ORANGE, GREEN, VERMILION, GREY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#777777"
CHART_FONT = "IPAexGothic, 'Yu Gothic', Meiryo, 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif"

# (English, Japanese). Placeholders are named so each language keeps its own word order.
TEXT: dict[str, tuple[str, str]] = {
    "title": ("Tuning report", "調整レポート"),
    "subtitle": (
        "{model} tuned on this PC with Genba Tuner",
        "現場チューナーでこの PC 上で調整した {model}",
    ),
    "generated": ("Generated {when} from the run folder {folder}", "{when} 作成（実行フォルダー: {folder}）"),
    "summary": ("Summary", "概要"),
    "accuracy_test": ("Accuracy on {n} test rows", "テスト用 {n} 件の正解率"),
    "accuracy_val": ("Accuracy on {n} validation rows", "検証用 {n} 件の正解率"),
    "keyword_bar": (
        "A simple keyword model scores {acc} on the same rows.",
        "同じデータで、簡単なキーワード方式は {acc} でした。",
    ),
    "before_to_after": ("{before} → {after}", "{before} → {after}"),
    "monthly_savings": ("Net savings per month", "月あたりの純節約額"),
    "payback": ("Payback of the setup cost", "導入費用の回収期間"),
    "energy_per_run": ("Electricity per run", "1 回あたりの電力"),
    "energy_value": ("{wh} Wh, {yen} ({source})", "{wh} Wh・{yen}（{source}）"),
    "measured": ("measured", "実測"),
    "estimated": ("estimated", "推定"),
    "summary_note": (
        "Accuracy is measured on test rows kept aside and never used for tuning or for choosing the result "
        "(the chart below shows the checking rows that chose it). The money is compared with keeping the "
        "model as it came: labour saved on fewer misclassified documents, minus electricity. The range is "
        "where 95 % of outcomes would fall from the number of test rows alone.",
        "正解率は、調整にも結果選びにも使わずに取っておいた最終テスト用のデータで測った値です（下のグラフは結果を"
        "選ぶのに使った確認用データの値です）。金額は「モデルをそのまま使い続けた場合」との比較で、誤分類が減って"
        "省ける作業費から電気代を引いたものです。幅は、テスト件数だけから見て 95 % の結果が入る範囲です。",
    ),
    "assumptions": ("Assumptions behind the money", "金額の前提"),
    "assumptions_value": (
        "{docs} documents a month on {pcs} PC(s), {minutes} minutes to fix one misclassified document, "
        "labour {labour} an hour, setup {setup}; compared with keeping the model as it came.",
        "PC {pcs} 台で月 {docs} 件の文書、誤分類 1 件の修正に {minutes} 分、人件費 1 時間 {labour}、"
        "導入費用 {setup}。比較の相手は「モデルをそのまま使い続けた場合」です。",
    ),
    "example_banner": (
        "Calculated with example figures: {fields} are examples, not your site's. Enter your own figures in "
        "the app's Payback step before using these amounts.",
        "例の値で計算中: {fields}は例の値で、現場の数値ではありません。この金額を使う前に、アプリの"
        "「費用対効果」の画面で自社の数値を入力してください。",
    ),
    "savings_range": ("{low} to {high}", "{low}〜{high}"),
    "run": ("The run", "実行内容"),
    "model": ("Model", "モデル"),
    "model_file": ("Model file", "モデルファイル"),
    "model_size": ("{size} MB", "{size} MB"),
    "data": ("Training data", "学習データ"),
    "data_value": ("{first} and {more} more files in {folder}", "{folder} の {first} ほか {more} ファイル"),
    "examples": ("Rows", "データの件数"),
    "examples_value": (
        "{train} for tuning, {val} for checking, {test} for the final test ({skipped} rows skipped)",
        "調整用 {train} 件・確認用 {val} 件・最終テスト用 {test} 件（読み飛ばした行 {skipped} 件）",
    ),
    "rows_per_label": ("Rows per label", "ラベルごとの件数"),
    "labels": ("Labels", "ラベル"),
    "budget": ("Tuning time", "調整時間"),
    "steps": ("Tuning rounds", "調整の回数"),
    "time": ("Time", "所要時間"),
    "stopped_because": ("Ended because", "終了理由"),
    "energy": ("Electricity", "電力量"),
    "energy_basis": ("How the energy was obtained", "電力量の求め方"),
    "peak_memory": ("Peak memory", "最大メモリー使用量"),
    "tuned_layers": ("Tuned parts of the model", "調整したモデルの部分"),
    "accuracy": ("Accuracy before and after tuning", "調整前後の正解率"),
    "accuracy_chart_title": (
        "Correct answers on the checking rows while tuning",
        "調整中の確認用データの正解率",
    ),
    "accuracy_axis": ("% correct", "正解率 (%)"),
    "step_axis": ("round", "回"),
    "while_tuning": ("while tuning", "調整中"),
    "before_tuning": ("before tuning", "調整前"),
    "after_tuning": ("after tuning", "調整後"),
    "no_evals": (
        "The history of the checking rows is not available (no checkpoint in the run folder).",
        "確認用データの履歴がありません（実行フォルダーにチェックポイントがありません）。",
    ),
    "confusion": ("Right answers and model answers", "正解と予測の対応表"),
    "confusion_of": ("{which}: {correct} of {total} correct", "{which}: {total} 件中 {correct} 件正解"),
    "confusion_note": (
        "Rows: the right label. Columns: the model's answer (numbered as the rows). The diagonal (bold, "
        "tinted) is correct.",
        "行は正しいラベル、列はモデルの答えです（番号は行と同じ）。対角線上（太字・色付き）が正解です。",
    ),
    "confusion_note_named": (
        "Rows: the right label. Columns: the model's answer. The diagonal (bold, tinted) is correct.",
        "行は正しいラベル、列はモデルの答えです。対角線上（太字・色付き）が正解です。",
    ),
    "true_predicted": ("true＼answer", "正解＼答え"),
    "no_confusion": (
        "The table of right and model answers is not available: {reason}",
        "正解と予測の対応表は作成できませんでした: {reason}",
    ),
    "roi": ("Is it worth it?", "費用対効果"),
    "roi_intro": (
        "Compared with keeping the model as it came: the benefit is fewer misclassified documents to fix by "
        "hand; the costs are the setup and the electricity. The data never leaves this PC, so there are no "
        "transfer or contract costs either; they are not added as a saving.",
        "「モデルをそのまま使い続けた場合」との比較です。効果は手で直す誤分類が減ることで、費用は導入費用と"
        "電気代です。データはこの PC の外に出ないので転送や契約の費用もかかりませんが、節約額には加えていません。",
    ),
    "inputs": ("Inputs", "入力値"),
    "input": ("Input", "項目"),
    "value": ("Value", "値"),
    "source": ("Source", "出所"),
    "from_run": ("from this run", "この実行の結果"),
    "example": ("example — replace with your own", "例（自社の数値に置き換えてください）"),
    "entered": ("entered", "入力値"),
    "outputs": ("Results", "結果"),
    "out_energy_run": ("Electricity cost per run", "1 回あたりの電気代"),
    "out_energy_month": ("Electricity cost per month", "月あたりの電気代"),
    "out_errors": ("Misclassified documents avoided per month", "月あたりに減る誤分類の件数"),
    "out_labour": ("Labour saved per month", "月あたりに減る作業費"),
    "out_net": ("Net savings per month", "月あたりの純節約額"),
    "out_payback": ("Payback of the setup cost", "導入費用の回収期間"),
    "months": ("{n} months", "{n} か月"),
    "no_payback": (
        "no payback (the monthly savings do not exceed the costs)",
        "回収できません（月々の節約額が費用を上回りません）",
    ),
    "cumulative_title": ("Cumulative cost and benefit", "累積の費用と効果"),
    "cumulative_axis": ("yen", "円"),
    "month_axis": ("months", "経過月数"),
    "cost": ("cost: setup + electricity", "費用: 導入費＋電気代"),
    "benefit": ("benefit: labour saved", "効果: 減った作業費"),
    "payback_marker": ("payback", "回収"),
    "sensitivity_title": (
        "What moves the monthly savings (each input 20 % lower or higher)",
        "月あたりの節約額を左右する入力（各入力を 20 % 増減）",
    ),
    "sensitivity_axis": ("change in net savings per month (yen)", "月あたりの純節約額の変化（円）"),
    "lower": ("input 20 % lower", "入力 20 % 減"),
    "higher": ("input 20 % higher", "入力 20 % 増"),
    "sensitivity_note": (
        "The setup cost does not change the monthly figure; it moves the payback month only.",
        "導入費用は月あたりの金額を変えず、回収期間だけを変えます。",
    ),
    "privacy": ("What stayed on this PC", "この PC の外に出なかったもの"),
    "privacy_data": (
        "The training data never left this PC: it was read from the files above and used only here.",
        "学習データはこの PC の外に出ていません。上記のファイルから読み込み、この PC の中だけで使いました。",
    ),
    "privacy_network": (
        "No network was used: the model, the tuning, the evaluation and this report all ran offline on "
        "this PC with ONNX Runtime.",
        "ネットワークは使っていません。モデル・調整・評価・このレポート作成は、すべてこの PC の ONNX Runtime "
        "でオフラインで実行しました。",
    ),
    "privacy_hashes": (
        "SHA-256 fingerprints identify exactly which model and data were used; anyone can recompute them "
        "from the files.",
        "SHA-256 の指紋値で、使ったモデルとデータを正確に特定できます。ファイルから誰でも再計算できます。",
    ),
    "hash_model": ("Model file", "モデルファイル"),
    "hash_data": ("Training data", "学習データ"),
    "hash_adapters": ("The tuned part", "調整した部分"),
    "hash_exported": ("Exported model weights", "書き出したモデルの重み"),
    "duration": ("{m} min {s} s", "{m} 分 {s} 秒"),
    "duration_hours": ("{h} h {m} min", "{h} 時間 {m} 分"),
    "not_available": ("not available", "なし"),
    "reason_minutes": ("the tuning time was used up", "調整時間を使い切った"),
    "reason_steps": ("the set number of rounds was done", "決めた回数を終えた"),
    "reason_energy": ("the electricity limit was reached", "電力量の上限に達した"),
    "reason_stopped": ("it was stopped by hand", "手動で停止した"),
    "reason_diverged": ("the numbers became unstable", "数値が不安定になった"),
    "reason_plateau": (
        "accuracy had stopped improving, so it stopped early",
        "正解率が上がらなくなったので早めに止めた",
    ),
    "yen": ("¥{n}", "{n} 円"),
    "percent": ("{n}%", "{n}%"),
    "no_comparison_model": (
        "the run folder holds no exported model to compare with.",
        "実行フォルダーに比較用の書き出し済みモデルがありません。",
    ),
    "no_config": (
        "the run folder has no checkpoint with the run's settings.",
        "実行フォルダーに実行時の設定を含むチェックポイントがありません。",
    ),
}

# Captions and units of the ROI inputs, in the order of RoiInputs' fields.
FIELD_TEXT: dict[str, tuple[str, str]] = {
    "energy_wh_per_run": ("Electricity per run (Wh)", "1 回あたりの電力量 (Wh)"),
    "accuracy_before": ("Correct before tuning (final test)", "調整前の正解率（最終テスト）"),
    "accuracy_after": ("Correct after tuning (final test)", "調整後の正解率（最終テスト）"),
    "pcs": ("PCs or lines", "PC・ラインの数"),
    "runs_per_month": ("Tuning runs per month, per PC", "PC 1 台あたりの月間調整回数"),
    "electricity_yen_per_kwh": ("Electricity price (yen/kWh)", "電気料金（円/kWh）"),
    "documents_per_month": ("Documents per month, per PC", "PC 1 台あたりの月間文書数"),
    "minutes_per_misclassified": ("Minutes to fix one misclassified document", "誤分類 1 件の修正時間（分）"),
    "labour_yen_per_hour": ("Labour cost (yen/hour)", "人件費（円/時）"),
    "setup_cost_yen": ("Setup cost", "導入費用"),
}
# Shown as money (the other captions carry their unit).
YEN_FIELDS = frozenset({"setup_cost_yen"})


def text(key: str, lang: str, **values: object) -> str:
    """The report string ``key`` in ``lang`` ('ja' or 'en'), with ``values`` filled in."""
    en, ja = TEXT[key]
    return (ja if lang == "ja" else en).format(**values)


def field_caption(name: str, lang: str) -> str:
    en, ja = FIELD_TEXT[name]
    return ja if lang == "ja" else en


# --- the run -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunRecord:
    """What the report shows about a run, read from its folder."""

    out_dir: str
    report: dict  # report.json as the engine wrote it
    evals: tuple[dict, ...]  # validation history from the checkpoint: step, val_accuracy, val_loss, ...
    config: dict | None  # TuneConfig.to_dict() from the checkpoint; None without one


def load_run(run_dir: str | Path) -> RunRecord:
    """Read ``report.json`` and, if present, the checkpoint's validation history and settings."""

    folder = Path(run_dir)
    path = folder / REPORT_FILE
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GenbaError(
            "This folder holds no report.json: choose the folder of a finished run.",
            "このフォルダーには report.json がありません。終了した実行のフォルダーを選んでください。",
            path=path,
        ) from exc
    except (OSError, ValueError) as exc:
        raise GenbaError(
            "report.json cannot be read; the run folder may be damaged.",
            "report.json を読み込めません。実行フォルダーが壊れている可能性があります。",
            path=path,
            detail=repr(exc),
        ) from exc
    evals: tuple[dict, ...] = tuple(report.get("evals") or ())
    config = None
    if (folder / CHECKPOINT).is_file():
        _, _, state = load_checkpoint(folder)
        evals = evals or tuple(state.evals)
        config = state.info.get("config")
    return RunRecord(str(folder), report, evals, config)


def roi_inputs_for(run: RunRecord, **assumptions: float) -> RoiInputs:
    """ROI inputs from the run (energy, accuracy before/after) plus the site's own figures."""
    return RoiInputs.from_report(run.report, **assumptions)


def unchanged_examples(inputs: RoiInputs) -> frozenset[str]:
    """The example fields still holding their example value (to be marked "example" wherever shown)."""
    defaults = {f.name: f.default for f in fields(RoiInputs)}
    return frozenset(name for name in RoiInputs.EXAMPLE_FIELDS if getattr(inputs, name) == defaults[name])


def compare_run_held_out(run: RunRecord, share_cores: bool = False) -> dict:
    """Score the run's held-out rows (test, else validation) with the base model and the exported model.

    Returns ``split``, ``labels``, ``accuracy_before/after`` and ``confusion_before/after``
    (``[true][answer]`` counts), the shape the app's Results page also uses. Raises :class:`GenbaError` when
    it cannot: no exported model, no checkpoint with the settings, or an examples file that changed.
    """

    if run.config is None:
        raise GenbaError(*TEXT["no_config"], path=run.out_dir)
    exported = Path(run.out_dir) / EXPORT_DIR / "model.onnx"  # beside the report, even if the folder moved
    if not exported.is_file():
        raise GenbaError(*TEXT["no_comparison_model"], path=run.out_dir)
    cfg = TuneConfig.from_dict(run.config)
    return compare_held_out(cfg, exported, run.report.get("data_sha256"), share_cores).result


# --- numbers -----------------------------------------------------------------------------------------
def _number(value: float, decimals: int = 0) -> str:
    out = f"{value:,.{decimals}f}"
    return out.replace("-", "−")  # a real minus sign: a hyphen is easy to miss in a table of money


def _yen(value: float, lang: str) -> str:
    size = abs(value)
    decimals = 0 if size >= 100 or size == 0 else 2 if size >= 0.01 else 4  # a run can cost 0.002 yen
    return text("yen", lang, n=_number(value, decimals))


def _percent(fraction: float | None, lang: str) -> str:
    if fraction is None:
        return "—"
    return text("percent", lang, n=_number(100 * fraction, 1))


def _duration(seconds: float, lang: str) -> str:
    s = int(round(seconds))
    if s >= 3600:
        return text("duration_hours", lang, h=s // 3600, m=s % 3600 // 60)
    return text("duration", lang, m=s // 60, s=s % 60)


def _months(months: float | None, lang: str) -> str:
    if months is None:
        return text("no_payback", lang)
    return text("months", lang, n=_number(months, 1))


def format_input(name: str, value: float, lang: str) -> str:
    """An ROI input as the report shows it (accuracy as a percentage, money in yen)."""
    if name.startswith("accuracy_"):
        return _percent(value, lang)
    if name in YEN_FIELDS:
        return _yen(value, lang)
    if name == "energy_wh_per_run":
        return _number(value, 2)
    return _number(value, 0 if float(value).is_integer() else 1)


# --- charts ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    """One line of a chart: its name in the legend, the points, and how it is drawn."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float]
    colour: str
    dashed: bool = False
    markers: bool = False


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``low..high`` (1, 2 or 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _svg_text(x: float, y: float, content: str, size: int = 12, anchor: str = "start", **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="{CHART_FONT}" fill="#222"{extra}>{escape(content)}</text>'
    )


def _svg(width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect width="{width}" height="{height}" fill="white"/>'
        + "".join(body)
        + "</svg>"
    )


def _legend(entries: list[tuple[str, str, bool]], x: float, y: float) -> list[str]:
    """Line samples and names in one row under the plot (never over the data)."""
    out = []
    for name, colour, dashed in entries:
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        out.append(
            f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 26:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
            f'stroke-width="3"{dash}/>'
        )
        out.append(_svg_text(x + 32, y, name, 12))
        x += 44 + 7.5 * len(name) + (6.5 * sum(ord(c) > 0x2E80 for c in name))  # CJK glyphs are wider
    return out


def line_chart_svg(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] | None = None,
    y_format: Callable[[float], str] = lambda v: _number(v, 0),
    markers_x: Sequence[tuple[float, str]] = (),
    width: int = 640,
    height: int = 270,
) -> str:
    """A line chart as an SVG string: axes with round ticks, a title, and a legend under the plot."""
    left, right, top, bottom = 84, 28, 30, 70
    xs = [x for s in series for x in s.xs] or [0.0, 1.0]
    ys = [y for s in series for y in s.ys] or [0.0, 1.0]
    # x spans the data exactly (a run ends at an arbitrary step); y is widened to round ticks.
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    x_ticks = [t for t in nice_ticks(x0, x1, 6) if x0 <= t <= x1]
    y_lo, y_hi = y_range if y_range is not None else (min(0.0, min(ys)), max(ys))
    y_ticks = nice_ticks(y_lo, y_hi, 5)
    y0, y1 = y_ticks[0], y_ticks[-1]
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return top + ph - (y - y0) / (y1 - y0) * ph

    body = [_svg_text(left, 18, title, 14, font_weight="bold")]
    for t in y_ticks:
        body.append(
            f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + pw}" y2="{py(t):.1f}" stroke="#E3E3E3"/>'
        )
        body.append(_svg_text(left - 6, py(t) + 4, y_format(t), 11, "end"))
    for t in x_ticks:
        body.append(
            _svg_text(px(t), top + ph + 16, _number(t, 0 if float(t).is_integer() else 1), 11, "middle")
        )
    body.append(
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888" stroke-width="1"/>'
    )
    body.append(_svg_text(left + pw / 2, top + ph + 34, x_label, 12, "middle"))
    body.append(
        _svg_text(16, top + ph / 2, y_label, 12, "middle", transform=f"rotate(-90 16 {top + ph / 2:.1f})")
    )
    for x, label in markers_x:
        if x0 <= x <= x1:
            body.append(
                f'<line x1="{px(x):.1f}" y1="{top}" x2="{px(x):.1f}" y2="{top + ph}" stroke="{GREY}" '
                f'stroke-width="1.5" stroke-dasharray="2 3"/>'
            )
            body.append(_svg_text(px(x) + 4, top + 14, label, 11))
    for s in series:
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(s.xs, s.ys, strict=True))
        dash = ' stroke-dasharray="7 5"' if s.dashed else ""
        body.append(f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="2.5"{dash}/>')
        if s.markers:
            body.extend(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{s.colour}"/>'
                for x, y in zip(s.xs, s.ys, strict=True)
            )
    body.extend(_legend([(s.name, s.colour, s.dashed) for s in series], left, height - 10))
    return _svg(width, height, body)


def tornado_svg(
    rows: Sequence[tuple[str, float, float]],
    *,
    title: str,
    x_label: str,
    low_name: str,
    high_name: str,
    width: int = 640,
) -> str:
    """Horizontal bars, widest first: each row's change at the low and at the high value of its input."""
    left, right, top, row_h = 300, 36, 30, 24
    height = top + row_h * max(len(rows), 1) + 70
    extent = max([abs(v) for _, lo, hi in rows for v in (lo, hi)] or [1.0]) or 1.0
    ticks = nice_ticks(-extent, extent, 6)
    x0, x1 = ticks[0], ticks[-1]
    pw = width - left - right

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    body = [_svg_text(8, 18, title, 14, font_weight="bold")]
    bottom = top + row_h * len(rows)
    for t in ticks:
        body.append(f'<line x1="{px(t):.1f}" y1="{top}" x2="{px(t):.1f}" y2="{bottom}" stroke="#E3E3E3"/>')
        body.append(_svg_text(px(t), bottom + 16, _number(t, 0), 10, "middle"))
    for i, (caption, low, high) in enumerate(rows):
        y = top + i * row_h
        body.append(_svg_text(left - 8, y + row_h / 2 + 4, caption, 10, "end"))
        for value, colour in ((low, ORANGE), (high, BLUE)):
            a, b = sorted((px(0.0), px(value)))
            body.append(
                f'<rect x="{a:.1f}" y="{y + 4}" width="{max(b - a, 0.5):.1f}" height="{row_h - 8}" '
                f'fill="{colour}"/>'
            )
    body.append(f'<line x1="{px(0):.1f}" y1="{top}" x2="{px(0):.1f}" y2="{bottom}" stroke="#222"/>')
    body.append(_svg_text(left + pw / 2, bottom + 34, x_label, 12, "middle"))
    body.extend(_legend([(low_name, ORANGE, False), (high_name, BLUE, False)], left, height - 10))
    return _svg(width, height, body)


def svg_image(svg: str, alt: str, scale: float = 1.0) -> str:
    """An ``<img>`` holding ``svg`` as a base64 data URI (browsers and Qt's rich text both show it)."""
    width, height = (round(int(v) * scale) for v in re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img src="data:image/svg+xml;base64,{data}" width="{width}" height="{height}" alt="{escape(alt)}">'
    )


def accuracy_chart(evals: Sequence[dict], before: float, lang: str) -> str:
    steps = [float(e["step"]) for e in evals]
    accs = [100 * float(e["val_accuracy"]) for e in evals]
    xs = [steps[0], steps[-1]] if steps else [0.0, 1.0]
    return line_chart_svg(
        [
            Series(text("while_tuning", lang), steps, accs, GREEN, markers=len(steps) <= 80),
            Series(text("before_tuning", lang), xs, [100 * before] * 2, VERMILION, dashed=True),
        ],
        title=text("accuracy_chart_title", lang),
        x_label=text("step_axis", lang),
        y_label=text("accuracy_axis", lang),
        y_range=(0.0, 100.0),
    )


def cumulative_chart(result: RoiResult, lang: str, months: int = CHART_MONTHS) -> str:
    points = result.cumulative(months)
    ms = [float(m) for m, _, _ in points]
    markers = []
    if result.payback_months is not None and result.payback_months <= months:
        markers.append((result.payback_months, text("payback_marker", lang)))
    return line_chart_svg(
        [
            Series(text("cost", lang), ms, [c for _, c, _ in points], VERMILION, dashed=True),
            Series(text("benefit", lang), ms, [b for _, _, b in points], BLUE),
        ],
        title=text("cumulative_title", lang),
        x_label=text("month_axis", lang),
        y_label=text("cumulative_axis", lang),
        markers_x=markers,
    )


def sensitivity_chart(inputs: RoiInputs, lang: str) -> str:
    rows = [
        (field_caption(r.field, lang), r.change_at_low_yen, r.change_at_high_yen)
        for r in sensitivity(inputs, SENSITIVITY_DELTA)
        if r.swing_yen > 0
    ][:SENSITIVITY_ROWS]
    return tornado_svg(
        rows,
        title=text("sensitivity_title", lang),
        x_label=text("sensitivity_axis", lang),
        low_name=text("lower", lang),
        high_name=text("higher", lang),
    )


# --- the page ----------------------------------------------------------------------------------------
STYLE = """
body { font-family: IPAexGothic, 'Yu Gothic', Meiryo, 'Hiragino Sans', 'Noto Sans CJK JP', sans-serif;
       font-size: 10pt; color: #222; }
h1 { font-size: 20pt; color: #0072B2; margin-bottom: 2px; }
h2 { font-size: 14pt; color: #0072B2; margin-top: 18px; margin-bottom: 6px; border-bottom: 1px solid #0072B2; }
h3 { font-size: 11pt; margin-top: 10px; margin-bottom: 4px; }
p.sub { color: #555; margin-top: 0px; }
p.note { color: #555; font-size: 9pt; }
table.facts { border-collapse: collapse; }
table.facts td, table.facts th { border: 1px solid #BBB; padding: 4px; vertical-align: top; }
table.facts th { background-color: #F1F3F5; text-align: left; font-weight: bold; }
table.big td { border: 1px solid #BBB; padding: 6px; }
td.figure { font-size: 14pt; font-weight: bold; }
th.hash { width: 28%; }
code { font-size: 7pt; }
td.caption { color: #555; font-size: 9pt; }
td.correct { font-weight: bold; background-color: #DCEFE6; }
span.example { color: #8A5A00; }
p.banner { background-color: #FFF3CD; color: #6B4400; border: 2px solid #E69F00; padding: 6px; font-weight: bold; }
table.confusion td, table.confusion th { font-size: 8pt; padding: 2px; }
"""

# Up to this many labels the answer columns are headed by the labels; more are numbered as the rows, so a
# table of 20 labels still fits the width of an A4 page.
NAMED_COLUMNS_UP_TO = 4
# Past this many labels only the after-tuning table is printed (the before one is its count of correct
# answers): two 20 x 20 tables made the PDF five pages (the app shows both).
BOTH_TABLES_UP_TO = 10


def _row(caption: str, value: str, raw: bool = False) -> str:
    return f"<tr><th>{escape(caption)}</th><td>{value if raw else escape(value)}</td></tr>"


def _confusion_table(labels: Sequence[str], matrix: Sequence[Sequence[int]], lang: str) -> str:
    # nowrap: Qt's table layout otherwise breaks a label like "hydraulic" to fit the page.
    th = "<th style='white-space: nowrap'>{}</th>".format
    numbered = len(labels) > NAMED_COLUMNS_UP_TO
    head = "".join(th(str(k + 1) if numbered else escape(lab)) for k, lab in enumerate(labels))
    rows = []
    for i, (label, counts) in enumerate(zip(labels, matrix, strict=True)):
        lab = f"{i + 1} {label}" if numbered else label
        cells = "".join(
            f'<td align="center" class="correct" bgcolor="#DCEFE6"><b>{n}</b></td>'
            if i == j
            else f'<td align="center">{n}</td>'
            for j, n in enumerate(counts)
        )
        rows.append(f"<tr>{th(escape(lab))}{cells}</tr>")
    return (
        '<table class="facts confusion" border="1" cellspacing="0" cellpadding="4">'
        f"<tr>{th(escape(text('true_predicted', lang)))}{head}</tr>{''.join(rows)}</table>"
    )


def _energy_text(report: dict, result: RoiResult, lang: str) -> str:
    source = text("measured" if report.get("energy_source") == "measured" else "estimated", lang)
    return text(
        "energy_value",
        lang,
        wh=_number(float(report.get("energy_wh", 0.0)), 2),
        yen=_yen(result.energy_cost_yen_per_run, lang),
        source=source,
    )


def _table(rows: Sequence[str], css: str = "facts") -> str:
    return f'<table class="{css}" width="100%" border="1" cellspacing="0" cellpadding="4">{"".join(rows)}</table>'


def _headline_yen(value: float, lang: str) -> str:
    """Money in a headline: three significant figures (a range from a few dozen test rows is not exact)."""
    if abs(value) < 1000:
        return _yen(round(value), lang)
    digits = int(math.floor(math.log10(abs(value)))) - 2
    return _yen(round(value, -digits), lang)


def example_banner(inputs: RoiInputs, lang: str) -> list[str]:
    """The amber "example figures" banner, or nothing once every example input was replaced.

    Every place that shows money (the summary and the ROI pages) starts with this, so no money headline is
    ever printed without it while it is built on the examples' own figures.
    """
    examples = unchanged_examples(inputs)
    if not examples:
        return []
    names = "、".join if lang == "ja" else ", ".join
    listed = names(field_caption(f.name, lang) for f in fields(RoiInputs) if f.name in examples)
    return [f'<p class="banner">⚠ {escape(text("example_banner", lang, fields=listed))}</p>']


def _assumptions_line(inputs: RoiInputs, lang: str) -> str:
    values = text(
        "assumptions_value",
        lang,
        docs=_number(inputs.documents_per_month),
        pcs=_number(inputs.pcs),
        minutes=_number(
            inputs.minutes_per_misclassified, 0 if inputs.minutes_per_misclassified % 1 == 0 else 1
        ),
        labour=_yen(inputs.labour_yen_per_hour, lang),
        setup=_yen(inputs.setup_cost_yen, lang),
    )
    return f"<p><b>{escape(text('assumptions', lang))}:</b> {escape(values)}</p>"


def _summary_section(run: RunRecord, inputs: RoiInputs, result: RoiResult, lang: str) -> list[str]:
    """The four figures management asks about first, after the banner and assumptions they rest on."""
    r = run.report
    held_out = HeldOutAccuracy.of(r)
    before, after = _percent(held_out.before, lang), _percent(held_out.after, lang)
    savings = _headline_yen(result.monthly_net_savings_yen, lang)
    spread = savings_range(inputs, held_out.examples if held_out.split == "test" else 0)
    if spread is not None:
        low, high = (_headline_yen(v, lang) for v in spread)
        savings = f"{savings}\n({text('savings_range', lang, low=low, high=high)})"
    figures = [
        (
            text(f"accuracy_{held_out.split}", lang, n=held_out.examples),
            text("before_to_after", lang, before=before, after=after),
        ),
        (text("monthly_savings", lang), savings),
        (text("payback", lang), _months(result.payback_months, lang)),
        (text("energy_per_run", lang), _energy_text(r, result, lang)),
    ]
    widths = ("31%", "23%", "22%", "24%")  # the accuracy pair needs the most room
    captions = "".join(
        f'<td class="caption" width="{w}">{escape(c)}</td>' for w, (c, _) in zip(widths, figures, strict=True)
    )
    values = "".join(
        f'<td class="figure">{escape(v).replace(chr(10), "<br>")}</td>'
        if i < 3
        else f"<td><b>{escape(v)}</b></td>"
        for i, (_, v) in enumerate(figures)
    )
    out = [
        f"<h2>{escape(text('summary', lang))}</h2>",
        *example_banner(inputs, lang),
        _assumptions_line(inputs, lang),
        _table([f"<tr>{captions}</tr>", f"<tr>{values}</tr>"], "big"),
    ]
    if held_out.keyword is not None:
        out.append(f"<p>{escape(text('keyword_bar', lang, acc=_percent(held_out.keyword, lang)))}</p>")
    out.append(f'<p class="note">{escape(text("summary_note", lang))}</p>')
    return out


def _accuracy_section(run: RunRecord, comparison: dict | None, comparison_error: str, lang: str) -> list[str]:
    """Validation accuracy over the steps, and the confusion matrices before and after."""
    before = run.report.get("val_accuracy_before")
    out = [f"<h2>{escape(text('accuracy', lang))}</h2>"]
    if run.evals and before is not None:
        chart = svg_image(accuracy_chart(run.evals, before, lang), text("accuracy_chart_title", lang))
        out.append(f"<p>{chart}</p>")
    else:
        out.append(f'<p class="note">{escape(text("no_evals", lang))}</p>')
    out.append(f"<h3>{escape(text('confusion', lang))}</h3>")
    if comparison is None:
        reason = comparison_error or text("not_available", lang)
        out.append(f'<p class="note">{escape(text("no_confusion", lang, reason=reason))}</p>')
        return out
    labels = comparison["labels"]
    cells = []
    for which, key in (("before_tuning", "confusion_before"), ("after_tuning", "confusion_after")):
        matrix = comparison[key]
        correct = sum(matrix[i][i] for i in range(len(labels)))
        total = sum(sum(row) for row in matrix)
        caption = text("confusion_of", lang, which=text(which, lang), correct=correct, total=total)
        if which == "before_tuning" and len(labels) > BOTH_TABLES_UP_TO:
            cells.append(f"<p><b>{escape(caption)}</b></p>")
        else:
            cells.append(f"<p><b>{escape(caption)}</b></p>{_confusion_table(labels, matrix, lang)}")
    if len(labels) <= NAMED_COLUMNS_UP_TO:  # small tables side by side: page 1 keeps both whole
        out.append(f'<table cellpadding="6"><tr>{"".join(f"<td>{c}</td>" for c in cells)}</tr></table>')
    else:  # one under the other: side by side, five labels already overflowed the page
        out.extend(cells)
    note = "confusion_note_named" if len(labels) <= NAMED_COLUMNS_UP_TO else "confusion_note"
    out.append(f'<p class="note">{escape(text(note, lang))}</p>')
    return out


def _sources_text(sources: Sequence[str], lang: str) -> str:
    """One file by its path; a folder of many files by its folder, its first file and how many more."""
    if len(sources) <= 2:
        return ", ".join(sources)
    paths = [Path(s) for s in sources]
    folder = paths[0].parent
    for p in paths[1:]:
        while folder not in p.parents and folder != folder.parent:
            folder = folder.parent
    return text("data_value", lang, first=paths[0].name, more=_number(len(paths) - 1), folder=str(folder))


def _run_section(run: RunRecord, result: RoiResult, lang: str) -> list[str]:
    """Model, data sizes, budget, time and energy with how it was obtained."""
    r = run.report
    model_value = str(r.get("model", ""))
    model_file = Path(str(r.get("model_file", "")))
    if model_file.is_file():
        size = text("model_size", lang, size=_number(model_file.stat().st_size / 2**20, 1))
        model_value = f"{model_value} ({size})"
    budget = text("not_available", lang)
    if run.config is not None:
        budget = Budget(**run.config["budget"]).describe(lang)
    reason = r.get("stop_reason", "")
    examples = text(
        "examples_value",
        lang,
        train=_number(r.get("examples_train", 0)),
        val=_number(r.get("examples_val", 0)),
        test=_number(r.get("examples_test", 0)),
        skipped=_number(r.get("rows_skipped", 0)),
    )
    per_label = r.get("rows_per_label") or {}
    labels = (
        ", ".join(f"{label} {_number(n)}" for label, n in per_label.items())
        if per_label
        else ", ".join(r.get("labels", []))
    )
    rows = [
        ("model", model_value),
        ("model_file", str(r.get("model_file", ""))),
        ("data", _sources_text(r.get("data", []), lang)),
        ("examples", examples),
        ("rows_per_label" if per_label else "labels", labels),
        ("budget", budget),
        ("steps", _number(r.get("steps", 0))),
        ("time", _duration(float(r.get("seconds", 0.0)), lang)),
        ("stopped_because", text(f"reason_{reason}", lang) if f"reason_{reason}" in TEXT else reason),
        ("energy", _energy_text(r, result, lang)),
        ("energy_basis", (r.get("energy_assumption") or {}).get(lang, "")),
        ("peak_memory", f"{_number(float(r.get('peak_rss_mb', 0.0)), 0)} MB"),
        ("tuned_layers", ", ".join(str(x) for x in r.get("tuned_layers", []))),
    ]
    return [
        f"<h2>{escape(text('run', lang))}</h2>",  # straight after the tables: no half-empty page
        _table([_row(text(key, lang), value) for key, value in rows]),
    ]


def _privacy_section(run: RunRecord, lang: str) -> list[str]:
    """What stayed on the PC, with the fingerprints that identify the model and data."""
    r = run.report
    hashes = [
        ("hash_model", r.get("model_sha256")),
        ("hash_data", r.get("data_sha256")),
        ("hash_adapters", r.get("adapter_sha256")),
        ("hash_exported", r.get("exported_model_sha256")),
    ]
    rows = [
        f'<tr><th class="hash" width="28%">{escape(text(key, lang))}</th><td><code>{escape(value)}</code></td></tr>'
        for key, value in hashes
        if value
    ]
    points = "".join(
        f"<li>{escape(text(k, lang))}</li>" for k in ("privacy_data", "privacy_network", "privacy_hashes")
    )
    return [f"<h2>{escape(text('privacy', lang))}</h2>", f"<ul>{points}</ul>", _table(rows)]


def _roi_section(inputs: RoiInputs, result: RoiResult, lang: str) -> list[str]:
    """The ROI inputs (each marked: from the run, example, or entered), the results and both charts."""
    examples = unchanged_examples(inputs)
    run_fields = {"energy_wh_per_run", "accuracy_before", "accuracy_after"}
    input_rows = [
        f"<tr><th>{escape(text('input', lang))}</th><th>{escape(text('value', lang))}</th>"
        f"<th>{escape(text('source', lang))}</th></tr>"
    ]
    for f in fields(RoiInputs):
        value = format_input(f.name, getattr(inputs, f.name), lang)
        if f.name in run_fields:
            origin = escape(text("from_run", lang))
        elif f.name in examples:
            origin = f'<span class="example">{escape(text("example", lang))}</span>'
        else:
            origin = escape(text("entered", lang))
        input_rows.append(
            f'<tr><th>{escape(field_caption(f.name, lang))}</th><td align="right">{escape(value)}</td>'
            f"<td>{origin}</td></tr>"
        )
    net = f"<b>{escape(_yen(result.monthly_net_savings_yen, lang))}</b>"
    payback = f"<b>{escape(_months(result.payback_months, lang))}</b>"
    output_rows = [
        _row(text("out_energy_run", lang), _yen(result.energy_cost_yen_per_run, lang)),
        _row(text("out_energy_month", lang), _yen(result.energy_cost_yen_per_month, lang)),
        _row(text("out_errors", lang), _number(result.errors_avoided_per_month, 1)),
        _row(text("out_labour", lang), _yen(result.labour_saved_yen_per_month, lang)),
        _row(text("out_net", lang), net, raw=True),
        _row(text("out_payback", lang), payback, raw=True),
    ]
    return [
        f"<h2>{escape(text('roi', lang))}</h2>",  # no page break: a half-empty page made a fifth
        *example_banner(inputs, lang),
        f"<p>{escape(text('roi_intro', lang))}</p>",
        f"<h3>{escape(text('inputs', lang))}</h3>",
        _table(input_rows),
        f"<h3>{escape(text('outputs', lang))}</h3>",
        _table(output_rows),
        f"<p>{svg_image(cumulative_chart(result, lang), text('cumulative_title', lang), ROI_CHART_SCALE)}</p>",
        f"<p>{svg_image(sensitivity_chart(inputs, lang), text('sensitivity_title', lang), ROI_CHART_SCALE)}</p>",
        f'<p class="note">{escape(text("sensitivity_note", lang))}</p>',
    ]


def build_report_html(
    run: RunRecord,
    inputs: RoiInputs,
    lang: str,
    comparison: dict | None = None,
    *,
    comparison_error: str = "",
    generated: float | None = None,
) -> str:
    """The whole report as one HTML string in ``lang`` ('ja' or 'en').

    ``comparison`` is :func:`compare_run_held_out`'s result (or the app's, same shape) for the confusion
    matrices; without it the report says why (``comparison_error``). ``generated`` is a Unix time for
    the date line (default: now).
    """
    lang = "ja" if lang == "ja" else "en"
    result = compute_roi(inputs)
    model = str(run.report.get("model", ""))
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(time.time() if generated is None else generated))
    head = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{escape(text('title', lang))} — {escape(model)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(text('title', lang))}</h1>",
        f'<p class="sub">{escape(text("subtitle", lang, model=model))}<br>'
        f"{escape(text('generated', lang, when=when, folder=run.out_dir))}</p>",
    ]
    # Page 1: the summary and the accuracy evidence; then the facts of the run; the ROI on its own pages.
    return "\n".join(
        head
        + _summary_section(run, inputs, result, lang)
        + _accuracy_section(run, comparison, comparison_error, lang)
        + _run_section(run, result, lang)
        + _privacy_section(run, lang)
        + _roi_section(inputs, result, lang)
        + ["</body></html>"]
    )


def render_run_report(
    run: RunRecord,
    lang: str,
    inputs: RoiInputs | None = None,
    comparison: dict | None = None,
    *,
    share_cores: bool = False,
) -> str:
    """The report of ``run``: ROI ``inputs`` default to the run's figures plus the example assumptions;
    without ``comparison`` the validation split is scored here (slow: both models run), and if that is
    impossible the report says why instead of showing the confusion matrices."""
    error = ""
    if comparison is None:
        try:
            comparison = compare_run_held_out(run, share_cores)
        except GenbaError as exc:
            error = exc.message(lang)
    return build_report_html(run, inputs or roi_inputs_for(run), lang, comparison, comparison_error=error)


def write_report_html(path: str | Path, html: str) -> Path:
    """Write the report atomically (a half-written file never carries the final name)."""

    path = Path(path)
    atomic_write_bytes(path, html.encode("utf-8"))
    return path
