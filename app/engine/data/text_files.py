"""Opening an operator's text file safely: size and binary checks, encoding detection, capped reading.

A BOM decides (UTF-8, or UTF-16 as written by Excel's "Unicode text"); otherwise strict UTF-8, then strict
CP932 (Shift_JIS as Excel writes it on Japanese Windows). A file that is plainly UTF-8 (8 or more non-ASCII
characters decode before the first bad byte) stays UTF-8: its undecodable bytes become ``UNDECODABLE`` so
the reader can skip the damaged rows. At most ``max_bytes`` are ever read.
"""

from __future__ import annotations

import codecs
import io
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from app.engine.errors import GenbaError

_CHUNK = 1 << 20
_BINARY_HEAD = 1024
_UTF8_EVIDENCE = 8  # random CP932 bytes almost never form 8 valid UTF-8 characters in a row
# Bytes that are unassigned in Shift_JIS but which Python's cp932 maps to U+0080 and U+F8F0..U+F8F3;
# Excel never writes them, so decoding one means the file is not CP932.
_NOT_CP932 = re.compile("[\x80\uf8f0-\uf8f3]")
# Undecodable bytes in a row become this lone surrogate, which decoding valid text can never produce.
UNDECODABLE = "\udcff"
_MARK_ERRORS = "genba_examples_undecodable"
codecs.register_error(_MARK_ERRORS, lambda exc: (UNDECODABLE, exc.end))


def size_text(n: int) -> str:
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.1f} KB"
    return f"{n} B"


def _check_file(path: Path, max_bytes: int) -> int:
    """The file's size; refuses missing, unreadable, non-regular, empty and too-large files (stat only)."""
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise GenbaError(
            "The file was not found.", "ファイルが見つかりません。", path=path, detail=repr(exc)
        ) from exc
    except OSError as exc:
        raise GenbaError(
            "The file cannot be read.", "ファイルを読み込めません。", path=path, detail=repr(exc)
        ) from exc
    if not stat.S_ISREG(st.st_mode):
        raise GenbaError("This is not a regular file.", "通常のファイルではありません。", path=path)
    if st.st_size == 0:
        raise GenbaError("The file is empty.", "ファイルが空です。", path=path)
    if st.st_size > max_bytes:
        raise _too_large(path, st.st_size, max_bytes)
    return st.st_size


def _too_large(path: Path, size: int, max_bytes: int) -> GenbaError:
    shown, limit = size_text(size), size_text(max_bytes)
    return GenbaError(
        f"The file is too large ({shown}; the limit is {limit}). Split it or use a sample of it.",
        f"ファイルが大きすぎます（{shown}、上限 {limit}）。分割するか、一部を抜き出してください。",
        path=path,
    )


def read_error(path: Path, exc: OSError) -> GenbaError:
    if isinstance(exc, PermissionError):
        return GenbaError(
            "The file cannot be read: it may be open in another program (e.g. Excel). Close it and try again.",
            "ファイルを読み込めません。ほかのプログラム（Excel など）で開いている場合は閉じてから、もう一度試してください。",
            path=path,
            detail=repr(exc),
        )
    return GenbaError("The file cannot be read.", "ファイルを読み込めません。", path=path, detail=repr(exc))


def _refuse_binary(path: Path, head: bytes) -> None:
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise GenbaError(
            "This is an Excel workbook or another binary file, not text. In Excel use "
            "'Save As' > 'CSV UTF-8 (Comma delimited)' and choose the .csv file.",
            "Excel ブックなどのバイナリファイルで、テキストではありません。Excel の「名前を付けて保存」で"
            "「CSV UTF-8 (コンマ区切り)」を選び、その .csv ファイルを指定してください。",
            path=path,
        )
    nul = head.count(0)
    control = sum(b < 9 or 13 < b < 32 for b in head)
    # A stray NUL or two is a damaged row (skipped later); more than that is a binary file.
    if nul > 2 + len(head) // 100 or control > 0.3 * len(head):
        raise GenbaError(
            "This is not a text file (it contains binary data). Save the data as CSV and try again.",
            "テキストファイルではありません（バイナリデータを含みます）。CSV で保存し直してください。",
            path=path,
        )


@dataclass(frozen=True)
class _Scan:
    ok: bool
    line: int  # first undecodable line when not ok
    non_ascii: int  # non-ASCII characters decoded before it


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _scan(path: Path, codec: str, max_bytes: int) -> _Scan:
    """Decode the whole file strictly, a chunk of whole lines at a time."""
    lines = non_ascii = total = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            if not chunk.endswith(b"\n"):
                chunk += f.readline()  # b"\n" never occurs inside a UTF-8 or CP932 character
            total += len(chunk)
            if total > max_bytes:  # the file grew after it was measured
                raise _too_large(path, total, max_bytes)
            try:
                text = chunk.decode(codec)
            except UnicodeDecodeError as exc:
                good = chunk[: exc.start].decode(codec, "replace")
                return _Scan(False, lines + good.count("\n") + 1, non_ascii + _non_ascii(good))
            bad = _NOT_CP932.search(text) if codec == "cp932" else None
            if bad:
                good = text[: bad.start()]
                return _Scan(False, lines + good.count("\n") + 1, non_ascii + _non_ascii(good))
            lines += text.count("\n")
            non_ascii += _non_ascii(text)
    return _Scan(True, 0, non_ascii)


def detect_encoding(path: Path, max_bytes: int, *, jsonl: bool) -> str:
    """The codec to open the file with (also the name reported in ``Dataset.encoding``)."""
    _check_file(path, max_bytes)
    try:
        with path.open("rb") as f:
            head = f.read(_BINARY_HEAD)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(
            codecs.BOM_UTF32_LE
        ):
            return "utf-16"  # Excel's "Unicode text" (tab-separated); its NUL bytes are not binary
        _refuse_binary(path, head)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        utf8 = _scan(path, "utf-8", max_bytes)
        if utf8.ok or utf8.non_ascii >= _UTF8_EVIDENCE:
            return "utf-8"
        sjis = _scan(path, "cp932", max_bytes)
    except OSError as exc:
        raise read_error(path, exc) from exc
    if sjis.ok:
        return "cp932"
    if jsonl:
        return "utf-8"  # JSON is UTF-8 (RFC 8259): the undecodable lines are skipped one by one
    line = max(utf8.line, sjis.line)  # where the likelier encoding broke
    raise GenbaError(
        f"The file is neither UTF-8 nor Shift_JIS (CP932) text (first undecodable line: {line}). "
        "Save it as 'CSV UTF-8' and try again.",
        f"ファイルの文字コードが UTF-8 でも Shift_JIS（CP932）でもありません（最初に読めない行: {line}）。"
        "「CSV UTF-8」で保存し直してください。",
        path=path,
        line=line,
    )


class _Capped(io.RawIOBase):
    """A binary file read as if it ended after ``limit`` bytes, in case it grows while it is read."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__()
        self._file = path.open("rb", buffering=0)
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:
        if self._left <= 0:
            return 0
        n = self._file.readinto(memoryview(buffer)[: self._left]) or 0
        self._left -= n
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def open_text(path: Path, encoding: str, newline: str, max_bytes: int) -> TextIO:
    """Text stream of at most ``max_bytes`` bytes; undecodable bytes become ``UNDECODABLE``."""
    return io.TextIOWrapper(
        io.BufferedReader(_Capped(path, max_bytes)), encoding=encoding, errors=_MARK_ERRORS, newline=newline
    )
