"""Draw the app icon with QPainter: a white gear holding 現, with an orange slider (the "tuning") below.

Writes ``installer/genba-tuner.png`` (256 px, for Linux desktops) and ``installer/genba-tuner.ico``
(16-256 px, for the Windows executable, installer and shortcuts). Run with the project's venv:

    QT_QPA_PLATFORM=offscreen .venv/bin/python installer/make_icon.py
"""

from __future__ import annotations

import math
import os
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPainter, QPainterPath

HERE = Path(__file__).resolve().parent
FONT = HERE.parent / "resources" / "fonts" / "ipaexg.ttf"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
NAVY = QColor("#1d3f66")
WHITE = QColor("#ffffff")
ORANGE = QColor("#f28c28")  # safety orange: the one moving part


def gear_path(cx: float, cy: float, r_root: float, r_tip: float, teeth: int) -> QPainterPath:
    """A gear outline with trapezoidal teeth."""
    path = QPainterPath()
    step = 2 * math.pi / teeth
    # Fractions of one tooth pitch: rise, flat top, fall, flat root.
    marks = [(0.0, r_root), (0.15, r_tip), (0.45, r_tip), (0.6, r_root)]
    for i in range(teeth):
        for frac, r in marks:
            a = (i + frac) * step - math.pi / 2
            point = QPointF(cx + r * math.cos(a), cy + r * math.sin(a))
            if i == 0 and frac == 0.0:
                path.moveTo(point)
            else:
                path.lineTo(point)
    path.closeSubpath()
    return path


def draw_icon(size: int, family: str | None) -> QImage:
    """The icon at ``size`` px; sizes below 64 px drop the character, which would be an unreadable smudge."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 256, size / 256)  # draw in a 256-unit box

    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(NAVY)
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 44, 44)

    cx, cy = 128, 102
    gear = gear_path(cx, cy, 68, 88, 10)
    hole = QPainterPath()
    hole.addEllipse(QPointF(cx, cy), 44, 44)
    p.setBrush(WHITE)
    p.drawPath(gear.subtracted(hole))

    if size >= 64 and family:
        font = QFont(family)
        font.setPixelSize(62)
        font.setBold(True)
        p.setFont(font)
        p.setPen(WHITE)
        p.drawText(QRectF(cx - 44, cy - 44, 88, 88), Qt.AlignmentFlag.AlignCenter, "現")
        p.setPen(Qt.PenStyle.NoPen)

    # The slider: a track across the bottom and an orange knob set off-centre.
    p.setBrush(WHITE)
    p.drawRoundedRect(QRectF(40, 208, 176, 16), 8, 8)
    p.setBrush(ORANGE)
    p.drawRoundedRect(QRectF(40, 208, 112, 16), 8, 8)
    p.drawEllipse(QPointF(152, 216), 20, 20)
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def dib_bytes(image: QImage) -> bytes:
    """A classic ICO bitmap entry: BITMAPINFOHEADER, bottom-up BGRA rows, then the 1-bit AND mask."""
    size = image.width()
    image = image.convertToFormat(QImage.Format.Format_ARGB32)  # little-endian memory order: B, G, R, A
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = [bytes(image.constScanLine(y))[: size * 4] for y in reversed(range(size))]
    mask_row = bytes(((size + 31) // 32) * 4)  # all zero: alpha decides transparency
    return header + b"".join(rows) + mask_row * size


def write_ico(path: Path, images: list[QImage]) -> None:
    """ICO with bitmap entries up to 48 px and a PNG entry above (what Windows' own icons do).

    Qt's ICO writer stores one image per file, so the container is written here.
    """
    entries = [png_bytes(im) if im.width() > 48 else dib_bytes(im) for im in images]
    offset = 6 + 16 * len(images)
    directory = b""
    for image, blob in zip(images, entries, strict=True):
        side = image.width() % 256  # 0 means 256
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    path.write_bytes(struct.pack("<HHH", 0, 1, len(images)) + directory + b"".join(entries))


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    font_id = QFontDatabase.addApplicationFont(str(FONT)) if FONT.is_file() else -1
    family = QFontDatabase.applicationFontFamilies(font_id)[0] if font_id >= 0 else None
    images = [draw_icon(size, family) for size in ICO_SIZES]
    images[-1].save(str(HERE / "genba-tuner.png"), "PNG")
    write_ico(HERE / "genba-tuner.ico", images)
    del app
    print(
        f"wrote {HERE / 'genba-tuner.png'} and {HERE / 'genba-tuner.ico'} ({', '.join(map(str, ICO_SIZES))} px)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
