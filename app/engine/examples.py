"""Labelled examples from the files operators have: CSV/TSV/JSONL (UTF-8, UTF-8-BOM, CP932) or label folders.

Bad rows never stop a load: each is reported with its file, line and reason (JA/EN) and skipped.
Whole-file problems (missing, empty, binary, too large, no usable rows) raise GenbaError.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine.errors import GenbaError

TEXT_NAMES = (
    "text",
    "sentence",
    "description",
    "comment",
    "shorttext",
    "本文",
    "テキスト",
    "内容",
    "文章",
    "件名",
    "説明",
)
LABEL_NAMES = (
    "label",
    "labels",
    "class",
    "category",
    "target",
    "y",
    "ラベル",
    "分類",
    "カテゴリ",
    "カテゴリー",
    "区分",
    "種別",
)
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".jsonl")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str
    line: int


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
    columns: tuple[str, ...]
    text_column: str | None
    label_column: str | None
    encoding: str
    sources: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted({e.label for e in self.examples}))

    def counts(self) -> dict[str, int]:
        c = Counter(e.label for e in self.examples)
        return {lab: c[lab] for lab in self.labels}


@dataclass(frozen=True)
class Split:
    train: tuple[Example, ...]
    val: tuple[Example, ...]


def _clean(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _read_text(path: Path, max_bytes: int) -> tuple[str, str]:
    """Decoded text and encoding; refuses missing, empty, too large and binary files."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise GenbaError(
            "The file was not found or cannot be read.",
            "ファイルが見つからないか、読み込めません。",
            path=path,
            detail=repr(exc),
        ) from exc
    if size == 0:
        raise GenbaError("The file is empty.", "ファイルが空です。", path=path)
    if size > max_bytes:
        raise GenbaError(
            f"The file is too large ({size / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB). "
            "Split it into smaller files or use a sample.",
            f"ファイルが大きすぎます（{size / 2**20:.0f} MB、上限 {max_bytes / 2**20:.0f} MB）。"
            "小さなファイルに分けるか、一部を抜き出してください。",
            path=path,
        )
    raw = path.read_bytes()
    head = raw[:1024]
    control = sum(b < 9 or 13 < b < 32 for b in head)
    # A stray NUL is a bad row (skipped later); many of them, or mostly control bytes, is a binary file.
    if head.count(b"\0") > max(2, len(head) // 100) or control > 0.3 * len(head):
        raise GenbaError(
            "This is not a text file (it contains binary data).",
            "テキストファイルではありません（バイナリデータを含みます）。",
            path=path,
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return raw.decode("cp932"), "cp932"
        except UnicodeDecodeError:
            line = raw[: utf8_error.start].count(b"\n") + 1
            raise GenbaError(
                "The file's character encoding is not UTF-8 or Shift_JIS (CP932). Save it as UTF-8 and try again.",
                "文字コードが UTF-8 でも Shift_JIS（CP932）でもありません。UTF-8 で保存し直してください。",
                path=path,
                line=line,
            ) from None


def _skip(skipped: list, path: Path, line: int, en: str, ja: str) -> None:
    skipped.append(SkippedRow(str(path), line, en, ja))


def _guess_columns(
    columns: list[str], rows: list[dict[str, str]], text_column, label_column, path
) -> tuple[str, str]:
    for given in (text_column, label_column):
        if given is not None and given not in columns:
            raise GenbaError(
                f"There is no column '{given}'. Available columns: {', '.join(columns)}.",
                f"列「{given}」がありません。使える列: {', '.join(columns)}。",
                path=path,
                field=given,
            )
    lower = {c: c.lower().strip() for c in columns}
    if label_column is None:
        named = [c for c in columns if lower[c] in LABEL_NAMES and c != text_column]
        if named:
            label_column = named[0]
        else:

            def distinct(c):
                return len({r.get(c, "") for r in rows})

            candidates = [
                c
                for c in columns
                if c != text_column and 2 <= distinct(c) <= 50 and distinct(c) < max(3, len(rows) // 2)
            ]
            label_column = min(candidates, key=distinct) if candidates else None
    if text_column is None:
        named = [c for c in columns if c != label_column and (lower[c] in TEXT_NAMES or "text" in lower[c])]
        if named:
            text_column = named[0]
        else:
            others = [c for c in columns if c != label_column]
            if others:
                text_column = max(
                    others, key=lambda c: np.mean([len(r.get(c) or "") for r in rows]) if rows else 0
                )
    if text_column is None or label_column is None:
        raise GenbaError(
            f"Could not tell which columns hold the text and the label (columns: {', '.join(columns)}). "
            "Choose them explicitly.",
            f"本文とラベルの列を判別できませんでした（列: {', '.join(columns)}）。列を指定してください。",
            path=path,
        )
    return text_column, label_column


def _read_table(
    path: Path, max_bytes: int, max_rows: int, skipped: list
) -> tuple[list[str], list[tuple[int, dict]], str]:
    """Header and (line, row) pairs of a CSV/TSV/JSONL file."""
    text, encoding = _read_text(path, max_bytes)
    records: list[tuple[int, dict]] = []
    if path.suffix.lower() == ".jsonl":
        columns: list[str] = []
        if encoding == "cp932":  # JSON is UTF-8 (RFC 8259): decode line by line, skip the lines that aren't
            text = path.read_bytes().decode("utf-8", errors="replace")
            encoding = "utf-8"
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if len(records) >= max_rows:
                _skip(
                    skipped,
                    path,
                    n,
                    f"Only the first {max_rows} rows were read.",
                    f"先頭の {max_rows} 行のみ読み込みました。",
                )
                break
            if "\ufffd" in line or "\0" in line:
                _skip(
                    skipped, path, n, "The line has undecodable bytes.", "この行には読めない文字があります。"
                )
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                _skip(skipped, path, n, "The line is not valid JSON.", "この行は正しい JSON ではありません。")
                continue
            if not isinstance(obj, dict):
                _skip(
                    skipped,
                    path,
                    n,
                    "The line is not a JSON object.",
                    "この行は JSON オブジェクトではありません。",
                )
                continue
            row = {str(k): "" if v is None else str(v) for k, v in obj.items()}
            columns += [k for k in row if k not in columns]
            records.append((n, row))
        return columns, records, encoding
    sample = text[:65536]
    if path.suffix.lower() in (".tsv", ".tab"):
        delimiter = "\t"
    else:
        counts = {d: sample.splitlines()[0].count(d) if sample.splitlines() else 0 for d in (",", "\t", ";")}
        delimiter = max(counts, key=counts.get) if max(counts.values()) > 0 else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise GenbaError(
            "The file has no header row.", "ファイルに見出し行がありません。", path=path
        ) from exc
    header = [h.strip() for h in header]
    if not any(header):
        raise GenbaError("The file has no header row.", "ファイルに見出し行がありません。", path=path)
    header = [h or f"column{i + 1}" for i, h in enumerate(header)]
    start = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            _skip(
                skipped,
                path,
                start,
                f"The row cannot be parsed ({exc}).",
                f"この行を解析できません（{exc}）。",
            )
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not fields or not any(f.strip() for f in fields):
            continue
        if len(records) >= max_rows:
            _skip(
                skipped,
                path,
                line,
                f"Only the first {max_rows} rows were read.",
                f"先頭の {max_rows} 行のみ読み込みました。",
            )
            break
        if len(fields) != len(header):
            _skip(
                skipped,
                path,
                line,
                f"The row has {len(fields)} fields; the header has {len(header)}.",
                f"この行の項目数は {len(fields)} で、見出しの {len(header)} と一致しません。",
            )
            continue
        if any("\0" in f or "\ufffd" in f for f in fields):
            _skip(
                skipped,
                path,
                line,
                "The row contains NUL or undecodable bytes.",
                "この行には NUL または読めない文字が含まれます。",
            )
            continue
        records.append((line, dict(zip(header, fields, strict=True))))
    return header, records, encoding


def _folder_examples(folder: Path, max_bytes: int, skipped: list) -> tuple[list[Example], list[str]]:
    examples, sources = [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        for f in sorted(sub.glob("*.txt")):
            sources.append(str(f))
            try:
                text, _ = _read_text(f, max_bytes)
            except GenbaError as exc:
                _skip(skipped, f, 1, exc.en, exc.ja)
                continue
            cleaned = _clean(text)
            if not cleaned:
                _skip(skipped, f, 1, "The text is empty.", "本文が空です。")
                continue
            examples.append(Example(cleaned, sub.name.strip(), str(f), 1))
    return examples, sources


def load_examples(
    path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    max_bytes: int = 200 * 1024 * 1024,
    max_rows: int = 200_000,
) -> Dataset:
    """Read labelled examples; see the module docstring for what is accepted."""
    path = Path(path)
    skipped: list[SkippedRow] = []
    columns: list[str] = []
    encoding = "utf-8"
    if path.is_dir():
        tables = [p for p in sorted(path.iterdir()) if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES]
        if any(p.is_dir() for p in path.iterdir()):
            examples, sources = _folder_examples(path, max_bytes, skipped)
            tc, lc = None, None
        elif len(tables) == 1:
            return load_examples(
                tables[0],
                text_column=text_column,
                label_column=label_column,
                max_bytes=max_bytes,
                max_rows=max_rows,
            )
        else:
            raise GenbaError(
                "The folder must hold one sub-folder of .txt files per label, or a single data file.",
                "フォルダーには、ラベルごとの .txt ファイルのサブフォルダーか、データファイル 1 つを入れてください。",
                path=path,
            )
    else:
        columns, records, encoding = _read_table(path, max_bytes, max_rows, skipped)
        tc, lc = _guess_columns(columns, [r for _, r in records[:2000]], text_column, label_column, path)
        examples, sources = [], [str(path)]
        for line, row in records:
            text, label = _clean(row.get(tc, "")), (row.get(lc) or "").strip()
            if not text:
                _skip(skipped, path, line, f"The text ('{tc}') is empty.", f"本文（{tc}）が空です。")
            elif not label:
                _skip(skipped, path, line, f"The label ('{lc}') is missing.", f"ラベル（{lc}）がありません。")
            else:
                examples.append(Example(text, label, str(path), line))
    counts = Counter(e.label for e in examples)
    singles = {lab for lab, n in counts.items() if n < 2}
    for e in examples:
        if e.label in singles:
            _skip(
                skipped,
                Path(e.source),
                e.line,
                f"The label '{e.label}' has only this one example; a label needs at least 2.",
                f"ラベル「{e.label}」の例はこの 1 件だけです。ラベルごとに 2 件以上必要です。",
            )
    examples = [e for e in examples if e.label not in singles]
    if len({e.label for e in examples}) < 2:
        raise GenbaError(
            "Fewer than 2 labels with at least 2 examples each were found; nothing to learn.",
            "2 件以上の例を持つラベルが 2 種類未満のため、学習できません。",
            path=path,
        )
    skipped.sort(key=lambda s: (s.source, s.line))
    return Dataset(tuple(examples), tuple(skipped), tuple(columns), tc, lc, encoding, tuple(sources))


def preview_table(path, *, max_rows: int = 50) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Header and the first rows, for a preview (never the whole file)."""
    path = Path(path)
    columns, records, _ = _read_table(path, 200 * 1024 * 1024, max_rows, [])
    return tuple(columns), [tuple(r.get(c, "") for c in columns) for _, r in records[:max_rows]]


def split_examples(
    examples, *, val_fraction: float = 0.2, seed: int = 0, max_val: int | None = None
) -> Split:
    """Stratified, seeded split; every label with >= 2 examples is in both parts."""
    examples = list(examples)
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by_label.setdefault(e.label, []).append(i)
    total_val = len(examples) * val_fraction
    scale = min(1.0, max_val / total_val) if max_val is not None and total_val > 0 else 1.0
    train_idx, val_idx = [], []
    for label in sorted(by_label):
        idx = np.array(by_label[label])
        order = idx[rng.permutation(len(idx))]
        n_val = int(round(len(idx) * val_fraction * scale))
        n_val = min(max(n_val, 1), len(idx) - 1)
        val_idx += order[:n_val].tolist()
        train_idx += order[n_val:].tolist()
    return Split(tuple(examples[i] for i in sorted(train_idx)), tuple(examples[i] for i in sorted(val_idx)))


def neutralize_cell(value: str) -> str:
    """Guard against CSV injection in files we write: a formula-looking cell gets a leading apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_csv(path, header, rows) -> None:
    """UTF-8 with BOM (Excel opens it correctly), every cell neutralised."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([neutralize_cell(str(h)) for h in header])
        for row in rows:
            w.writerow([neutralize_cell(str(c)) for c in row])
    os.chmod(path, 0o644)
