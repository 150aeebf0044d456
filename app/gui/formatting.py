"""Numbers as an operator reads them: money, minutes and clock times (translated, locale-aware)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale


def format_duration(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``); ``--:--`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def plain_number(value: float) -> str:
    """3 → "3", 0.3 → "0.3", 1.5 → "1.5": one decimal at most and no trailing ".0"."""
    value = round(float(value), 1)
    return QLocale().toString(value, "f", 0 if value.is_integer() else 1)


def format_minutes(minutes: float) -> str:
    """Minutes as every page writes them (3, not 3.0), so the same figure reads the same everywhere."""
    return plain_number(minutes)


def format_yen(yen: float) -> str:
    """Money rounded as a price is: whole yen, or "under 1 yen" rather than "0.00 yen"."""
    if yen < 1:
        return QCoreApplication.translate("Formatting", "under 1 yen")
    return QCoreApplication.translate("Formatting", "{n} yen").format(n=QLocale().toString(round(yen)))


def data_size(n_bytes: int) -> str:
    """File and memory sizes as people write them: "212 MB", "1.2 GB" (never "KiB")."""
    return QLocale().formattedDataSize(
        int(n_bytes), 1 if n_bytes >= 2**30 else 0, QLocale.DataSizeFormat.DataSizeTraditionalFormat
    )
