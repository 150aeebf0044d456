"""UI language: Qt translators for our strings (resources/i18n) and Qt's own (standard buttons, dialogs).

English is the source language; Japanese comes from ``genba_ja.qm``. Switching installs or removes the
translators, which makes Qt send ``QEvent.LanguageChange`` to every widget so pages retranslate themselves.
Engine errors carry both languages already; :func:`current_language` says which one to show.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.engine.errors import default_language

LANGUAGES: dict[str, str] = {"ja": "日本語", "en": "English"}  # each named in its own language

_current = "en"
_translators: list[QTranslator] = []


def resources_dir() -> Path:
    """The repository's (or a frozen app's) ``resources`` folder."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def translations_dir() -> Path:
    return resources_dir() / "i18n"


def system_language() -> str:
    """'ja' or 'en': GENBA_LANG, the environment's locale, else Qt's idea of the OS locale."""
    lang = default_language()
    if lang == "en" and QLocale.system().language() == QLocale.Language.Japanese:
        return "ja"
    return lang


def current_language() -> str:
    return _current


def set_language(lang: str) -> str:
    """Install the translators for ``lang`` ('ja' or 'en'); returns the language actually in use."""
    global _current
    app = QCoreApplication.instance()
    lang = lang if lang in LANGUAGES else "en"
    for translator in _translators:
        app.removeTranslator(translator)
    _translators.clear()
    if lang == "ja":
        ours = QTranslator()
        if ours.load(str(translations_dir() / "genba_ja.qm")):
            _translators.append(ours)
        qt_own = QTranslator()
        if qt_own.load("qtbase_ja", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            _translators.append(qt_own)
    for translator in _translators:
        app.installTranslator(translator)
    QLocale.setDefault(QLocale(QLocale.Language.Japanese if lang == "ja" else QLocale.Language.English))
    _current = lang
    return lang
