"""The engine's import contract, checked on the source (so a lazy import inside a function counts too):

- the engine knows nothing of Qt, the GUI or torch;
- its rooms import only downward: foundation (errors, storage, events, run_files) < data < models < tuning
  < results; a module may import its own room and the rooms below it;
- no import inside a function body to dodge a loop (the layer order is what prevents loops).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "app" / "engine"
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "app.gui", "torch")
LAYERS = ("foundation", "data", "models", "tuning", "results")


def imported_modules(path: Path, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def room_of(module: str) -> str:
    """The layer an ``app.engine`` module lives in: the sub-package's name, or foundation at the top."""
    parts = module.split(".")
    return parts[2] if len(parts) > 3 else "foundation"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def engine_files() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def upward_imports(path: Path, module: str | None = None) -> list[str]:
    mine = LAYERS.index(room_of(module or module_name(path)))
    return [
        name
        for name in imported_modules(path)
        if name.startswith("app.engine.") and LAYERS.index(room_of(name)) > mine
    ]


def lazy_imports(path: Path) -> set[str]:
    return imported_modules(path) - imported_modules(path, top_level_only=True)


def test_the_engine_imports_no_gui_toolkit_and_no_torch():
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in engine_files()
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not offenders, sorted(offenders)


def test_every_engine_module_sits_in_a_known_room():
    assert {room_of(module_name(p)) for p in engine_files()} <= set(LAYERS)


def test_rooms_import_only_downward():
    offenders = {f"{p.relative_to(ROOT)} -> {name}" for p in engine_files() for name in upward_imports(p)}
    assert not offenders, sorted(offenders)


def test_no_engine_module_imports_our_code_inside_a_function():
    offenders = {
        f"{p.relative_to(ROOT)}: {name}"
        for p in engine_files()
        for name in lazy_imports(p)
        if name.startswith("app.")
    }
    assert not offenders, sorted(offenders)


@pytest.mark.parametrize(
    ("source", "check", "expected"),
    [
        ("def f():\n    from PySide6.QtCore import QObject\n", imported_modules, {"PySide6.QtCore"}),
        ("def f():\n    from app.engine.tuning.zo import Params\n", lazy_imports, {"app.engine.tuning.zo"}),
    ],
)
def test_the_checks_see_an_import_inside_a_function(tmp_path, source, check, expected):
    sample = tmp_path / "m.py"
    sample.write_text(source, encoding="utf-8")
    assert check(sample) == expected


def test_an_upward_import_is_seen(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from app.engine.errors import GenbaError\nfrom app.engine.tuning.tuner import tune\n")
    assert upward_imports(probe, module="app.engine.data.examples") == ["app.engine.tuning.tuner"]
    assert upward_imports(probe, module="app.engine.results.report") == []
