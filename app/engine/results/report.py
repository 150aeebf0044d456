"""The run report for management: one self-contained HTML page in Japanese or English.

Everything is inline (a ``<style>`` block, charts as SVG in ``data:`` URIs), so the file can be mailed or
copied to a USB stick and opened anywhere with no network. Qt's rich-text engine renders the same HTML
into the PDF (``app/gui/report_pdf.py``), which is why the markup sticks to tables, attributes and the
CSS subset ``QTextDocument`` understands. Its words are in ``report_text``, its charts come from
``svg_charts`` and the run it describes from ``run_record``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import fields
from html import escape
from pathlib import Path

from app.engine.errors import GenbaError
from app.engine.results.held_out import HeldOutAccuracy
from app.engine.results.report_text import (
    TEXT,
    duration,
    field_caption,
    format_input,
    months,
    number,
    percent,
    text,
    yen,
)
from app.engine.results.roi import RoiInputs, RoiResult, compute_roi, savings_range, sensitivity
from app.engine.results.run_record import RunRecord, compare_run_held_out, roi_inputs_for, unchanged_examples
from app.engine.results.svg_charts import (
    BLUE,
    GREEN,
    VERMILION,
    Series,
    line_chart_svg,
    svg_image,
    tornado_svg,
)
from app.engine.storage import atomic_write_bytes
from app.engine.tuning.budget import Budget

CHART_MONTHS = 24
SENSITIVITY_DELTA = 0.2
SENSITIVITY_ROWS = 6  # the inputs that move the savings most; the app's chart shows them all
ROI_CHART_SCALE = 0.8  # the ROI's two charts and its tables on one page, so the report keeps to four
# Up to this many labels the answer columns are headed by the labels; more are numbered as the rows, so a
# table of 20 labels still fits the width of an A4 page.
NAMED_COLUMNS_UP_TO = 4
# Past this many labels only the after-tuning table is printed (the before one is its count of correct
# answers): two 20 x 20 tables made the PDF five pages (the app shows both).
BOTH_TABLES_UP_TO = 10


def accuracy_chart(evals: Sequence[dict], before: float, lang: str) -> str:
    # The line starts at the model as it came; the words model, shown before it was measured, is not a round.
    evals = [e for e in evals if e.get("model") != "words"]
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
        wh=number(float(report.get("energy_wh", 0.0)), 2),
        yen=yen(result.energy_cost_yen_per_run, lang),
        source=source,
    )


def _table(rows: Sequence[str], css: str = "facts") -> str:
    return f'<table class="{css}" width="100%" border="1" cellspacing="0" cellpadding="4">{"".join(rows)}</table>'


def _headline_yen(value: float, lang: str) -> str:
    """Money in a headline: three significant figures (a range from a few dozen test rows is not exact)."""
    if abs(value) < 1000:
        return yen(round(value), lang)
    digits = int(math.floor(math.log10(abs(value)))) - 2
    return yen(round(value, -digits), lang)


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
        docs=number(inputs.documents_per_month),
        pcs=number(inputs.pcs),
        minutes=number(
            inputs.minutes_per_misclassified, 0 if inputs.minutes_per_misclassified % 1 == 0 else 1
        ),
        labour=yen(inputs.labour_yen_per_hour, lang),
        setup=yen(inputs.setup_cost_yen, lang),
    )
    return f"<p><b>{escape(text('assumptions', lang))}:</b> {escape(values)}</p>"


def _summary_section(run: RunRecord, inputs: RoiInputs, result: RoiResult, lang: str) -> list[str]:
    """The four figures management asks about first, after the banner and assumptions they rest on."""
    r = run.report
    held_out = HeldOutAccuracy.of(r)
    before, after = percent(held_out.before, lang), percent(held_out.after, lang)
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
        (text("payback", lang), months(result.payback_months, lang)),
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
        out.append(f"<p>{escape(text('keyword_bar', lang, acc=percent(held_out.keyword, lang)))}</p>")
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
    return text("data_value", lang, first=paths[0].name, more=number(len(paths) - 1), folder=str(folder))


def _run_section(run: RunRecord, result: RoiResult, lang: str) -> list[str]:
    """Model, data sizes, budget, time and energy with how it was obtained."""
    r = run.report
    model_value = str(r.get("model", ""))
    model_file = Path(str(r.get("model_file", "")))
    if model_file.is_file():
        size = text("model_size", lang, size=number(model_file.stat().st_size / 2**20, 1))
        model_value = f"{model_value} ({size})"
    budget = text("not_available", lang)
    if run.config is not None:
        budget = Budget(**run.config["budget"]).describe(lang)
    reason = r.get("stop_reason", "")
    examples = text(
        "examples_value",
        lang,
        train=number(r.get("examples_train", 0)),
        val=number(r.get("examples_val", 0)),
        test=number(r.get("examples_test", 0)),
        skipped=number(r.get("rows_skipped", 0)),
    )
    per_label = r.get("rows_per_label") or {}
    labels = (
        ", ".join(f"{label} {number(n)}" for label, n in per_label.items())
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
        ("steps", number(r.get("steps", 0))),
        ("time", duration(float(r.get("seconds", 0.0)), lang)),
        ("stopped_because", text(f"reason_{reason}", lang) if f"reason_{reason}" in TEXT else reason),
        ("energy", _energy_text(r, result, lang)),
        ("energy_basis", (r.get("energy_assumption") or {}).get(lang, "")),
        ("peak_memory", f"{number(float(r.get('peak_rss_mb', 0.0)), 0)} MB"),
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
    net = f"<b>{escape(yen(result.monthly_net_savings_yen, lang))}</b>"
    payback = f"<b>{escape(months(result.payback_months, lang))}</b>"
    output_rows = [
        _row(text("out_energy_run", lang), yen(result.energy_cost_yen_per_run, lang)),
        _row(text("out_energy_month", lang), yen(result.energy_cost_yen_per_month, lang)),
        _row(text("out_errors", lang), number(result.errors_avoided_per_month, 1)),
        _row(text("out_labour", lang), yen(result.labour_saved_yen_per_month, lang)),
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
