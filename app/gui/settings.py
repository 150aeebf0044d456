"""Persistent preferences (QSettings, organisation and application "GenbaTuner").

Tests and the screenshot script point ``GENBA_TUNER_SETTINGS`` at an .ini file so the user's own settings
are never read or written by them.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "GenbaTuner"
APPLICATION = "GenbaTuner"
DEFAULT_YEN_PER_KWH = 31.0  # a typical Japanese business tariff, 2024; the user sets their own


class Settings:
    """Typed access to the few preferences the app keeps."""

    def __init__(self, store: QSettings | None = None) -> None:
        if store is None:
            override = os.environ.get("GENBA_TUNER_SETTINGS")
            if override:
                store = QSettings(override, QSettings.Format.IniFormat)
            else:
                store = QSettings(ORGANIZATION, APPLICATION)
        self.store = store

    def _str(self, key: str, default: str = "") -> str:
        value = self.store.value(key, default)
        return str(value) if value is not None else default

    def _float(self, key: str, default: float) -> float:
        try:
            return float(self.store.value(key, default))
        except (TypeError, ValueError):
            return default

    # --- language ----------------------------------------------------------------------------------
    @property
    def language(self) -> str:
        return self._str("ui/language")

    @language.setter
    def language(self, lang: str) -> None:
        self.store.setValue("ui/language", lang)

    # --- model and folders --------------------------------------------------------------------------
    @property
    def last_model(self) -> str:
        return self._str("model/last", "default") or "default"

    @last_model.setter
    def last_model(self, spec: str) -> None:
        self.store.setValue("model/last", spec)

    @property
    def model_folder(self) -> str:
        return self._str("folders/models")

    @model_folder.setter
    def model_folder(self, path: str) -> None:
        self.store.setValue("folders/models", path)

    @property
    def examples_folder(self) -> str:
        return self._str("folders/examples")

    @examples_folder.setter
    def examples_folder(self, path: str) -> None:
        self.store.setValue("folders/examples", path)

    @property
    def last_examples(self) -> str:
        return self._str("examples/last")

    @last_examples.setter
    def last_examples(self, path: str) -> None:
        self.store.setValue("examples/last", path)

    @property
    def export_folder(self) -> str:
        return self._str("folders/export")

    @export_folder.setter
    def export_folder(self, path: str) -> None:
        self.store.setValue("folders/export", path)

    # --- money ---------------------------------------------------------------------------------------
    @property
    def yen_per_kwh(self) -> float:
        return self._float("energy/yen_per_kwh", DEFAULT_YEN_PER_KWH)

    @yen_per_kwh.setter
    def yen_per_kwh(self, value: float) -> None:
        self.store.setValue("energy/yen_per_kwh", float(value))

    # --- window --------------------------------------------------------------------------------------
    @property
    def geometry(self) -> QByteArray | None:
        value = self.store.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.store.setValue("window/geometry", value)

    def sync(self) -> None:
        self.store.sync()
