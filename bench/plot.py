"""Accuracy against wall-clock minutes for every method, drawn offscreen with pyqtgraph (no matplotlib)."""

from __future__ import annotations

import os
from pathlib import Path

COLORS = {
    "engine": (31, 119, 180),
    "mezo": (255, 127, 14),
    "backprop": (44, 160, 44),
}
VARIANT_COLORS = [(148, 103, 189), (140, 86, 75), (227, 119, 194)]
SYMBOLS = {"engine": "o", "mezo": "t", "backprop": "s"}
LEVEL_COLORS = [(23, 190, 207), (188, 189, 34), (127, 127, 127)]


def accuracy_plot(
    curves: dict,
    labels: dict,
    zero_shot: dict,
    target: float,
    path: Path,
    title: str,
    levels: dict[str, float] | None = None,
    zero_label: str = "zero-shot: the untuned model, as (d) serves it",
) -> Path:
    """Two panels (test, validation): one line per method, dashed zero-shot and target lines, and dotted
    ``levels`` on the test panel (label -> test accuracy: methods with one figure, such as a bar to beat)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    import pyqtgraph.exporters
    from PySide6 import QtCore

    app = pg.mkQApp()
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    win = pg.GraphicsLayoutWidget()
    win.resize(1400, 700)
    win.addLabel(title, row=0, col=0, colspan=2, size="13pt")
    legend = pg.LegendItem(labelTextSize="11pt", colCount=3)
    variants = iter(VARIANT_COLORS)
    pens = {k: COLORS.get(k) or next(variants) for k in curves}
    dash = QtCore.Qt.PenStyle.DashLine
    grey, red = (110, 110, 110), (200, 40, 40)
    for col, (key, name) in enumerate((("test_acc", "held-out test"), ("val_acc", "validation"))):
        plot = win.addPlot(row=1, col=col)
        plot.setTitle(f"Accuracy on the {name} set", size="12pt")
        plot.setLabel("bottom", "wall-clock minutes per method (setup included)")
        plot.setLabel("left", "accuracy")
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.showGrid(x=True, y=True, alpha=0.25)
        for method, curve in curves.items():
            item = plot.plot(
                [p["t"] / 60.0 for p in curve],
                [p[key] for p in curve],
                pen=pg.mkPen(pens[method], width=2.5),
                symbol=SYMBOLS.get(method, "d"),
                symbolSize=8,
                symbolBrush=pens[method],
                symbolPen=None,
            )
            if col == 0:
                legend.addItem(item, labels.get(method, method))
        zs = zero_shot[key]
        line = plot.plot([], [], pen=pg.mkPen(grey, width=1.5, style=dash))
        plot.addItem(pg.InfiniteLine(zs, angle=0, pen=pg.mkPen(grey, width=1.5, style=dash)))
        if col == 0:
            legend.addItem(
                line,
                f"{zero_label} (test {zs:.3f}, validation {zero_shot['val_acc']:.3f})",
            )
        if key == "test_acc":
            line = plot.plot([], [], pen=pg.mkPen(red, width=1.5, style=dash))
            plot.addItem(pg.InfiniteLine(target, angle=0, pen=pg.mkPen(red, width=1.5, style=dash)))
            legend.addItem(line, f"target: zero-shot + 10 points ({target:.3f})")
            for level, (label, value) in zip(LEVEL_COLORS, (levels or {}).items(), strict=False):
                pen = pg.mkPen(level, width=2, style=QtCore.Qt.PenStyle.DotLine)
                line = plot.plot([], [], pen=pen)
                plot.addItem(pg.InfiniteLine(value, angle=0, pen=pen))
                legend.addItem(line, f"{label} ({value:.3f})")
        all_y = [p[key] for c in curves.values() for p in c] + [zs]
        all_y += [target, *(levels or {}).values()] if key == "test_acc" else []
        plot.setYRange(max(0.0, min(all_y) - 0.03), min(1.0, max(all_y) + 0.03), padding=0)
    win.addItem(legend, row=2, col=0, colspan=2)
    win.show()
    for _ in range(3):
        app.processEvents()
    exporter = pyqtgraph.exporters.ImageExporter(win.scene())
    exporter.parameters()["width"] = 1400
    path.parent.mkdir(parents=True, exist_ok=True)
    exporter.export(str(path))
    win.close()
    return path
