"""Layouts that fit a narrow window: rows of buttons that wrap, and columns that stack.

A 1366×768 screen at 150 % scaling leaves 911×512 logical pixels, and a page body sits in a scroll area
that never makes it narrower than its minimum width: a row of five buttons or two tables side by side
then push the page off the right edge. ``FlowLayout`` (Qt's "Flow Layout" example, in Python) puts
what does not fit on the next line; ``Columns`` places its widgets side by side when they fit and one
under the other when they do not.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QBoxLayout, QLayout, QLayoutItem, QSizePolicy, QVBoxLayout, QWidget


class FlowLayout(QLayout):
    """Items left to right, wrapping onto new lines; its height follows from the width it gets."""

    def __init__(self, parent: QWidget | None = None, spacing: int = -1) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        if parent is None:
            self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt's name)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        """Everything on one line: what the layout asks for when there is room."""
        shown = [item for item in self._items if not item.isEmpty()]
        width = sum(item.sizeHint().width() for item in shown)
        width += sum(self._gap(item, Qt.Orientation.Horizontal) for item in shown[1:])
        height = max((item.sizeHint().height() for item in shown), default=0)
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _gap(self, item: QLayoutItem, orientation: Qt.Orientation) -> int:
        if self._spacing >= 0:
            return self._spacing
        widget = item.widget()
        if widget is None:
            return 6
        gap = widget.style().layoutSpacing(
            QSizePolicy.ControlType.PushButton, QSizePolicy.ControlType.PushButton, orientation
        )
        return gap if gap >= 0 else 6

    def _place(self, rect: QRect, move: bool) -> int:
        m: QMargins = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            gap_x = self._gap(item, Qt.Orientation.Horizontal)
            gap_y = self._gap(item, Qt.Orientation.Vertical)
            if x + hint.width() > area.right() + 1 and line_height > 0:
                x, y, line_height = area.x(), y + line_height + gap_y, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + gap_x
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + m.bottom()


class Columns(QWidget):
    """Widgets side by side when the width allows every one its minimum, else one under the other.

    Its minimum width is that of its widest widget, so a scroll area can make it narrow; the choice is made
    again on every resize. ``stretch`` gives each column's share of the width when side by side.
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 12) -> None:
        super().__init__(parent)
        self._box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(spacing)
        self._widgets: list[tuple[QWidget, int]] = []

    def add(self, widget: QWidget, stretch: int = 1) -> None:
        """A column; one with ``stretch`` 0 keeps the width it asks for (its size hint) when side by side."""
        widget.setParent(self)
        self._box.addWidget(widget, stretch)
        self._widgets.append((widget, stretch))

    def side_by_side(self) -> bool:
        return self._box.direction() == QBoxLayout.Direction.LeftToRight

    def _wide_need(self) -> int:
        shown = [(w, stretch) for w, stretch in self._widgets if not w.isHidden()]
        need = sum(
            max(w.minimumSizeHint().width(), 0 if stretch else w.sizeHint().width()) for w, stretch in shown
        )
        return need + self._box.spacing() * max(len(shown) - 1, 0)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        shown = [w for w, _ in self._widgets if not w.isHidden()]
        width = max((w.minimumSizeHint().width() for w in shown), default=0)
        return QSize(width, self._box.minimumSize().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        wide = event.size().width() >= self._wide_need()
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if direction != self._box.direction():
            self._box.setDirection(direction)
            self.updateGeometry()
        super().resizeEvent(event)


def button_row(*buttons: QWidget) -> FlowLayout:
    """A row of buttons that wraps when the page is narrow (the layout to add where a QHBoxLayout was)."""
    row = FlowLayout()
    for button in buttons:
        row.addWidget(button)
    return row


def column(*items: QWidget | QLayout, stretch_last: bool = True) -> QWidget:
    """A plain widget holding ``items`` (widgets or layouts) one under the other, for a ``Columns``."""
    widget = QWidget()
    box = QVBoxLayout(widget)
    box.setContentsMargins(0, 0, 0, 0)
    for n, item in enumerate(items):
        stretch = 1 if stretch_last and n == len(items) - 1 else 0
        if isinstance(item, QLayout):
            box.addLayout(item, stretch)
        else:
            box.addWidget(item, stretch)
    return widget
