"""What every step page shares: a scrollable body, a heading, retranslation and a primary action."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

BUTTON_MIN_HEIGHT = 56  # shop-floor touch targets (gloves, touch screens): 56 px, as the issue asks


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


class DetailsFold(QWidget):
    """A "Details ▸" button that shows or hides technical content, folded by default."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.toggle = QToolButton(self)
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setMinimumHeight(BUTTON_MIN_HEIGHT)
        self.toggle.toggled.connect(self._toggled)
        self.content = QWidget(self)
        self.content_layout = QVBoxLayout(self.content)
        self.content_layout.setContentsMargins(0, 0, 0, 0)
        self.content.setVisible(False)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.content)

    def set_title(self, title: str) -> None:
        self.toggle.setText(title)

    def _toggled(self, shown: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.content.setVisible(shown)


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
        self.copy_button = make_button(self)
        self.copy_button.clicked.connect(self.copy_details)
        layout.addWidget(self.tag, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        self._details = ""
        self.set_message("info", "", "")

    def set_message(self, level: str, tag: str, text: str, error=None) -> None:
        """Show ``text``; with an ``error`` (ErrorInfo) that has technical detail, a "Copy details" button
        puts it on the clipboard (the detail itself is never shown)."""
        self.setProperty("level", level)
        self.tag.setText(tag)
        self.tag.setVisible(bool(tag))
        self.text.setText(text)
        self._details = error.details_text() if error is not None and (error.detail or error.log_path) else ""
        self.copy_button.setText(self.tr("&Copy details"))
        self.copy_button.setVisible(bool(self._details))
        self.setVisible(bool(tag or text))
        self.style().unpolish(self)
        self.style().polish(self)

    def copy_details(self) -> None:
        QApplication.clipboard().setText(self._details)


class Page(QWidget):
    """A step of the side bar. Subclasses build widgets once and set every text in ``retranslate``.

    Under the scrolling body sits a fixed Back/Next bar, so Next is never below the fold.
    """

    status_changed = Signal()  # the page's "done" state changed (side bar check mark, Next button)
    back_requested = Signal()
    next_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(self.scroll, 1)
        self.nav_bar = QFrame(self)
        self.nav_bar.setObjectName("navBar")
        nav = QHBoxLayout(self.nav_bar)
        nav.setContentsMargins(24, 8, 24, 8)
        self.back_button = make_button(self.nav_bar)
        self.back_button.clicked.connect(self.back_requested)
        self.next_button = make_button(self.nav_bar, primary=True)
        self.next_button.clicked.connect(self.next_requested)
        nav.addWidget(self.back_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        outer.addWidget(self.nav_bar)
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

    def can_continue(self) -> bool:
        """Whether Next is enabled: by default once this step is done."""
        return self.is_done()

    def is_reachable(self) -> bool:
        """Whether the side bar offers this step yet (greyed until its inputs exist)."""
        return True

    def refresh_nav(self, first: bool, last: bool) -> None:
        self.back_button.setVisible(not first)
        self.next_button.setVisible(not last)
        self.next_button.setEnabled(self.can_continue())

    def retranslate(self) -> None:
        self.heading.setText(self.step_title())
        self.back_button.setText(self.tr("← &Back"))

    # --- Qt ---------------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
