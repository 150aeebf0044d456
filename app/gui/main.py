"""Entry point of the desktop app: ``genba-tuner`` with no arguments, or ``python -m app``."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from app.gui.fonts import install_fonts
from app.gui.i18n import set_language, system_language
from app.gui.settings import APPLICATION, ORGANIZATION, Settings
from app.gui.theme import STYLE_SHEET


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with our names, fonts, look and the saved (or the OS's) language."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(["genba-tuner", *(argv or [])])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Genba Tuner")
    install_fonts(app)
    app.setStyleSheet(STYLE_SHEET)
    set_language(Settings().language or system_language())
    return app


def run_gui(argv: list[str] | None = None) -> int:
    """Open the window and run the event loop; returns the exit code."""
    from app.gui.main_window import MainWindow

    app = create_application(argv)
    window = MainWindow(Settings())
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(run_gui(sys.argv[1:]))
