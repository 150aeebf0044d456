"""Labelled examples from the files operators have: CSV/TSV/JSONL or folders of .txt files per label.

Accepted inputs
    * ``.csv`` / ``.txt`` (delimiter sniffed: comma, tab or semicolon), ``.tsv`` / ``.tab`` (tab), ``.jsonl``
      (one object per line; its keys are the columns);
    * a folder with one sub-folder per label holding ``.txt`` files (one example per file, label = folder
      name), or a folder holding exactly one data file.

Encodings: a BOM decides (UTF-8, or UTF-16 as written by Excel's "Unicode text"); otherwise strict UTF-8,
then strict CP932 (Shift_JIS as Excel writes it on Japanese Windows). A file that is plainly UTF-8 (8 or more
non-ASCII characters decode before the first bad byte) stays UTF-8 and only its damaged rows are skipped, as
are damaged lines of a JSONL file (JSON is UTF-8); anything else undecodable is a whole-file error.

Bad rows never stop a load: each becomes a ``SkippedRow`` with its file, 1-based physical start line and a
reason in English and Japanese. A load stopped by ``max_rows`` ends with one ``SkippedRow`` at the first row
that was not read, whose reason starts "Only the first". Whole-file problems (missing, empty, binary, too
large, no header, fewer than 2 labels, nothing usable) raise ``GenbaError``. Files are streamed: the size is
checked with ``os.stat`` before anything is read, and at most ``max_bytes`` are ever read.

A text that is a raw e-mail (an RFC 5322 header block first) becomes its Subject line and readable body
(``app.engine.data.email_text``) unless ``emails="raw"``: the transport headers filled the 128-token window
on the SpamAssassin corpus (docs/BENCHMARKS.md, long texts).
Text is NFC-normalised, stripped and its whitespace runs collapsed to one space; labels are NFC-normalised
and stripped. No label value is special ("NA" is a label like any other; callers filter).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import stat
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TextIO

import numpy as np

from app.engine.data.email_text import email_text
from app.engine.errors import GenbaError

# Compared after NFKC + lower-casing, so full-width "ＬＡＢＥＬ" and "Label" match too.
TEXT_NAMES = (
    "text",
    "texts",
    "sentence",
    "description",
    "comment",
    "comments",
    "shorttext",
    "body",
    "content",
    "message",
    "本文",
    "テキスト",
    "内容",
    "文章",
    "件名",
    "説明",
    "記述",
    "現象",
    "コメント",
)
TEXT_WORDS = ("text", "テキスト", "本文", "内容", "文章")  # "OriginalShorttext", "不具合内容", ...
LABEL_NAMES = (
    "label",
    "labels",
    "class",
    "category",
    "target",
    "y",
    "tag",
    "ラベル",
    "分類",
    "カテゴリ",
    "カテゴリー",
    "区分",
    "種別",
    "種類",
    "クラス",
    "タグ",
    "正解",
    "判定",
)
LABEL_WORDS = ("label", "category", "class", "ラベル", "分類", "カテゴリ", "区分", "種別", "判定")
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".jsonl")
DELIMITERS = (",", "\t", ";")

_CHUNK = 1 << 20
_BINARY_HEAD = 1024
_UTF8_EVIDENCE = 8  # random CP932 bytes almost never form 8 valid UTF-8 characters in a row
_GUESS_ROWS = 2000
_MAX_LABEL_VALUES = 50
# Bytes that are unassigned in Shift_JIS but which Python's cp932 maps to U+0080 and U+F8F0..U+F8F3;
# Excel never writes them, so decoding one means the file is not CP932.
_NOT_CP932 = re.compile("[\x80\uf8f0-\uf8f3]")
# Undecodable bytes in a row become this lone surrogate, which decoding valid text can never produce.
_UNDECODABLE = "\udcff"
_MARK_ERRORS = "genba_examples_undecodable"
codecs.register_error(_MARK_ERRORS, lambda exc: (_UNDECODABLE, exc.end))


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str  # file path it came from
    line: int  # 1-based physical line of the row's start in that file (for folders of .txt: 1)


@dataclass(frozen=True)
class SkippedRow:
    source: str
    line: int
    reason_en: str
    reason_ja: str


@dataclass(frozen=True)
class Dataset:
    examples: tuple[Example, ...]
    skipped: tuple[SkippedRow, ...]
    columns: tuple[str, ...]  # header names; empty for a folder of label sub-folders
    text_column: str | None
    label_column: str | None
    encoding: str  # "utf-8", "utf-8-sig", "utf-16" or "cp932"; folders of mixed files: "cp932, utf-8"
    sources: tuple[str, ...]
    emails: int = 0  # texts read as raw e-mails and reduced to their Subject and body

    @property
    def labels(self) -> tuple[str, ...]:
        """Sorted distinct labels of the examples."""
        return tuple(sorted({e.label for e in self.examples}))

    def counts(self) -> dict[str, int]:
        """Examples per label, in label order."""
        c = Counter(e.label for e in self.examples)
        return {label: c[label] for label in sorted(c)}


@dataclass(frozen=True)
class Split:
    """Train / validation / held-out test. Validation picks checkpoints and settings; test is read once."""

    train: tuple[Example, ...]
    val: tuple[Example, ...]
    test: tuple[Example, ...] = ()
    duplicates_removed: int = 0  # repeated (text, label) rows dropped before splitting
    test_note_en: str = ""  # why the test split is small or missing, if it is
    test_note_ja: str = ""


# --- whole files ---------------------------------------------------------------------------------------


def _size_text(n: int) -> str:
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
    size_text, limit = _size_text(size), _size_text(max_bytes)
    return GenbaError(
        f"The file is too large ({size_text}; the limit is {limit}). Split it or use a sample of it.",
        f"ファイルが大きすぎます（{size_text}、上限 {limit}）。分割するか、一部を抜き出してください。",
        path=path,
    )


def _read_error(path: Path, exc: OSError) -> GenbaError:
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


def _detect_encoding(path: Path, max_bytes: int, *, jsonl: bool) -> str:
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
        raise _read_error(path, exc) from exc
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


def _open_text(path: Path, encoding: str, newline: str, max_bytes: int) -> TextIO:
    """Text stream of at most ``max_bytes`` bytes; undecodable bytes become ``_UNDECODABLE``."""
    return io.TextIOWrapper(
        io.BufferedReader(_Capped(path, max_bytes)), encoding=encoding, errors=_MARK_ERRORS, newline=newline
    )


# --- rows ----------------------------------------------------------------------------------------------


def _skip(skipped: list[SkippedRow], path: Path | str, line: int, en: str, ja: str) -> None:
    skipped.append(SkippedRow(str(path), line, en, ja))


def _skip_truncated(skipped: list[SkippedRow], path: Path, line: int, max_rows: int) -> None:
    _skip(
        skipped,
        path,
        line,
        f"Only the first {max_rows} rows were read; this row and the rest were not read.",
        f"先頭の {max_rows} 行だけを読み込みました。この行以降は読み込んでいません。",
    )


def _damaged(values: Iterable[str]) -> tuple[str, str] | None:
    """(en, ja) reason when a row holds undecodable bytes or NUL characters."""
    for v in values:
        if _UNDECODABLE in v:
            return (
                "The row contains bytes that cannot be decoded as text.",
                "この行には文字として読めないバイトが含まれています。",
            )
        if "\0" in v:
            return "The row contains NUL characters.", "この行には NUL 文字が含まれています。"
    return None


def _sniff_delimiter(sample: str) -> str:
    """The candidate that splits the first records into the most consistent >1 columns."""
    cut = sample.rfind("\n")
    sample = sample[: cut + 1] if cut > 0 else sample
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            rows = [r for r in islice(reader, 50) if any(f.strip() for f in r)]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        score = (width > 1, sum(len(r) == width for r in rows) / len(rows), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _iter_csv(f: TextIO, delimiter: str) -> Iterator[tuple[int, int, list[str] | None, str]]:
    """(start line, end line, fields or None, csv error) for every record, blank ones included."""
    reader = csv.reader(f, delimiter=delimiter)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if reader.line_num < start:  # nothing consumed: the reader cannot get past this point
                return
            yield start, reader.line_num, None, str(exc)
        else:
            yield start, reader.line_num, fields, ""
        start = reader.line_num + 1


def _header(fields: list[str]) -> list[str]:
    """Stripped names; trailing blanks dropped (Excel pads), other blanks and duplicates renamed."""
    names = [f.replace(_UNDECODABLE, "\ufffd").replace("\0", "").strip() for f in fields]
    while names and not names[-1]:
        names.pop()
    out: list[str] = []
    for i, name in enumerate(names):
        name = name or f"column{i + 1}"
        unique, k = name, 2
        while unique in out:
            unique, k = f"{name}_{k}", k + 1
        out.append(unique)
    return out


def _read_csv(
    path: Path, encoding: str, max_bytes: int, max_rows: int, skipped: list[SkippedRow]
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if path.suffix.lower() in (".tsv", ".tab"):
        delimiter = "\t"
    else:
        with _open_text(path, encoding, "", max_bytes) as f:
            delimiter = _sniff_delimiter(f.read(65536))
    records: list[tuple[int, dict[str, str]]] = []
    header: list[str] = []
    n_rows = 0
    with _open_text(path, encoding, "", max_bytes) as f:
        for line, end, fields, error in _iter_csv(f, delimiter):
            joined = "".join(fields) if fields is not None else None
            if joined is not None and not joined.strip():
                continue  # blank lines and rows of empty cells
            if not header:
                header = _header(fields or [])
                if not header:
                    break
                continue
            if n_rows >= max_rows:
                _skip_truncated(skipped, path, line, max_rows)
                break
            n_rows += 1
            if fields is None:
                if "field larger than field limit" in error:
                    en = f"A field is longer than {csv.field_size_limit()} characters (is a closing quote missing?)."
                    ja = f"{csv.field_size_limit()} 文字を超える項目があります（閉じる引用符がないのかもしれません）。"
                else:
                    en = f"The row cannot be read as CSV ({error})."
                    ja = f"この行を CSV として読めません（{error}）。"
                _skip(skipped, path, line, en, ja)
                continue
            extra = fields[len(header) :]
            if len(fields) < len(header) or any(v.strip() for v in extra):
                if end > line:
                    en = (
                        f"The row has {len(fields)} fields but the header has {len(header)}; it runs over "
                        f"lines {line}-{end}, so a closing double quote may be missing."
                    )
                    ja = (
                        f"この行の項目数は {len(fields)} で、見出しの {len(header)} と一致しません。"
                        f'{line}〜{end} 行目にまたがっているため、閉じる「"」がないのかもしれません。'
                    )
                else:
                    en = f"The row has {len(fields)} fields but the header has {len(header)}."
                    ja = f"この行の項目数は {len(fields)} で、見出しの {len(header)} と一致しません。"
                _skip(skipped, path, line, en, ja)
                continue
            damage = _damaged([joined or ""])
            if damage:
                _skip(skipped, path, line, *damage)
                continue
            records.append((line, dict(zip(header, fields, strict=False))))
    if not header:
        raise GenbaError(
            "The file has no header row (the first line must name the columns).",
            "見出し行がありません（1 行目に列名が必要です）。",
            path=path,
            line=1,
        )
    return header, records


def _json_value(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


def _read_jsonl(
    path: Path, encoding: str, max_bytes: int, max_rows: int, skipped: list[SkippedRow]
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    columns: dict[str, None] = {}  # ordered set: keys in first-seen order
    records: list[tuple[int, dict[str, str]]] = []
    n_rows = 0
    # Split on "\n" only: U+2028 and friends may appear raw inside JSON strings.
    with _open_text(path, encoding, "\n", max_bytes) as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            if n_rows >= max_rows:
                _skip_truncated(skipped, path, n, max_rows)
                break
            n_rows += 1
            damage = _damaged([raw])
            if damage:
                _skip(skipped, path, n, *damage)
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
                _skip(skipped, path, n, "The line is not valid JSON.", "この行は正しい JSON ではありません。")
                continue
            if not isinstance(obj, dict):
                _skip(
                    skipped,
                    path,
                    n,
                    "The line is not a JSON object ({...}).",
                    "この行は JSON オブジェクト（{...}）ではありません。",
                )
                continue
            row = {str(k).strip(): _json_value(v) for k, v in obj.items() if str(k).strip()}
            damage = _damaged(row.values())
            if damage:
                _skip(skipped, path, n, *damage)
                continue
            columns.update(dict.fromkeys(row))
            records.append((n, row))
    return list(columns), records


def _read_table(
    path: Path, max_bytes: int, max_rows: int, skipped: list[SkippedRow]
) -> tuple[list[str], list[tuple[int, dict[str, str]]], str]:
    """Columns, (line, row) pairs and encoding of one CSV/TSV/JSONL file; bad rows go to ``skipped``."""
    jsonl = path.suffix.lower() == ".jsonl"
    encoding = _detect_encoding(path, max_bytes, jsonl=jsonl)
    try:
        if jsonl:
            columns, records = _read_jsonl(path, encoding, max_bytes, max_rows, skipped)
        else:
            columns, records = _read_csv(path, encoding, max_bytes, max_rows, skipped)
    except OSError as exc:
        raise _read_error(path, exc) from exc
    return columns, records, encoding


# --- columns -------------------------------------------------------------------------------------------


def _norm(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().lower()


def _is_text_name(name: str) -> bool:
    n = _norm(name)
    return n in TEXT_NAMES or any(w in n for w in TEXT_WORDS)


def _mean_length(rows: list[dict[str, str]], column: str) -> float:
    return float(np.mean([len(r.get(column, "")) for r in rows])) if rows else 0.0


def _distinct(rows: list[dict[str, str]], column: str) -> int:
    return len({v.strip() for r in rows if (v := r.get(column, "")).strip()})


def _guess_label_column(columns: list[str], rows: list[dict[str, str]]) -> str | None:
    def plausible(c: str) -> bool:
        return _distinct(rows, c) >= 2

    named = [c for c in columns if _norm(c) in LABEL_NAMES]
    worded = [c for c in columns if not _is_text_name(c) and any(w in _norm(c) for w in LABEL_WORDS)]
    for group in (named, worded):
        if group:
            return next((c for c in group if plausible(c)), group[0])
    filled = len(rows)
    few = [
        c
        for c in columns
        if not _is_text_name(c)
        and 2 <= _distinct(rows, c) <= _MAX_LABEL_VALUES
        and 2 * _distinct(rows, c) <= filled
    ]
    return min(few, key=lambda c: _distinct(rows, c)) if few else None


def _guess_text_column(columns: list[str], rows: list[dict[str, str]]) -> str | None:
    named = [c for c in columns if _is_text_name(c)]
    pool = named or columns
    return max(pool, key=lambda c: _mean_length(rows, c)) if pool else None


def _choose_columns(
    columns: list[str],
    rows: list[dict[str, str]],
    text_column: str | None,
    label_column: str | None,
    path: Path,
) -> tuple[str, str]:
    listed = ", ".join(columns) if columns else "-"
    for given in (text_column, label_column):
        if given is not None and given not in columns:
            raise GenbaError(
                f"There is no column '{given}'. Available columns: {listed}.",
                f"列「{given}」はありません。使える列: {listed}。",
                path=path,
                field=given,
            )
    if text_column is not None and text_column == label_column:
        raise GenbaError(
            f"The text and the label cannot both be column '{text_column}'.",
            f"本文とラベルに同じ列「{text_column}」は使えません。",
            path=path,
            field=text_column,
        )
    if label_column is None:
        label_column = _guess_label_column([c for c in columns if c != text_column], rows)
    if text_column is None:
        text_column = _guess_text_column([c for c in columns if c != label_column], rows)
    if text_column is None or label_column is None:
        raise GenbaError(
            f"Could not tell which columns hold the text and the label (columns: {listed}). "
            "Choose them yourself; if there is only one column, check the separator (comma, tab or semicolon).",
            f"本文とラベルの列を判別できませんでした（列: {listed}）。列を指定してください。"
            "列が 1 つしかない場合は区切り文字（コンマ・タブ・セミコロン）を確認してください。",
            path=path,
        )
    return text_column, label_column


# --- folders -------------------------------------------------------------------------------------------


def _visible(p: Path) -> bool:
    return not p.name.startswith((".", "__"))  # .git, .DS_Store, macOS "._x.txt", __MACOSX


def _txt_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if _visible(p) and p.is_file() and p.suffix.lower() == ".txt")


def _label_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if _visible(p) and p.is_dir() and _txt_files(p))


def _folder_contents(folder: Path) -> tuple[list[Path], Path | None]:
    """(label sub-folders, None), or ([], the folder's single data file)."""
    try:
        labels = _label_folders(folder)
        return (labels, None) if labels else ([], _single_data_file(folder))
    except OSError as exc:
        raise _read_error(folder, exc) from exc


def _folder_examples(
    folder: Path, label_folders: list[Path], max_bytes: int, max_rows: int, skipped: list[SkippedRow]
) -> tuple[list[Example], list[str], str]:
    """One example per .txt file, labelled by its sub-folder's name."""
    files = [(sub, f) for sub in label_folders for f in _txt_files(sub)]
    total = sum(f.stat().st_size for _, f in files)
    if total > max_bytes:
        size, limit = _size_text(total), _size_text(max_bytes)
        raise GenbaError(
            f"The .txt files in this folder are too large together ({size}; the limit is {limit}).",
            f"このフォルダーの .txt ファイルの合計が大きすぎます（{size}、上限 {limit}）。",
            path=folder,
        )
    examples: list[Example] = []
    sources: list[str] = []
    encodings: set[str] = set()
    for i, (sub, f) in enumerate(files):
        if i >= max_rows:
            _skip_truncated(skipped, f, 1, max_rows)
            break
        sources.append(str(f))
        try:
            encoding = _detect_encoding(f, max_bytes, jsonl=False)
            with _open_text(f, encoding, "", max_bytes) as fh:
                text = fh.read()
        except GenbaError as exc:
            _skip(skipped, f, 1, exc.en, exc.ja)
            continue
        except OSError as exc:
            err = _read_error(f, exc)
            _skip(skipped, f, 1, err.en, err.ja)
            continue
        encodings.add(encoding)
        damage = _damaged([text])
        if damage:
            _skip(skipped, f, 1, *damage)
            continue
        examples.append(Example(text, sub.name, str(f), 1))
    return examples, sources, ", ".join(sorted(encodings)) or "utf-8"


def _single_data_file(folder: Path) -> Path:
    tables = sorted(
        p for p in folder.iterdir() if _visible(p) and p.is_file() and p.suffix.lower() in TABLE_SUFFIXES
    )
    if len(tables) == 1:
        return tables[0]
    found = ", ".join(p.name for p in tables[:10]) if tables else "-"
    raise GenbaError(
        "The folder must hold one sub-folder of .txt files per label, or exactly one data file "
        f"(.csv, .tsv, .jsonl). Data files found: {found}.",
        "フォルダーには、ラベルごとのサブフォルダー（中に .txt ファイル）か、データファイル（.csv、.tsv、.jsonl）"
        f"を 1 つだけ入れてください。見つかったデータファイル: {found}。",
        path=folder,
    )


def _clean_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _clean_label(label: str) -> str:
    return unicodedata.normalize("NFC", label).strip()


# --- public API ----------------------------------------------------------------------------------------


def load_examples(
    path: str | os.PathLike[str],
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    max_bytes: int = 200 * 1024 * 1024,
    max_rows: int = 200_000,
    emails: str = "body",
) -> Dataset:
    """Read labelled examples from a file or folder; see the module docstring for what is accepted.

    ``emails``: "body" reads a raw e-mail as its Subject and body, "raw" keeps it whole (headers too).
    """
    path = Path(path)
    skipped: list[SkippedRow] = []
    columns: list[str] = []
    tc = lc = None
    if path.is_dir():
        label_folders, data_file = _folder_contents(path)
        if data_file is not None:
            return load_examples(
                data_file,
                text_column=text_column,
                label_column=label_column,
                max_bytes=max_bytes,
                max_rows=max_rows,
                emails=emails,
            )
        try:
            raw, sources, encoding = _folder_examples(path, label_folders, max_bytes, max_rows, skipped)
        except OSError as exc:
            raise _read_error(path, exc) from exc
    else:
        columns, records, encoding = _read_table(path, max_bytes, max_rows, skipped)
        tc, lc = _choose_columns(
            columns, [r for _, r in records[:_GUESS_ROWS]], text_column, label_column, path
        )
        raw = [Example(r.get(tc, ""), r.get(lc, ""), str(path), line) for line, r in records]
        sources = [str(path)]
    examples = []
    n_emails = 0
    for e in raw:
        body = email_text(e.text) if emails == "body" else e.text
        n_emails += body is not e.text
        text, label = _clean_text(body), _clean_label(e.label)
        if not text and tc is None:
            _skip(skipped, e.source, e.line, "The text file is empty.", "テキストファイルが空です。")
        elif not text:
            _skip(skipped, e.source, e.line, f"The text ({tc}) is empty.", f"本文（{tc}）が空です。")
        elif not label:
            _skip(skipped, e.source, e.line, f"The label ({lc}) is missing.", f"ラベル（{lc}）がありません。")
        else:
            examples.append(Example(text, label, e.source, e.line))
    counts = Counter(e.label for e in examples)
    for e in examples:
        if counts[e.label] < 2:
            _skip(
                skipped,
                e.source,
                e.line,
                f"The label '{e.label}' has only this one example; a label needs at least 2.",
                f"ラベル「{e.label}」の例はこの 1 件だけです。ラベルごとに 2 件以上必要です。",
            )
    examples = [e for e in examples if counts[e.label] >= 2]
    skipped.sort(key=lambda s: (s.source, s.line))
    if not examples and skipped:
        first = skipped[0]
        raise GenbaError(
            f"No usable examples were found. The first problem, at line {first.line}: {first.reason_en}",
            f"使える例が見つかりませんでした。最初の問題（{first.line} 行目）: {first.reason_ja}",
            path=path,
        )
    if not examples:
        raise GenbaError(
            "No examples were found: there are no data rows.",
            "例が見つかりません（データ行がありません）。",
            path=path,
        )
    labels = sorted({e.label for e in examples})
    if len(labels) < 2:
        raise GenbaError(
            f"Fewer than 2 labels with at least 2 examples each were found (only '{labels[0]}'); "
            "there is nothing to tell apart.",
            f"2 件以上の例を持つラベルが 2 種類未満です（「{labels[0]}」のみ）。区別する対象がありません。",
            path=path,
        )
    return Dataset(
        tuple(examples), tuple(skipped), tuple(columns), tc, lc, encoding, tuple(sources), n_emails
    )


def _preview_folders(folder: Path, label_folders: list[Path], max_rows: int) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    try:
        for sub in label_folders:
            for f in _txt_files(sub):
                if len(rows) >= max_rows:
                    return rows
                try:
                    encoding = _detect_encoding(f, 1 << 20, jsonl=False)
                    with _open_text(f, encoding, "", 1 << 20) as fh:
                        text = _clean_text(fh.read(2000).replace(_UNDECODABLE, "\ufffd"))
                except (GenbaError, OSError):
                    text = ""  # load_examples reports why
                rows.append((_clean_label(sub.name), text, f.name))
    except OSError as exc:
        raise _read_error(folder, exc) from exc
    return rows


def preview_table(
    path: str | os.PathLike[str], *, max_rows: int = 50
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Header and the first readable rows, for a preview; reads no further than those rows."""
    path = Path(path)
    if path.is_dir():
        label_folders, data_file = _folder_contents(path)
        if data_file is None:
            return ("label", "text", "file"), _preview_folders(path, label_folders, max_rows)
        path = data_file
    columns, records, _ = _read_table(path, 200 * 1024 * 1024, max_rows, [])
    return tuple(columns), [tuple(r.get(c, "") for c in columns) for _, r in records[:max_rows]]


def _part_sizes(sizes: dict[str, int], fraction: float, cap: int | None, keep: int) -> dict[str, int]:
    """Examples per label for one held-out part: proportional, >= 1 and <= n - ``keep`` each, capped."""
    total = sum(sizes.values())
    scale = min(1.0, cap / (total * fraction)) if cap is not None and total else 1.0
    quota = {label: n * fraction * scale for label, n in sizes.items()}
    n_part = {label: min(max(round(quota[label]), 1), n - keep) for label, n in sizes.items()}
    # Rounding and the one-per-label floor can overshoot the cap: take back from the most rounded-up
    # labels. If the cap is below the number of labels, one per label wins over the cap.
    while cap is not None and sum(n_part.values()) > cap:
        over = [label for label, k in n_part.items() if k > 1]
        if not over:
            break
        n_part[max(over, key=lambda label: (n_part[label] - quota[label], label))] -= 1
    return n_part


def normalized_text(text: str) -> str:
    """The text as duplicates are recognised: NFKC, case-folded, white space collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _groups(examples: list[Example]) -> tuple[dict[str, list[list[int]]], int]:
    """Examples grouped by normalised text (same text never on two sides), filed under their first label.

    Rows repeating an earlier row's text *and* label are dropped (counted); the same text under another
    label stays, in the same group, so the split cannot put it on both sides.
    """
    seen: set[tuple[str, str]] = set()
    group_of: dict[str, list[int]] = {}
    by_label: dict[str, list[list[int]]] = {}
    dropped = 0
    for i, e in enumerate(examples):
        key = normalized_text(e.text)
        if (key, e.label) in seen:
            dropped += 1
            continue
        seen.add((key, e.label))
        if key in group_of:
            group_of[key].append(i)
        else:
            group_of[key] = [i]
            by_label.setdefault(e.label, []).append(group_of[key])
    return by_label, dropped


MIN_TEST_EXAMPLES = 20  # below this a test accuracy moves by 5 points per example: say so


def split_examples(
    examples: Iterable[Example],
    *,
    val_fraction: float = 0.2,
    test_fraction: float = 0.0,
    seed: int = 0,
    max_val: int | None = None,
    max_test: int | None = None,
) -> Split:
    """Stratified, seeded split into train, validation and (``test_fraction`` > 0) a held-out test part.

    Identical texts are grouped so none sits on two sides, and repeats are dropped. Per label: with three
    or more texts each part gets at least one; with two, train and validation; with one, train. All parts
    keep the input order.
    """
    if not 0.0 < val_fraction < 1.0:
        raise GenbaError(
            "The validation share must be between 0 and 1.",
            "検証データの割合は 0 から 1 の間にしてください。",
            field="val_fraction",
        )
    if not 0.0 <= test_fraction < 1.0 or val_fraction + test_fraction >= 1.0:
        raise GenbaError(
            "The test share must be at least 0 and leave room for training examples.",
            "テスト用データの割合は 0 以上で、学習用データが残るようにしてください。",
            field="test_fraction",
        )
    for name, cap in (("max_val", max_val), ("max_test", max_test)):
        if cap is not None and cap < 1:
            raise GenbaError(
                "The size limit of a held-out part must be at least 1.",
                "確認用データの上限は 1 以上にしてください。",
                field=name,
            )
    examples = list(examples)
    by_label, dropped = _groups(examples)
    sizes = {label: len(groups) for label, groups in by_label.items()}
    testable = {label: n for label, n in sizes.items() if n >= 3}
    n_test = _part_sizes(testable, test_fraction, max_test, keep=2) if test_fraction > 0 else {}
    # Validation comes from what test leaves, at its share of the whole; every label keeps one for training.
    left = {label: n - n_test.get(label, 0) for label, n in sizes.items()}
    valid = {label: n for label, n in left.items() if n >= 2}
    n_val = _part_sizes(valid, val_fraction / (1 - test_fraction), max_val, keep=1)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for label in sorted(by_label):
        groups = by_label[label]
        order = [groups[j] for j in rng.permutation(len(groups))]
        k_test, k_val = n_test.get(label, 0), n_val.get(label, 0)
        for j, group in enumerate(order):
            part = "test" if j < k_test else "val" if j < k_test + k_val else "train"
            parts[part] += group
    train, val, test = (tuple(examples[i] for i in sorted(parts[p])) for p in ("train", "val", "test"))
    note_en = note_ja = ""
    if test_fraction > 0:
        missing = sorted(set(sizes) - {e.label for e in test})
        if len(test) < MIN_TEST_EXAMPLES:
            note_en = (
                f"Only {len(test)} examples could be held out for the final test: its accuracy is rough. "
                "Add more examples for a reliable figure."
            )
            note_ja = (
                f"最終確認用に取り分けられたデータは {len(test)} 件だけのため、正解率は目安です。"
                "確かな数字にはデータを増やしてください。"
            )
        elif missing:
            note_en = f"Labels with fewer than 3 examples are not in the final test: {', '.join(missing)}."
            note_ja = f"3 件未満のラベルは最終確認に含まれていません: {', '.join(missing)}。"
    return Split(train, val, test, dropped, note_en, note_ja)


def neutralize_cell(value: str) -> str:
    """Guard against CSV injection in files we write: a formula-looking cell gets a leading apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_csv(
    path: str | os.PathLike[str], header: Iterable[object], rows: Iterable[Iterable[object]]
) -> None:
    """Write UTF-8 with BOM (Excel opens it correctly), every cell neutralised; atomic replace."""
    path = Path(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([neutralize_cell(str(h)) for h in header])
            for row in rows:
                writer.writerow([neutralize_cell(str(c)) for c in row])
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; this file is for people to open
        os.replace(tmp, path)
        tmp = None
    except PermissionError as exc:
        raise GenbaError(
            "Cannot write the file: it may be open in another program (e.g. Excel). Close it and try again.",
            "ファイルに書き込めません。ほかのプログラム（Excel など）で開いている場合は閉じてから、もう一度試してください。",
            path=path,
            detail=repr(exc),
        ) from exc
    except OSError as exc:
        raise GenbaError(
            "Cannot write the file (is the folder there and the disk not full?).",
            "ファイルに書き込めません（フォルダーがあるか、ディスクに空きがあるか確認してください）。",
            path=path,
            detail=repr(exc),
        ) from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
