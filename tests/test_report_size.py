"""The report fits any data: a folder of 2,000 files with 5 or 20 labels gives at most 4 A4 pages, every
table within the page width; money is never shown without the example banner while inputs are examples."""

from __future__ import annotations

import re

import numpy as np
import pytest

from app.engine.results.report import RunRecord, build_report_html, roi_inputs_for
from app.engine.results.roi import RoiInputs

MAX_PAGES = 4


def big_run(n_labels: int, n_files: int = 2000) -> tuple[RunRecord, dict]:
    rng = np.random.default_rng(n_labels)
    labels = [f"category-{k:02d}-maintenance" for k in range(n_labels)]
    n_test = 300
    report = {
        "model": "SmolLM2-135M-Instruct",
        "model_file": "/models/smollm2.gguf",
        "data": [f"/data/articles/{labels[i % n_labels]}/article-{i:05d}.txt" for i in range(n_files)],
        "examples_train": 1400,
        "examples_val": 300,
        "examples_test": n_test,
        "rows_skipped": 25,
        "labels": labels,
        "rows_per_label": {label: n_files // n_labels for label in labels},
        "steps": 420,
        "seconds": 1800.0,
        "stop_reason": "plateau",
        "energy_wh": 21.5,
        "energy_source": "estimated",
        "val_accuracy_before": 0.31,
        "val_accuracy_after": 0.74,
        "test_accuracy_before": 0.30,
        "test_accuracy_after": 0.72,
        "keyword_accuracy": 0.66,
        "improved_split": "test",
        "improved": True,
        "tuned_layers": list(range(20, 30)),
        "peak_rss_mb": 1800.0,
        "model_sha256": "a" * 64,
        "data_sha256": "b" * 64,
    }
    evals = tuple(
        {"step": s, "val_accuracy": 0.31 + 0.4 * s / 420, "val_loss": 1.0, "seconds": s * 4.3}
        for s in range(0, 421, 20)
    )
    truth = rng.integers(0, n_labels, n_test)

    def confusion(acc: float) -> list[list[int]]:
        answer = np.where(rng.random(n_test) < acc, truth, rng.integers(0, n_labels, n_test))
        m = np.zeros((n_labels, n_labels), dtype=int)
        np.add.at(m, (truth, answer), 1)
        return m.tolist()

    comparison = {
        "split": "test",
        "labels": labels,
        "confusion_before": confusion(0.3),
        "confusion_after": confusion(0.72),
    }
    return RunRecord("/runs/articles", report, evals, None), comparison


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("n_labels", [5, 20])
def test_a_2000_file_folder_gives_at_most_four_pages_and_no_table_wider_than_the_page(qapp, n_labels, lang):
    from PySide6.QtCore import QSizeF

    from app.gui.report_pdf import pdf_bytes, report_document

    run, comparison = big_run(n_labels)
    html = build_report_html(run, roi_inputs_for(run), lang, comparison, generated=0)
    assert "article-01999.txt" not in html  # the folder is summarised, not listed file by file
    assert pdf_pages(pdf_bytes(html)) <= MAX_PAGES
    # A4 less the 2 cm margins QTextDocument.print_ keeps, in points at 72 dpi: nothing laid out wider.
    document = report_document(html)
    width = (210 - 40) / 25.4 * 72 * 300 / 72  # the PDF writer's 300 dpi device
    document.setPageSize(QSizeF(width, width * 1.5))
    assert document.idealWidth() <= width + 1


def test_money_is_never_shown_without_the_banner_while_inputs_are_examples():
    run, comparison = big_run(5)
    html = build_report_html(run, roi_inputs_for(run), "ja", comparison, generated=0)
    # Each section with the monthly savings (the summary, the ROI page) shows the banner before it.
    money = [section for section in html.split("<h2")[1:] if "純節約額" in section]
    assert len(money) == 2
    for section in money:
        assert section.index("例の値で計算中") < section.index("純節約額"), section[:200]
    own = roi_inputs_for(
        run,
        pcs=2,
        runs_per_month=3,
        electricity_yen_per_kwh=28,
        documents_per_month=1500,
        minutes_per_misclassified=4,
        labour_yen_per_hour=2800,
        setup_cost_yen=250_000,
    )
    assert not set(RoiInputs.EXAMPLE_FIELDS) - set(own.__dataclass_fields__)
    html = build_report_html(run, own, "ja", comparison, generated=0)
    assert "例の値で計算中" not in html
    assert "〜" in html  # the headline still carries its range
