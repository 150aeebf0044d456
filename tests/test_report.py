"""The management report: HTML from the engine (no Qt), PDF through Qt, and ``genba-tuner report``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.engine.errors import GenbaError
from app.engine.results.comparison import compare_held_out
from app.engine.results.report import build_report_html
from app.engine.results.report_text import FIELD_TEXT
from app.engine.results.roi import RoiInputs, compute_roi
from app.engine.results.run_record import (
    RunRecord,
    compare_run_held_out,
    load_run,
    roi_inputs_for,
    unchanged_examples,
)
from app.engine.results.svg_charts import nice_ticks
from app.engine.run_files import EXPORT_DIR
from app.engine.tuning.budget import Budget
from app.engine.tuning.config import TuneConfig
from app.engine.tuning.tuner import tune
from tests.support import write_demo_csv

REPO = Path(__file__).resolve().parents[1]


class ReportParser(HTMLParser):
    """Collects the visible text, every table (nested ones too) as rows of cell texts, and every
    resource reference."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []  # in the order they open
        self.references: list[str] = []
        self._open_tables: list[list[list[str]]] = []
        self._open_cells: list[list[str]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.references += [attrs[key] for key in ("src", "href") if key in attrs]
        if tag == "table":
            self.tables.append([])
            self._open_tables.append(self.tables[-1])
        elif tag == "tr":
            self._open_tables[-1].append([])
        elif tag in ("td", "th"):
            self._open_cells.append([])
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._open_tables.pop()
        elif tag in ("td", "th"):
            self._open_tables[-1][-1].append(" ".join("".join(self._open_cells.pop()).split()))
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            return
        self.text.append(data)
        for cell in self._open_cells:
            cell.append(data)

    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(html: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def run_dir(tiny_gguf, tmp_path_factory) -> Path:
    """One finished tiny run (with exported model and checkpoint) shared by the tests of this module."""
    folder = tmp_path_factory.mktemp("report-run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENBA_TUNER_HOME", str(tmp_path_factory.getbasetemp() / "genba-home"))
        config = TuneConfig(
            model=str(tiny_gguf),
            data=str(write_demo_csv(folder / "orders.csv")),
            out_dir=str(folder / "run"),
            budget=Budget(steps=30),
            eval_every=10,
            checkpoint_every=10,
            max_tuned_layers=2,
            threads=1,
        )
        tune(config)
    return folder / "run"


@pytest.fixture(scope="module")
def comparison(run_dir) -> dict:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENBA_TUNER_HOME", str(run_dir.parents[1] / "genba-home"))
        return compare_run_held_out(load_run(run_dir))


def test_comparison_reproduces_the_accuracies_the_run_reported(run_dir, comparison):
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert comparison["labels"] == report["labels"]
    assert comparison["split"] == "test"
    assert comparison["accuracy_before"] == pytest.approx(report["test_accuracy_before"])
    assert comparison["accuracy_after"] == pytest.approx(report["test_accuracy_after"])
    assert comparison["confusion_after"] == report["test_confusion_after"]
    assert sum(map(sum, comparison["confusion_after"])) == report["examples_test"]


def test_a_typed_text_gets_the_answers_the_comparison_gave_its_row(run_dir):
    """The app's "try it" box (``Comparison.answer``) answers a held-out text as the side-by-side table did."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENBA_TUNER_HOME", str(run_dir.parents[1] / "genba-home"))
        config = TuneConfig.from_dict(load_run(run_dir).config)
        compared = compare_held_out(config, run_dir / EXPORT_DIR / "model.onnx")
    table = compared.result
    for i, text in enumerate(table["texts"]):
        answer = compared.answer(text)
        assert answer["text"] == text
        assert answer["before"][0] == table["before"][i] and answer["after"][0] == table["after"][i]
        assert answer["after"][1] == pytest.approx(table["confidence_after"][i], abs=1e-4)


def test_html_parses_and_holds_the_key_figures_confusion_matrix_and_hashes(run_dir, comparison):
    run = load_run(run_dir)
    r = run.report
    # From the checkpoint: the words model, zero-shot, the head fitted, step 10.
    assert [(e["step"], e.get("model")) for e in run.evals][:4] == [
        (0, "words"),
        (0, None),
        (0, None),
        (10, None),
    ]
    inputs = roi_inputs_for(run, pcs=3)
    result = compute_roi(inputs)
    html = build_report_html(run, inputs, "en", comparison)
    page = parse(html)
    text = page.all_text()

    # The headline names its split and uses the held-out test rows, not the validation maximum.
    assert f"Accuracy on {r['examples_test']} test rows" in text
    assert f"{100 * r['test_accuracy_before']:.1f}% → {100 * r['test_accuracy_after']:.1f}%" in text
    assert f"A simple keyword model scores {100 * r['keyword_accuracy']:.1f}%" in text
    assert f"{r['energy_wh']:,.2f} Wh" in text
    assert ("(measured)" if r["energy_source"] == "measured" else "(estimated)") in text
    assert r["energy_assumption"]["en"] in text
    assert f"¥{result.monthly_net_savings_yen:,.0f}" in text
    assert f"{result.payback_months:.1f} months" in text
    assert "No network was used" in text
    for key in ("model_sha256", "data_sha256", "adapter_sha256", "exported_model_sha256"):
        assert r[key] in text
    # the ROI inputs: the run's figures, the one entered, the examples still marked as such
    inputs_table = next(t for t in page.tables if t and t[0] == ["Input", "Value", "Source"])
    by_caption = {row[0]: row[1:] for row in inputs_table[1:]}
    assert by_caption[FIELD_TEXT["pcs"][0]] == ["3", "entered"]
    assert by_caption[FIELD_TEXT["accuracy_after"][0]][1] == "from this run"
    assert by_caption[FIELD_TEXT["setup_cost_yen"][0]] == ["¥300,000", "example — replace with your own"]
    # both confusion matrices, exactly as scored: header row of labels, then one row per true label
    matrices = [t for t in page.tables if t and t[0][0] == "true＼answer"]
    assert len(matrices) == 2
    for table, key in zip(matrices, ("confusion_before", "confusion_after"), strict=True):
        assert table[0][1:] == comparison["labels"]
        assert [row[0] for row in table[1:]] == comparison["labels"]
        assert [[int(c) for c in row[1:]] for row in table[1:]] == comparison[key]
    # self-contained: three charts, all inline; nothing fetched from anywhere
    assert len(page.references) == 3
    assert all(ref.startswith("data:image/svg+xml;base64,") for ref in page.references)
    assert "<script" not in html and "<link" not in html


def test_japanese_report_is_in_japanese(run_dir, comparison):
    run = load_run(run_dir)
    page = parse(build_report_html(run, roi_inputs_for(run), "ja", comparison))
    text = page.all_text()
    assert "調整レポート" in text and "正解と予測の対応表" in text and "この PC の外に出なかったもの" in text
    assert run.report["energy_assumption"]["ja"] in text
    assert "例（自社の数値に置き換えてください）" in text
    assert "Right answers and model answers" not in text and "混同行列" not in text


def test_report_says_why_when_the_confusion_matrix_and_history_are_missing(run_dir, tmp_path):
    # Only report.json copied elsewhere (e.g. mailed): no checkpoint, no exported model.
    shutil.copy(run_dir / "report.json", tmp_path / "report.json")
    run = load_run(tmp_path)
    assert run.evals == () and run.config is None
    with pytest.raises(GenbaError):
        compare_run_held_out(run)
    text = parse(build_report_html(run, roi_inputs_for(run), "en", comparison_error="no model")).all_text()
    assert "The table of right and model answers is not available: no model" in text
    assert "The history of the checking rows is not available" in text


def test_a_folder_without_report_json_is_a_clear_error(tmp_path):
    with pytest.raises(GenbaError) as info:
        load_run(tmp_path)
    assert "report.json" in info.value.en and "report.json" in info.value.ja


def test_no_payback_is_said_in_words():
    report = {"energy_wh": 10.0, "val_accuracy_before": 0.9, "val_accuracy_after": 0.8}
    inputs = RoiInputs.from_report(report, setup_cost_yen=100_000)
    run = RunRecord("x", report, (), None)
    text = parse(build_report_html(run, inputs, "en")).all_text()
    assert "no payback" in text
    assert unchanged_examples(inputs) == RoiInputs.EXAMPLE_FIELDS - {"setup_cost_yen"}


def test_nice_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0, 3043, 6) == [0, 1000, 2000, 3000, 4000]
    assert nice_ticks(-80_000, 80_000, 6) == [-100_000, -50_000, 0, 50_000, 100_000]
    assert nice_ticks(0.0, 100.0, 5) == [0, 20, 40, 60, 80, 100]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_pdf_renders_with_the_bundled_japanese_font(qapp, run_dir, comparison, lang, tmp_path):
    from app.gui.report_pdf import pdf_bytes

    run = load_run(run_dir)
    pdf = pdf_bytes(build_report_html(run, roi_inputs_for(run), lang, comparison))
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    assert b"IPAexGothic" in pdf  # embedded, so Japanese renders on a PC without CJK fonts
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) not installed: page 1 not rasterised")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run([pdftoppm, "-r", "40", "-f", "1", "-l", "1", "-gray", "-singlefile", str(tmp_path / "r.pdf"),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    pixels = (tmp_path / "page.pgm").read_bytes().split(b"\n", 3)[3]
    dark = sum(b < 128 for b in pixels) / len(pixels)
    assert 0.01 < dark < 0.5, "page 1 has text and charts on it, not a blank or black page"


def test_cli_report_writes_html_and_pdf_without_a_display(run_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "report", str(run_dir), "--lang", "ja", "--html", str(html),
         "--pdf", str(pdf), "--assume", "pcs=2", "--assume", "labour_yen_per_hour=2800"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(html), str(pdf)]
    assert pdf.read_bytes().startswith(b"%PDF")
    text = parse(html.read_text(encoding="utf-8")).all_text()
    assert "調整レポート" in text and "正解と予測の対応表" in text
    labour = next(t for t in parse(html.read_text(encoding="utf-8")).tables if t and t[0][0] == "項目")
    assert ["人件費（円/時）", "2,800", "入力値"] in labour


def test_cli_report_default_is_html_in_the_run_folder_and_errors_exit_2(run_dir, tmp_path, capsys):
    from app.cli import main

    assert main(["--lang", "en", "report", str(run_dir)]) == 0
    assert (run_dir / "report_en.html").is_file()
    assert capsys.readouterr().out.strip() == str(run_dir / "report_en.html")
    assert main(["report", str(tmp_path), "--lang", "en"]) == 2
    assert "report.json" in capsys.readouterr().err
    assert main(["report", str(run_dir), "--lang", "en", "--assume", "pcs=lots"]) == 2
    assert "--assume" in capsys.readouterr().err
