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

import csv
import io
import json
import os
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TextIO

import numpy as np

from app.engine.data.email_text import email_text
from app.engine.data.text_files import UNDECODABLE, detect_encoding, open_text, read_error, size_text
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

_GUESS_ROWS = 2000
_MAX_LABEL_VALUES = 50


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
        if UNDECODABLE in v:
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
    names = [f.replace(UNDECODABLE, "\ufffd").replace("\0", "").strip() for f in fields]
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
        with open_text(path, encoding, "", max_bytes) as f:
            delimiter = _sniff_delimiter(f.read(65536))
    records: list[tuple[int, dict[str, str]]] = []
    header: list[str] = []
    n_rows = 0
    with open_text(path, encoding, "", max_bytes) as f:
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
    with open_text(path, encoding, "\n", max_bytes) as f:
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
    encoding = detect_encoding(path, max_bytes, jsonl=jsonl)
    try:
        if jsonl:
            columns, records = _read_jsonl(path, encoding, max_bytes, max_rows, skipped)
        else:
            columns, records = _read_csv(path, encoding, max_bytes, max_rows, skipped)
    except OSError as exc:
        raise read_error(path, exc) from exc
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
        raise read_error(folder, exc) from exc


def _folder_examples(
    folder: Path, label_folders: list[Path], max_bytes: int, max_rows: int, skipped: list[SkippedRow]
) -> tuple[list[Example], list[str], str]:
    """One example per .txt file, labelled by its sub-folder's name."""
    files = [(sub, f) for sub in label_folders for f in _txt_files(sub)]
    total = sum(f.stat().st_size for _, f in files)
    if total > max_bytes:
        size, limit = size_text(total), size_text(max_bytes)
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
            encoding = detect_encoding(f, max_bytes, jsonl=False)
            with open_text(f, encoding, "", max_bytes) as fh:
                text = fh.read()
        except GenbaError as exc:
            _skip(skipped, f, 1, exc.en, exc.ja)
            continue
        except OSError as exc:
            err = read_error(f, exc)
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
            raise read_error(path, exc) from exc
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
                    encoding = detect_encoding(f, 1 << 20, jsonl=False)
                    with open_text(f, encoding, "", 1 << 20) as fh:
                        text = _clean_text(fh.read(2000).replace(UNDECODABLE, "\ufffd"))
                except (GenbaError, OSError):
                    text = ""  # load_examples reports why
                rows.append((_clean_label(sub.name), text, f.name))
    except OSError as exc:
        raise read_error(folder, exc) from exc
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
