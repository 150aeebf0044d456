"""A real fleet on this PC, and the Fleet page's screenshot in Japanese and English.

    .venv/bin/python scripts/fleet_screenshots.py            # the included model, 3 PCs, 30 rounds (~15 min)

The demo work orders are cut into three disjoint parts ("Line 1" to "Line 3"). A coordinator
(``genba-tuner fleet serve``) and two PCs (``genba-tuner fleet join``) run as processes; the window joins
as "Line 1" from its Fleet page, as an operator would. When the fleet has finished, the page is saved as
docs/screenshots/{ja,en}/10_fleet.png. Everything runs on localhost without encryption (a trial on one
PC); docs/FLEET.md says how a plant sets it up across PCs.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screenshots import SIZE, settle, shoot, wait_until  # noqa: E402

DEMO = REPO / "resources" / "demo" / "excavator_work_orders.csv"


def write_parts(folder: Path, parts: int) -> tuple[list[Path], list[str]]:
    """The demo rows dealt round-robin into ``parts`` CSVs; returns the files and the labels."""
    with open(DEMO, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    paths = []
    for k in range(parts):
        path = folder / f"line{k + 1}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["text", "label"])
            writer.writeheader()
            writer.writerows({"text": r["text"], "label": r["label"]} for r in rows[k::parts])
        paths.append(path)
    return paths, sorted({r["label"] for r in rows})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--lang", nargs="+", default=["ja", "en"], choices=["ja", "en"])
    args = parser.parse_args()

    from app.fleet import launch
    from app.gui.i18n import set_language
    from app.gui.main import create_application
    from app.gui.main_window import MainWindow
    from app.gui.settings import Settings

    scratch = Path(tempfile.mkdtemp(prefix="genba-fleet-shots-"))
    parts, labels = write_parts(scratch, 3)
    port = launch.free_port()
    cli = [str(REPO / ".venv" / "bin" / "genba-tuner")]
    logs = []

    def start(cmd: list[str], log: str) -> subprocess.Popen:
        handle = open(scratch / log, "w", encoding="utf-8")  # noqa: SIM115 (closed at the end)
        logs.append(handle)
        return subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)

    server = start(
        cli
        + ["fleet", "serve", "--out", str(scratch / "server"), "--labels", ",".join(labels)]
        + ["--steps", str(args.rounds), "--eval-every", str(max(args.rounds // 3, 1)), "--pcs", "3"]
        + ["--host", "127.0.0.1", "--port", str(port), "--insecure", "--round-timeout", "600"],
        "server.log",
    )
    others = []
    try:
        launch.wait_for_port("127.0.0.1", port, server, timeout=600)
        for k in (2, 3):
            others.append(
                start(
                    cli
                    + ["fleet", "join", "--superlink", f"127.0.0.1:{port}", "--name", f"Line {k}"]
                    + ["--data", str(parts[k - 1]), "--folder", str(scratch / f"line{k}"), "--insecure"],
                    f"line{k}.log",
                )
            )
        app = create_application()
        set_language(args.lang[0])
        window = MainWindow(Settings(), check_model_on_start=False)
        window.resize(*SIZE)
        window.show()
        page = window.fleet_page
        window.show_page(page)
        page.address_edit.setText(f"127.0.0.1:{port}")
        page.name_edit.setText("Line 1")
        page.data_edit.setText(str(parts[0]))
        page.folder_edit.setText(str(scratch / "line1"))
        page.insecure_box.setChecked(True)
        page.join()
        if page.process is None:
            raise RuntimeError(page.status.text.text())
        wait_until(
            app,
            lambda: page.table.rowCount() > 1 and page.status.property("level") == "ok",
            3600,
            "the fleet",
        )
        for lang in args.lang:
            window.language_combo.setCurrentIndex(window.language_combo.findData(lang))  # as a user switches
            settle(app, 1.5)  # the page re-reads the view once a second
            bar = page.scroll.verticalScrollBar()
            bar.setValue(bar.maximum())  # the PCs' table and the chart
            folder = args.out / lang
            folder.mkdir(parents=True, exist_ok=True)
            shoot(app, window, folder, "10_fleet")
        page.leave()
        window.close()
        return server.wait(timeout=600)
    finally:
        for proc in [*others, server]:
            launch.stop(proc)
        for handle in logs:
            handle.close()
        print("logs in", scratch)


if __name__ == "__main__":
    raise SystemExit(main())
