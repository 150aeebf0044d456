"""Live plots for the Tune page and the label-count chart of the Examples page (pyqtgraph).

Events only append numbers to pre-allocated arrays; a single 10 Hz timer redraws the curves that changed
and are on screen. Re-creating plot items per event would cost more than the GUI can spare while the
engine saturates the cores.
"""

from __future__ import annotations

from html import escape

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

REFRESH_MS = 100  # 10 Hz

pg.setConfigOptions(background="w", foreground="k", antialias=False)

# Okabe-Ito colours (distinguishable with colour blindness); every series also differs by line style.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILION = "#D55E00"
GREY = "#777777"


def pen(colour: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    p = QPen(QColor(colour))
    p.setWidthF(width)
    p.setStyle(style)
    p.setCosmetic(True)
    return p


class SeriesBuffer:
    """x/y float64 arrays with room to grow (doubling), so appending never reallocates per point."""

    def __init__(self, capacity: int = 2048) -> None:
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.concatenate([self.x, np.empty_like(self.x)])
            self.y = np.concatenate([self.y, np.empty_like(self.y)])
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1

    def clear(self) -> None:
        self.n = 0

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]


class TimeAxis(pg.AxisItem):
    """A run-time axis in m:ss (seconds in, "2:30" out), ticks at round intervals; never "0.05 min"."""

    STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)  # seconds between major ticks

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # noqa: N802 (pyqtgraph's name)
        span = max(maxVal - minVal, 1.0)
        most = max(int(size / 70), 2)  # a label needs about 70 px
        major = next((s for s in self.STEPS if span / s <= most), self.STEPS[-1])
        return [(major, 0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        out = []
        for v in values:
            s = int(round(max(v, 0.0)))
            out.append(
                f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
            )
        return out


class LivePlot(QWidget):
    """A plot of named series fed point by point; redrawn by :class:`PlotRefresher`, not per point.

    The legend is a line of text under the plot (a line sample and the series name), not an overlay
    that would hide data.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        right_axis: bool = False,
        time_axis: bool = True,
        y_from_zero: bool = False,
    ) -> None:
        """``time_axis``: x is run time in seconds, labelled m:ss. ``y_from_zero``: the y axis starts at 0
        and grows with the data (2 MB more memory must not look like a climb)."""
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self._y_from_zero = y_from_zero
        axes = {"bottom": TimeAxis("bottom")} if time_axis else None
        self.view = pg.PlotWidget(self, axisItems=axes)
        self.view.setMinimumHeight(140)
        self.view.setAcceptDrops(False)  # file drops go to the window (examples), not the scene
        self.legend = QLabel(self)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)  # between entries only: each entry is nowrap
        self.legend.setContentsMargins(8, 0, 8, 4)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.legend)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor("white"))
        self.setPalette(palette)
        item = self.view.getPlotItem()
        # No grid: alpha-blended grid lines were 60% of a redraw (6.5 of 10.6 ms per plot, software
        # rendering at 420x230), and the GUI thread shares the CPU with the tuning run.
        item.setMenuEnabled(False)
        for side in ("left", "bottom", "right"):
            item.getAxis(side).enableAutoSIPrefix(False)  # "minutes (x0.001)" confuses more than it helps
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._styles: dict[str, tuple[str, Qt.PenStyle, str | None]] = {}
        self._names: dict[str, str] = {}
        self._buffers: dict[str, SeriesBuffer] = {}
        self._dirty: set[str] = set()
        self._left: set[str] = set()  # series drawn against the left axis
        self._right: pg.ViewBox | None = None
        if right_axis:
            self._right = pg.ViewBox()
            item.showAxis("right")
            item.scene().addItem(self._right)
            item.getAxis("right").linkToView(self._right)
            self._right.setXLink(item)
            item.vb.sigResized.connect(self._sync_right)

    def _sync_right(self) -> None:
        self._right.setGeometry(self.view.getPlotItem().vb.sceneBoundingRect())
        self._right.linkedViewChanged(self.view.getPlotItem().vb, self._right.XAxis)

    def addItem(self, item) -> None:
        self.view.addItem(item)

    def add_series(
        self,
        key: str,
        colour: str,
        style: Qt.PenStyle = Qt.PenStyle.SolidLine,
        symbol: str | None = None,
        on_right: bool = False,
        width: float = 2.0,
    ) -> None:
        curve = pg.PlotDataItem(
            pen=pen(colour, width, style), symbol=symbol, symbolBrush=colour, symbolSize=7
        )
        curve.setClipToView(True)
        curve.setDownsampling(auto=True, method="peak")
        if on_right and self._right is not None:
            self._right.addItem(curve)
        else:
            self.view.getPlotItem().addItem(curve)
            self._left.add(key)
        self._curves[key] = curve
        self._styles[key] = (colour, style, symbol)
        self._names[key] = key
        self._buffers[key] = SeriesBuffer()
        self._update_legend()

    def set_series_name(self, key: str, name: str) -> None:
        self._names[key] = name
        self._update_legend()

    def _update_legend(self) -> None:
        parts = []
        for key, (colour, style, symbol) in self._styles.items():
            sample = {Qt.PenStyle.SolidLine: "━━━", Qt.PenStyle.DotLine: "┈┈┈"}.get(style, "╺╺╺")
            if symbol:
                mark = "■" if symbol == "s" else "●"
                sample = f" {mark} " if style == Qt.PenStyle.NoPen else f"━{mark}━"
            parts.append(
                f'<span style="white-space:nowrap"><span style="color:{colour}; font-weight:bold">{sample}'
                f"</span>&nbsp;{escape(self._names[key])}</span>"
            )
        self.legend.setText("&nbsp;&nbsp; ".join(parts))

    def set_labels(self, title: str, left: str, bottom: str, right: str | None = None) -> None:
        item = self.view.getPlotItem()
        item.setTitle(title, size="11pt")
        item.setLabel("left", left)
        item.setLabel("bottom", bottom)
        if right is not None and self._right is not None:
            item.setLabel("right", right)

    def set_y_range(self, low: float, high: float, on_right: bool = False) -> None:
        view = self._right if on_right and self._right is not None else self.view.getPlotItem().vb
        view.setYRange(low, high, padding=0.02)
        view.enableAutoRange(axis=pg.ViewBox.YAxis, enable=False)

    def append(self, key: str, x: float, y: float) -> None:
        self._buffers[key].append(x, y)
        self._dirty.add(key)

    def last(self, key: str) -> float | None:
        buf = self._buffers[key]
        return float(buf.y[buf.n - 1]) if buf.n else None

    def count(self, key: str) -> int:
        return self._buffers[key].n

    def clear_data(self) -> None:
        for key, buf in self._buffers.items():
            buf.clear()
            self._dirty.add(key)

    def has_news(self) -> bool:
        return bool(self._dirty) and self.isVisible()

    def refresh(self) -> None:
        """Push changed series to their curves; cheap when nothing changed."""
        if not self._dirty or not self.isVisible():
            return
        for key in self._dirty:
            x, y = self._buffers[key].data()
            self._curves[key].setData(x, y)
        self._dirty.clear()
        if self._y_from_zero:
            top = max(
                (float(b.y[: b.n].max()) for k, b in self._buffers.items() if b.n and k in self._left),
                default=0,
            )
            vb = self.view.getPlotItem().vb
            vb.enableAutoRange(axis=pg.ViewBox.YAxis, enable=False)
            vb.setYRange(0, top * 1.15 if top > 0 else 1.0, padding=0)


class PlotRefresher(QObject):
    """One timer for all live plots (≤ 10 Hz redraws however fast events arrive).

    At most ``PER_TICK`` plots are redrawn per tick, in turn, so the resource plots (new data once a
    second, all at the same moment) never cost the GUI thread one long pause.
    """

    PER_TICK = 2

    def __init__(self, plots: list[LivePlot], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.plots = plots
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self._next = 0

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.flush()

    def refresh(self) -> None:
        """Redraw up to PER_TICK plots that have new data, continuing where the last tick stopped."""
        done = 0
        for _ in range(len(self.plots)):
            plot = self.plots[self._next]
            self._next = (self._next + 1) % len(self.plots)
            if plot.has_news():
                plot.refresh()
                done += 1
                if done == self.PER_TICK:
                    return

    def flush(self) -> None:
        for plot in self.plots:
            plot.refresh()


class LabelCountChart(pg.PlotWidget):
    """Examples per label as horizontal bars, the count written beside each bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(False)
        self.setMinimumHeight(160)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.showGrid(x=True, y=False, alpha=0.25)
        self._items: list[pg.GraphicsObject] = []

    def set_counts(self, labels: list[str], counts: list[int], axis_label: str) -> None:
        item = self.getPlotItem()
        for old in self._items:
            item.removeItem(old)
        self._items.clear()
        n = len(labels)
        if n == 0:
            return
        y = np.arange(n, dtype=float)
        widths = np.asarray(counts, dtype=float)
        bars = pg.BarGraphItem(x0=np.zeros(n), y=y, height=0.6, width=widths, brush=BLUE, pen=pen(BLUE, 1))
        item.addItem(bars)
        self._items.append(bars)
        top = max(counts) if counts else 1
        for yi, count in zip(y, counts, strict=True):
            text = pg.TextItem(str(count), color="k", anchor=(0, 0.5))
            text.setPos(count + top * 0.01, yi)
            item.addItem(text)
            self._items.append(text)
        item.getAxis("left").setTicks([[(float(i), lab) for i, lab in enumerate(labels)]])
        item.setLabel("bottom", axis_label)
        item.setXRange(0, top * 1.15, padding=0)
        item.setYRange(-0.6, n - 0.4, padding=0)
        self.setMinimumHeight(max(160, 34 * n + 60))
