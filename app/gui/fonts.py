"""A Japanese font that ships with the app, because shop-floor PCs (and CI) may have no CJK font at all.

IPAexGothic (IPA Font License v1.0, resources/fonts/) is registered with Qt and placed after the system's
default family, so Latin text keeps the platform look and Japanese falls back to IPAex instead of boxes.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from app.gui.i18n import resources_dir

FONT_FILE = "ipaexg.ttf"
BASE_POINT_SIZE = 13  # shop-floor screens are read from a step away (issue 14: 13–14 pt); Qt often uses 9


def install_fonts(app: QApplication) -> list[str]:
    """Register the bundled fonts and set the application font; returns the families that were added."""
    added: list[str] = []
    path = resources_dir() / "fonts" / FONT_FILE
    if path.is_file():
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            added = QFontDatabase.applicationFontFamilies(font_id)
    font = QFont(app.font())
    families = [f for f in font.families() or [font.family()] if f not in added]
    font.setFamilies(families + added)
    font.setPointSize(max(font.pointSize(), BASE_POINT_SIZE))
    app.setFont(font)
    return added


def monospace_font() -> QFont:
    """A fixed-pitch font for the prompt preview, with the Japanese fallback too."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    app_families = QApplication.font().families()
    font.setFamilies([font.family(), *app_families[1:]])
    font.setPointSize(QApplication.font().pointSize())
    return font
