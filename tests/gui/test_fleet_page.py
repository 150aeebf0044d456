"""The Fleet page: refuses to join with missing settings, joins a real fleet on localhost and shows it."""

from __future__ import annotations

import pytest

from tests.fleet_support import Fleet, tiny_spec, write_parts


@pytest.fixture
def page(app, qtbot):
    from app.gui.pages.fleet_page import FleetPage

    p = FleetPage()
    qtbot.addWidget(p)
    p.show()
    yield p
    p.shutdown()


def test_join_says_what_is_missing_and_starts_nothing(page, qtbot, tmp_path):
    page.address_edit.setText("plant-server")
    page.join_button.click()
    assert "name:port" in page.status.text.text() and page.process is None
    page.address_edit.setText("127.0.0.1:9091")
    page.name_edit.setText("Line 1")
    page.data_edit.setText(str(write_parts(tmp_path, 1)[0]))
    page.folder_edit.setText(str(tmp_path / "fleet"))
    page.join_button.click()
    assert "certificate" in page.status.text.text() and page.process is None
    assert page.join_button.isEnabled() and not page.leave_button.isEnabled()


def test_the_page_shows_the_coordinators_view(page):
    view = {
        "pcs": {
            "Line 2": {"n_train": 40, "n_val": 8, "val_accuracy": 0.75, "last_seen": 95.0},
            "Line 1": {"n_train": 12},
        },
        "pooled": {"val_accuracy": 0.75, "n_val": 8},
        "losses": [[0, 1.5], [1, 1.2], [2, 1.1]],
        "step": 3,
        "steps": 10,
        "finished": False,
        "now": 100.0,
    }
    page.show_view(view)
    rows = [[page.table.item(r, c).text() for c in range(5)] for r in range(page.table.rowCount())]
    assert rows[0][:2] == ["Line 1", "12"] and rows[1] == ["Line 2", "40", "75.0% (8)", "", "5 s ago"]
    assert rows[2][:4] == ["All PCs together", "52", "75.0% (8)", ""]
    assert page.plot.count("loss") == 3
    assert page.status.text.text() == "Round 3 of 10, 2 PCs."
    # At the end: each PC's own final-test figure, and the pooled one in the table and in words.
    view["pcs"]["Line 1"] |= {"n_test": 4, "test_accuracy": 0.5}
    view["pcs"]["Line 2"] |= {"n_test": 12, "test_accuracy": 1.0}
    view["pooled"] |= {"test_accuracy": 0.875, "n_test": 16}
    view["finished"] = True
    page.show_view(view)
    rows = [[page.table.item(r, c).text() for c in range(5)] for r in range(page.table.rowCount())]
    assert [r[3] for r in rows] == ["50.0% (4)", "100.0% (12)", "87.5% (16)"]
    assert "87.5% correct on 16 final test rows" in page.status.text.text()


@pytest.mark.skipif(pytest.importorskip("flwr") is None, reason="Flower")
def test_joining_a_fleet_on_localhost_shows_this_pc_and_the_finished_run(page, qtbot, tmp_path, tiny_gguf):
    spec = tiny_spec(tiny_gguf, steps=2)
    (part,) = write_parts(tmp_path, 1)
    fleet = Fleet(tmp_path / "fleet", spec, [], min_pcs=1)
    try:
        page.address_edit.setText(f"127.0.0.1:{fleet.port}")
        page.name_edit.setText("Line 1")
        page.data_edit.setText(str(part))
        page.folder_edit.setText(str(tmp_path / "line1"))
        page.insecure_box.setChecked(True)
        page.join_button.click()
        assert page.process is not None and page.leave_button.isEnabled()
        run = fleet.run()
        qtbot.waitUntil(lambda: "finished" in page.status.text.text(), timeout=900_000)
        assert run.wait(timeout=900) == 0
    finally:
        page.leave()
        fleet.close()
    assert page.table.item(0, 0).text() == "Line 1"
    assert page.table.item(0, 3).text().endswith(")")  # its final-test accuracy reached this PC's window
    assert page.plot.count("loss") == spec.steps
    assert page.process is None and page.join_button.isEnabled()
