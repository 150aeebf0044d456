"""The installers: where the frozen app looks for its files, plant-wide defaults, and (on request) a real
Linux build smoke-tested offline.

The build test takes about a minute and ~600 MB of disk, so it runs only with GENBA_BUILD_INSTALLER=1:

    GENBA_BUILD_INSTALLER=1 .venv/bin/python -m pytest -m installer tests/test_installer.py
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"
SPEC = INSTALLER / "genba-tuner.spec"


def test_frozen_app_finds_the_default_model_and_resources_where_the_spec_puts_them(tmp_path, monkeypatch):
    from app.engine import models
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
