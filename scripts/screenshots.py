"""Drive the window through every step and save screenshots at 1366×768 in Japanese and English.

    .venv/bin/python scripts/screenshots.py            # tiny test model, generated examples (~1 min)
    .venv/bin/python scripts/screenshots.py --real     # included SmolLM2 135M and the demo work orders
    .venv/bin/python scripts/screenshots.py --roi-run runs/demo15
                                                       # only the ROI page and report of an earlier run
    QT_SCALE_FACTOR=1.5 .venv/bin/python scripts/screenshots.py --real --size 911x512 \
        --out docs/screenshots/scale150                # a 1366×768 screen at 150% scaling
    .venv/bin/python scripts/screenshots.py --real --rounds 30     # short real runs, whatever the load

Writes docs/screenshots/{ja,en}/NN_step.png, including page 1 of the PDF report (09_report_page1.png,
rendered by poppler's ``pdftoppm``). Settings go to a temporary .ini; with the tiny model the
converted-model cache and run folders go to a temporary GENBA_TUNER_HOME too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SIZE = (1366, 768)
TINY_WORDS = {
    "bucket": ["bucket", "hose", "pump"],
    "engine": ["engine", "oil", "leak"],
    "hydraulic": ["hydraulic", "hose", "leak"],
}


def write_tiny_examples(path: Path) -> Path:
    """Orders in the tiny model's vocabulary, with two bad rows so the skipped list has something."""
    lines = ["text,label"]
    for i in range(24):
        for label, words in TINY_WORDS.items():
            lines.append(f"{words[i % 3]} {words[(i + 1) % 3]} order {i},{label}")
    lines.insert(5, "pump hose order x,")
    lines.insert(9, ",engine")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wait_until(app, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def shoot(app, window, folder: Path, name: str) -> None:
    settle(app)
    path = folder / f"{name}.png"
    window.grab().save(str(path))
    page = window.current_page()
    over = page.body.minimumSizeHint().width() - page.scroll.viewport().width()
    print(path, f"(cut at the right by {over} px)" if over > 0 else "")


def shoot_roi_and_report(app, window, folder: Path, scratch: Path) -> None:
    """08: the ROI page as it is; 09: page 1 of the PDF report it writes (in the window's language)."""
    roi = window.roi_page
    window.show_page(roi)
    shoot(app, window, folder, "08_roi")
    pdf = scratch / f"report-{folder.name}.pdf"
    roi.export_report_to(str(pdf))
    wait_until(app, lambda: not roi.is_busy(), 600, "the report")
    if roi.export_error is not None:
        raise RuntimeError(roi.export_error.message_en + "\n" + roi.export_error.detail)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        print("pdftoppm not found (apt-get install poppler-utils): no 09_report_page1.png", file=sys.stderr)
        return
    target = folder / "09_report_page1"
    subprocess.run(
        [pdftoppm, "-r", "110", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf), str(target)],
        check=True,
    )
    print(target.with_suffix(".png"))


def run_roi_only(app, lang: str, run_dir: Path, out: Path, size, scratch: Path) -> None:
    from app.gui.i18n import set_language
    from app.gui.main_window import MainWindow
    from app.gui.settings import Settings

    set_language(lang)
    folder = out / lang
    folder.mkdir(parents=True, exist_ok=True)
    window = MainWindow(Settings(), check_model_on_start=False)
    window.resize(*size)
    window.show()
    window.roi_page.open_run_folder(str(run_dir))
    shoot_roi_and_report(app, window, folder, scratch)
    window.pool.wait_all()
    window.close()
    settle(app)


