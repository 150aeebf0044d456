"""What every step page shares: a scrollable body, a heading, retranslation and a primary action."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

BUTTON_MIN_HEIGHT = 40  # shop-floor click targets (gloves, touch screens)


def make_button(parent: QWidget | None = None, primary: bool = False) -> QPushButton:
    button = QPushButton(parent)
    button.setMinimumHeight(BUTTON_MIN_HEIGHT)
    button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
    if primary:
        button.setDefault(True)
        button.setProperty("primary", True)
    return button


def wrapping_label(parent: QWidget | None = None, selectable: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def heading_font(base: QFont, scale: float = 1.6) -> QFont:
    font = QFont(base)
    font.setPointSizeF(base.pointSizeF() * scale)
    font.setBold(True)
    return font


class StatusLine(QFrame):
    """A message with a text tag ("OK", "Problem", ...) so meaning never rests on colour alone."""

    LEVELS = ("info", "ok", "warning", "error")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLine")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.tag = QLabel(self)
        self.tag.setObjectName("statusTag")
        font = QFont(self.tag.font())
        font.setBold(True)
        self.tag.setFont(font)
        self.tag.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.text = wrapping_label(self, selectable=True)
        layout.addWidget(self.tag, 0)
        layout.addWidget(self.text, 1)
        self.set_message("info", "", "")

    def set_message(self, level: str, tag: str, text: str) -> None:
        self.setProperty("level", level)
        self.tag.setText(tag)
        self.tag.setVisible(bool(tag))
        self.text.setText(text)
        self.setVisible(bool(tag or text))
        self.style().unpolish(self)
        self.style().polish(self)


class Page(QWidget):
    """A step of the side bar. Subclasses build widgets once and set every text in ``retranslate``."""

    status_changed = Signal()  # the page's "done" state changed (side bar check mark)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(self.scroll)
        self.body = QWidget()
        self.body.setObjectName("pageBody")
        self.scroll.setWidget(self.body)
        self.layout_ = QVBoxLayout(self.body)
        self.layout_.setContentsMargins(24, 16, 24, 16)
        self.layout_.setSpacing(12)
        self.heading = QLabel(self.body)
        self.heading.setFont(heading_font(self.font()))
        self.intro = wrapping_label(self.body)
        self.layout_.addWidget(self.heading)
        self.layout_.addWidget(self.intro)
        self.primary_button: QPushButton | None = None

    # --- to override ------------------------------------------------------------------------------
    def step_title(self) -> str:
        raise NotImplementedError

    def is_done(self) -> bool:
        return False

    def retranslate(self) -> None:
        self.heading.setText(self.step_title())

    # --- Qt ---------------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
