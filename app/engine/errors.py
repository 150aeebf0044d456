"""User-facing errors: one exception type that carries its message in Japanese and English.

The engine has no Qt, so it cannot use Qt's translation system; instead every error the user may see is
raised with both texts, and the face (CLI or GUI) picks the one for the UI language. Technical detail for
the log goes in ``detail``.
"""

from __future__ import annotations

import locale
import os


class GenbaError(Exception):
    """An error the user can act on: bad file, unsupported model, full disk, ..."""

    def __init__(
        self,
        en: str,
        ja: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        field: str | None = None,
        detail: str = "",
    ) -> None:
        self.en = en
        self.ja = ja
        self.path = os.fspath(path) if path is not None else None
        self.line = line
        self.field = field
        self.detail = detail
        super().__init__(self.message("en"))

    def where(self) -> str:
        """``file:line (field)`` — the place the message is about, or ''."""
        if self.path is None:
            return ""
        out = self.path
        if self.line is not None:
            out += f":{self.line}"
        if self.field:
            out += f" ({self.field})"
        return out

    def message(self, lang: str = "en") -> str:
        text = self.ja if lang == "ja" else self.en
        where = self.where()
        return f"{where}: {text}" if where else text


def default_language() -> str:
    """'ja' or 'en' from GENBA_LANG, else the OS locale."""
    env = os.environ.get("GENBA_LANG", "")
    if env in ("ja", "en"):
        return env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "ja" if loc.lower().startswith("ja") else "en"
