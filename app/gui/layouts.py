"""Layouts that fit a narrow window: rows of buttons that wrap, and columns that stack.

A 1366×768 screen at 150 % scaling leaves 911×512 logical pixels, and a page body sits in a scroll area
that never makes it narrower than its minimum width: a row of five buttons or two tables side by side
then push the page off the right edge. ``FlowBox`` puts what does not fit on the next
line; ``Columns`` places its widgets side by side when they fit and one
under the other when they do not.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMargins, QPoint, QRect, QSize
from PySide6.QtWidgets import QBoxLayout, QLayout, QSizePolicy, QVBoxLayout, QWidget


class FlowBox(QWidget):
    """Its widgets left to right at their natural size, wrapping onto new lines; its height follows from the
    width it gets (Qt's "Flow Layout" example, as a widget that places its children itself: a Python QLayout
    subclass holds QLayoutItems that PySide's garbage collection can delete under it)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._widgets: list[QWidget] = []
        self._spacing = spacing
        self._margins = QMargins()
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def add(self, widget: QWidget) -> None:
        widget.setParent(self)
        widget.installEventFilter(self)  # shown, hidden or resized: place everything again
        self._widgets.append(widget)
        self._changed()

    def setContentsMargins(self, left: int, top: int, right: int, bottom: int) -> None:  # noqa: N802
        self._margins = QMargins(left, top, right, bottom)
        self._changed()

    def _shown(self) -> list[QWidget]:
        return [w for w in self._widgets if not w.isHidden()]

    def _changed(self) -> None:
        self.updateGeometry()
        self._place(self.width(), move=True)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.LayoutRequest):
            self._changed()
        return False

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a child's size hint changed (new text, new font)
            self._changed()
        return super().event(event)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._place(width, move=False)

    def sizeHint(self) -> QSize:  # noqa: N802
        """Everything on one line: what the box asks for when there is room."""
        shown = self._shown()
        m = self._margins
        width = sum(w.sizeHint().width() for w in shown) + self._spacing * max(len(shown) - 1, 0)
        height = max((w.sizeHint().height() for w in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """As narrow as its widest widget (the height a width needs comes from ``heightForWidth``)."""
        shown, m = self._shown(), self._margins
        width = max((w.sizeHint().width() for w in shown), default=0)
        height = max((w.sizeHint().height() for w in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._place(event.size().width(), move=True)
        super().resizeEvent(event)

    def _place(self, width: int, move: bool) -> int:
        m = self._margins
        left, right = m.left(), width - m.right()
        x, y, line_height = left, m.top(), 0
        for widget in self._shown():
            hint = widget.sizeHint()
            if x + hint.width() > right and line_height > 0:
                x, y, line_height = left, y + line_height + self._spacing, 0
            if move:
                widget.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height + m.bottom()


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


def button_row(*buttons: QWidget) -> FlowBox:
    """A row of buttons that wraps when the page is narrow (the widget to add where a QHBoxLayout was)."""
    row = FlowBox()
    for button in buttons:
        row.add(button)
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