def run_language(
    app,
    lang: str,
    model: str,
    examples: Path,
    real: bool,
    out: Path,
    size,
    scratch: Path,
    minutes: float | None = None,
    rounds: int | None = None,
) -> None:
    from app.engine.models.catalog import GEMMA_BUILTIN
    from app.gui.i18n import set_language
    from app.gui.main_window import MainWindow
    from app.gui.settings import Settings

    set_language(lang)
    folder = out / lang
    folder.mkdir(parents=True, exist_ok=True)
    window = MainWindow(Settings(), check_model_on_start=False)
    window.resize(*size)
    window.show()
    settle(app)

    page = window.model_page
    if model == "default":
        page.use_default_model()
    elif model == GEMMA_BUILTIN:
        page.use_japanese_model()
    else:
        window.open_paths([model])  # as if dropped on the window
    wait_until(app, lambda: not page.is_busy(), 600, "the model check")
    shoot(app, window, folder, "01_model")

    page = window.examples_page
    window.open_paths([str(examples)])
    wait_until(app, lambda: not page.is_busy() and page.summary is not None, 60, "the examples")
    shoot(app, window, folder, "02_examples")
    page.scroll.verticalScrollBar().setValue(page.scroll.verticalScrollBar().maximum())
    shoot(app, window, folder, "03_examples_prompt")

    window.go_to_step(2)
    budget = window.budget_page
    budget.use_demo()
    if minutes is not None:
        budget.minutes_spin.setValue(minutes)
    if rounds is not None:  # a fixed number of rounds: on a loaded PC a short time goes on preparation
        budget.radios["steps"].click()
        budget.steps_spin.setValue(rounds)
        window.tune_page.extra_config = {"eval_every": max(rounds // 6, 1)}
    if not real:  # before the shot, so the budget page and the Tune page show the same time
        budget.minutes_spin.setValue(0.3)  # the tiny model makes thousands of steps in 18 s
        window.tune_page.extra_config = {"eval_every": 100, "max_tuned_layers": 2}
    shoot(app, window, folder, "04_budget")

    window.go_to_step(3)
    tune = window.tune_page
    tune.start_run()
    if real:  # the first model (from the words alone) is shown while the language model still prepares
        wait_until(app, lambda: tune._words is not None or tune._step > 0, 600, "the first model")
        if tune.state == tune.PREPARING:
            settle(app)
            shoot(app, window, folder, "05_tune_first_model")
    wait_until(app, lambda: tune._budget_fraction >= 0.6 or not tune.is_running(), 1800, "the run")
    shoot(app, window, folder, "05_tune")
    wait_until(app, lambda: not tune.is_running(), 900, "the end of the run")

    results = window.results_page
    wait_until(app, lambda: results.comparison is not None or results.comparison_error, 300, "comparison")
    tries = {
        "excavator_work_orders.csv": "L/H BUCKET CYL LEAKING",
        "factory_work_orders_ja.csv": "油圧ホースから油がにじむ",
    }
    results.try_edit.setText(tries.get(examples.name, "hydraulic hose leak at pump"))
    results.try_text()
    wait_until(app, lambda: results.prediction is not None, 60, "the try-it answer")
    shoot(app, window, folder, "06_results")
    results.scroll.verticalScrollBar().setValue(results.scroll.verticalScrollBar().maximum())
    if results.comparison is not None:  # list the rows of the largest mistake, as a click on its cell does
        matrix = results.comparison["confusion_after"]
        n = len(matrix)
        wrong = [(matrix[i][j], i, j) for i in range(n) for j in range(n) if i != j and matrix[i][j]]
        if wrong:
            results.show_cell(*max(wrong)[1:])
    shoot(app, window, folder, "07_results_details")
    shoot_roi_and_report(app, window, folder, scratch)

    window.results_page.shutdown()
    window.pool.wait_all()
    window.close()
    settle(app)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="the included model and the demo data")
    parser.add_argument("--lang", nargs="+", default=["ja", "en"], choices=["ja", "en"])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--size", default="x".join(map(str, SIZE)), help="window size in logical pixels, WxH")
    parser.add_argument("--minutes", type=float, help="tuning time of each run (default: the demo's)")
    parser.add_argument("--rounds", type=int, help="tune for this many rounds instead of a time")
    parser.add_argument("--roi-run", type=Path, help="only 08/09: the ROI page and report of this run folder")
    parser.add_argument(
        "--data",
        type=Path,
        help="with --real: these examples instead of the demo's, with the model the app picks",
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="genba-screens-"))
    os.environ["GENBA_TUNER_SETTINGS"] = str(scratch / "settings.ini")
    if not args.real and args.roi_run is None:  # the real model's converted copy is worth keeping
        os.environ["GENBA_TUNER_HOME"] = str(scratch / "home")

    from app.gui.main import create_application

    app = create_application()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    if args.roi_run is not None:
        for lang in args.lang:
            run_roi_only(app, lang, args.roi_run.resolve(), args.out, size, scratch)
        return 0
    if args.real:
        model, examples = "default", REPO / "resources" / "demo" / "excavator_work_orders.csv"
        if args.data is not None:
            from app.engine.data.examples import load_examples
            from app.engine.models.catalog import pick_builtin

            examples = args.data.resolve()
            model = pick_builtin([e.text for e in load_examples(examples).examples])
    else:
        from tests.tiny_models import write_tiny_llama_gguf

        model = str(scratch / "tiny-llama.gguf")
        write_tiny_llama_gguf(Path(model))
        examples = write_tiny_examples(scratch / "work_orders.csv")
    for lang in args.lang:
        run_language(
            app, lang, model, examples, args.real, args.out, size, scratch, args.minutes, args.rounds
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
