"""A 1366×768 screen at 150 % scaling leaves the window 911×512 logical pixels: every page still fits."""

import pytest

from app.gui.i18n import set_language
from tests.gui.conftest import finish_a_short_run

NARROW = (911, 512)


def cut_at_the_right(page) -> int:
    """How many pixels of the page's content lie beyond the right edge (0: no sideways scrolling)."""
    return max(page.body.minimumSizeHint().width() - page.scroll.viewport().width(), 0)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_page_fits_a_1366x768_screen_at_150_percent(
    window, qtbot, tiny_gguf, orders_csv, monkeypatch, lang
):
    set_language(lang)
    window.resize(*NARROW)
    outcome = finish_a_short_run(window, qtbot, tiny_gguf, orders_csv, monkeypatch)
    assert outcome.report is not None
    results = window.results_page
    qtbot.waitUntil(lambda: results.comparison is not None, timeout=60_000)  # its tables are filled
    cut = {}
    for index, page in enumerate(window.steps):
        window.go_to_step(index)
        qtbot.wait(50)  # the layouts settle (a row of columns may stack)
        cut[type(page).__name__] = (cut_at_the_right(page), page.scroll.horizontalScrollBar().maximum())
    assert cut == {name: (0, 0) for name in cut}
    # The side bar made room and still names every step.
    assert window.side_bar.width() < 250
    assert all(window.step_list.item(i).text() for i in range(window.step_list.count()))


def test_columns_stack_and_button_rows_wrap_when_the_width_runs_out(app, qtbot):
    from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

    from app.gui.layouts import Columns, button_row

    host = QWidget()
    box = QVBoxLayout(host)
    columns = Columns()
    left, right = QPushButton("a" * 30), QPushButton("b" * 30)
    columns.add(left)
    columns.add(right)
    buttons = [QPushButton(f"button {i}") for i in range(5)]
    box.addWidget(columns)
    box.addWidget(button_row(*buttons))
    qtbot.addWidget(host)
    host.resize(2000, 400)
    host.show()
    qtbot.wait(20)
    assert columns.side_by_side() and left.y() == right.y() and right.x() > left.x()
    assert len({b.y() for b in buttons}) == 1  # one line
    host.resize(left.minimumSizeHint().width() + 40, 600)
    qtbot.wait(20)
    assert not columns.side_by_side() and right.y() > left.y()
    assert len({b.y() for b in buttons}) > 1  # wrapped...
    assert all(b.geometry().right() < host.width() for b in buttons)  # ...within the width
    assert all(b.height() >= b.sizeHint().height() for b in buttons)  # ...and not squeezed
