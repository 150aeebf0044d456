"""The report as a PDF: the engine's HTML (app/engine/results/report.py) laid out by Qt's rich text on A4 pages.

The bundled IPAexGothic is registered and used for the whole document, so the PDF embeds a font with
Japanese glyphs and looks the same on a PC that has no CJK font at all (many shop-floor PCs and CI).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPdfWriter,
    QTextDocument,
)

from app.engine.storage import atomic_write_bytes
from app.gui.fonts import FONT_FILE
from app.gui.i18n import resources_dir

REPORT_FAMILY = "IPAexGothic"
BODY_POINT_SIZE = 10
PDF_DPI = 300


def ensure_gui_application() -> QGuiApplication:
    """The running Qt application, or a new headless one (for the CLI; no display needed)."""
    app = QGuiApplication.instance()
    if app is None:
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(["genba-tuner"])
    return app


def report_font() -> QFont:
    """IPAexGothic at the body size, registered from resources/fonts if the app has not done so yet."""
    if REPORT_FAMILY not in QFontDatabase.families():
        QFontDatabase.addApplicationFont(str(resources_dir() / "fonts" / FONT_FILE))
    font = QFont()
    font.setFamilies([REPORT_FAMILY])
    font.setPointSize(BODY_POINT_SIZE)
    return font


def report_document(html: str) -> QTextDocument:
    document = QTextDocument()
    document.setDefaultFont(report_font())
    document.setHtml(html)
    return document


def pdf_bytes(html: str, title: str = "") -> bytes:
    """The report rendered on A4 pages (page numbers at the foot), as PDF bytes."""
    ensure_gui_application()
    document = report_document(html)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator("Genba Tuner")
    writer.setResolution(PDF_DPI)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    # QTextDocument.print_ adds its own 2 cm margin around an unpaginated document; none on top of it.
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    document.print_(writer)
    del writer  # the PDF is finished when the writer goes away
    data = QByteArray(buffer.data()).data()
    buffer.close()
    return bytes(data)


def write_report_pdf(path: str | Path, html: str, title: str = "") -> Path:
    """Render ``html`` to ``path`` atomically; raises the engine's GenbaError if the file cannot be written."""
    path = Path(path)
    atomic_write_bytes(path, pdf_bytes(html, title))
    return path
