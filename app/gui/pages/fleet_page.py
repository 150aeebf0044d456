"""Fleet: join a fleet of PCs that tune one model together, and watch it (the PCs, their accuracies, the
live error curve).

Joining starts this PC's Flower SuperNode (``app.fleet.launch``, as ``genba-tuner fleet join`` does); the
coordinator's view of the fleet arrives with every round in the PC's fleet folder and is read here once a
second. Only seeds and a few numbers per step leave the PC (docs/FLEET.md).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.engine.errors import GenbaError
from app.fleet import launch
from app.fleet.coordinator import read_status
from app.gui.i18n import current_language
from app.gui.pages.page import Page, StatusLine, make_button
from app.gui.plots import BLUE, LivePlot

POLL_MS = 1000  # the view changes once per round (seconds apart on Flower's deployment engine)


def _file_row(parent: QWidget, edit: QLineEdit, browse) -> QWidget:
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    button = make_button(row)
    button.clicked.connect(browse)
    layout.addWidget(button)
    row.browse_button = button
    return row


def _share(figures: dict, part: str) -> str:
    """ "75.0% of 12" for a PC's (or the pooled) accuracy on its ``part`` rows, or "" before it is known."""
    accuracy, n = figures.get(f"{part}_accuracy"), figures.get(f"n_{part}")
    if not isinstance(accuracy, float):
        return ""
    return f"{accuracy:.1%} ({n})" if n else f"{accuracy:.1%}"


class FleetPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.process: subprocess.Popen | None = None
        self._shown_steps = -1
        form = QFormLayout()
        self.address_edit = QLineEdit(self.body)
        self.address_edit.setPlaceholderText("plant-server:9091")
        self.name_edit = QLineEdit(self.body)
        self.data_edit = QLineEdit(self.body)
        self.folder_edit = QLineEdit(self.body)
        self.cert_edit = QLineEdit(self.body)
        self.data_row = _file_row(self.body, self.data_edit, self._browse_data)
        self.folder_row = _file_row(self.body, self.folder_edit, self._browse_folder)
        self.cert_row = _file_row(self.body, self.cert_edit, self._browse_cert)
        self.insecure_box = QCheckBox(self.body)
        self.labels = {}
        for key, widget in (
            ("address", self.address_edit),
            ("name", self.name_edit),
            ("data", self.data_row),
            ("folder", self.folder_row),
            ("cert", self.cert_row),
        ):
            label = QLabel(self.body)
            label.setBuddy(widget)
            form.addRow(label, widget)
            self.labels[key] = label
        form.addRow(QLabel(self.body), self.insecure_box)
        self.layout_.addLayout(form)
        buttons = QHBoxLayout()
        self.join_button = make_button(self.body, primary=True)
        self.join_button.clicked.connect(self.join)
        self.leave_button = make_button(self.body)
        self.leave_button.clicked.connect(self.leave)
        buttons.addWidget(self.join_button)
        buttons.addWidget(self.leave_button)
        buttons.addStretch(1)
        self.layout_.addLayout(buttons)
        self.status = StatusLine(self.body)
        self.layout_.addWidget(self.status)
        self.table = QTableWidget(0, 5, self.body)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(150)
        self.layout_.addWidget(self.table)
        self.plot = LivePlot(self.body, time_axis=False)
        self.plot.add_series("loss", BLUE)
        self.plot.setMinimumHeight(220)
        self.layout_.addWidget(self.plot)
        self.layout_.addStretch(1)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._set_joined(False)
        self.retranslate()

    # --- Page ---------------------------------------------------------------------------------------
    def step_title(self) -> str:
        return self.tr("Fleet")

    def is_done(self) -> bool:
        return False

    def retranslate(self) -> None:
        super().retranslate()
        self.intro.setText(
            self.tr(
                "Tune one model together with other PCs of your plant. Each PC keeps its own training data: "
                "only round numbers and a few sums per round leave this PC, never the data or the model."
            )
        )
        texts = {
            "address": self.tr("Coordinator address:"),
            "name": self.tr("Name of this PC:"),
            "data": self.tr("Training data on this PC:"),
            "folder": self.tr("Fleet folder on this PC:"),
            "cert": self.tr("Fleet certificate (ca.crt):"),
        }
        for key, text in texts.items():
            self.labels[key].setText(text)
        for row in (self.data_row, self.folder_row, self.cert_row):
            row.browse_button.setText(self.tr("Browse…"))
        self.insecure_box.setText(self.tr("No encryption (a trial on one PC only)"))
        self.join_button.setText(self.tr("&Join the fleet"))
        self.leave_button.setText(self.tr("&Leave"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("PC"),
                self.tr("Rows to\nlearn from"),
                self.tr("Correct\n(checking rows)"),
                self.tr("Correct\n(final test rows)"),
                self.tr("Last seen"),
            ]
        )
        self.plot.set_labels(
            self.tr("Error while learning, all PCs together (lower is better)"),
            self.tr("error"),
            self.tr("round"),
        )
        self.plot.set_series_name("loss", self.tr("all PCs' rows of the round"))
        self.next_button.setText(self.tr("&Next →"))

    # --- joining ------------------------------------------------------------------------------------
    def _browse_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Training data on this PC"))
        if path:
            self.data_edit.setText(path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, self.tr("Fleet folder on this PC"))
        if path:
            self.folder_edit.setText(path)

    def _browse_cert(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Fleet certificate (ca.crt)"))
        if path:
            self.cert_edit.setText(path)

    def _problem(self) -> str:
        """What is missing before joining, in the user's language, or ''."""
        address = self.address_edit.text().strip()
        if ":" not in address or not address.rsplit(":", 1)[1].isdigit():
            return self.tr("Enter the coordinator's address as name:port, for example plant-server:9091.")
        if not self.name_edit.text().strip():
            return self.tr("Enter a name for this PC (the other PCs see it).")
        if not Path(self.data_edit.text().strip()).is_file():
            return self.tr("Choose the file with this PC's training data.")
        if not self.folder_edit.text().strip():
            return self.tr("Choose a folder where this PC keeps its fleet records.")
        if not self.insecure_box.isChecked() and not Path(self.cert_edit.text().strip()).is_file():
            return self.tr(
                "Choose the fleet's certificate file, or tick 'No encryption' for a trial on one PC."
            )
        return ""

    def join(self) -> None:
        problem = self._problem()
        if problem:
            self.status.set_message("error", self.tr("Problem"), problem)
            return
        folder = Path(self.folder_edit.text().strip())
        try:
            folder.mkdir(parents=True, exist_ok=True)
            cmd = launch.join_command(
                self.address_edit.text().strip(),
                self.name_edit.text().strip(),
                self.data_edit.text().strip(),
                folder,
                root_certificate=None if self.insecure_box.isChecked() else self.cert_edit.text().strip(),
            )
            self.process = launch.start(
                cmd, launch.process_env(folder / "flwr-home"), folder / "supernode.log"
            )
        except (GenbaError, OSError) as exc:
            text = exc.message(current_language()) if isinstance(exc, GenbaError) else str(exc)
            self.status.set_message("error", self.tr("Problem"), text)
            return
        self._shown_steps = -1
        self.plot.clear_data()
        self._set_joined(True)
        self.status.set_message(
            "info", self.tr("Joined"), self.tr("Waiting for the coordinator's next round…")
        )
        self.timer.start()

    def leave(self) -> None:
        self.timer.stop()
        if self.process is not None:
            launch.stop(self.process)
            self.process = None
        self._set_joined(False)

    def shutdown(self) -> None:
        """The window closes: stop this PC's SuperNode (the fleet goes on without it; it can rejoin)."""
        self.leave()

    def _set_joined(self, joined: bool) -> None:
        self.join_button.setEnabled(not joined)
        self.leave_button.setEnabled(joined)
        for w in (self.address_edit, self.name_edit, self.data_row, self.folder_row, self.cert_row):
            w.setEnabled(not joined)
        self.insecure_box.setEnabled(not joined)

    # --- watching -----------------------------------------------------------------------------------
    def poll(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            self.leave()
            self.status.set_message(
                "error",
                self.tr("Problem"),
                self.tr("This PC's fleet connection stopped. See supernode.log in the fleet folder."),
            )
            return
        view = read_status(self.folder_edit.text().strip())
        if view:
            self.show_view(view)

    def show_view(self, view: dict) -> None:
        """Show the coordinator's view: the PCs, the pooled loss per step and how far the fleet is."""
        pcs = view.get("pcs", {})
        pooled = view.get("pooled", {})
        now = float(view.get("now", time.time()))
        rows = []
        for name, pc in sorted(pcs.items()):
            ago = max(0, round(now - float(pc.get("last_seen", now))))
            rows.append(
                [
                    name,
                    str(pc.get("n_train", "")),
                    _share(pc, "val"),
                    _share(pc, "test"),
                    self.tr("{seconds} s ago").format(seconds=ago),
                ]
            )
        if len(pcs) > 1:  # the coordinator's pooled figures: every PC's rows counted once
            n_train = sum(int(pc.get("n_train", 0)) for pc in pcs.values())
            rows.append(
                [self.tr("All PCs together"), str(n_train), _share(pooled, "val"), _share(pooled, "test"), ""]
            )
        self.table.setRowCount(len(rows))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, cells in enumerate(rows):
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if len(pcs) > 1 and row == len(rows) - 1:
                    item.setFont(bold)
                self.table.setItem(row, col, item)
        losses = view.get("losses", [])
        if len(losses) != self._shown_steps:
            self.plot.clear_data()
            for step, loss in losses:
                if loss is not None:
                    self.plot.append("loss", float(step), float(loss))
            self._shown_steps = len(losses)
            self.plot.refresh()
        step, steps = int(view.get("step", 0)), int(view.get("steps", 0))
        if view.get("finished"):
            text = self.tr("The fleet finished all {steps} rounds.").format(steps=steps)
            if isinstance(pooled.get("test_accuracy"), float) and pooled.get("n_test"):
                text += " " + self.tr(
                    "All PCs together: {accuracy} correct on {n} final test rows (never used while tuning)."
                ).format(accuracy=f"{pooled['test_accuracy']:.1%}", n=pooled["n_test"])
            self.status.set_message("ok", self.tr("Finished"), text)
        else:
            self.status.set_message(
                "info",
                self.tr("Tuning"),
                self.tr("Round {step} of {steps}, {pcs} PCs.").format(step=step, steps=steps, pcs=len(pcs)),
            )
