"""Operators' example files: formats, Excel encodings, column guessing, bad rows, whole-file errors, splits."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import sysconfig
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.data.examples import (
    Dataset,
    Example,
    SkippedRow,
    load_examples,
    preview_table,
)
from app.engine.data.split import split_examples
from app.engine.errors import GenbaError

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "resources" / "demo" / "excavator_work_orders.csv"
# Read as a file, never imported (nestor pulls heavy dependencies).
NESTOR_CSV = Path(sysconfig.get_paths()["purelib"]) / "nestor" / "datasets" / "excavators-cleaned.csv"

# Short shop-floor orders in Japanese: (本文, ラベル).
JA_ROWS = [
    ("油圧ホースから油漏れ", "油圧"),
    ("バケットの爪が欠けた", "バケット"),
    ("エンジンがかからない", "エンジン"),
    ("油圧ポンプ異音", "油圧"),
    ("バケットピン交換", "バケット"),
    ("エンジンオイル漏れ", "エンジン"),
]
JA_COUNTS = {"エンジン": 2, "バケット": 2, "油圧": 2}


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding))


def ja_table(delimiter: str = ",", newline: str = "\n", header: tuple[str, str] = ("本文", "ラベル")) -> str:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in JA_ROWS]
    return newline.join(lines) + newline


def skipped_by_line(ds: Dataset) -> dict[int, SkippedRow]:
    return {s.line: s for s in ds.skipped}


def assert_bilingual(ds: Dataset, filename: str) -> None:
    for s in ds.skipped:
        assert Path(s.source).name == filename
        assert s.reason_en.strip() and s.reason_ja.strip()


def assert_names_file(err: pytest.ExceptionInfo[GenbaError], filename: str) -> None:
    assert err.value.path is not None and Path(err.value.path).name == filename
    assert filename in err.value.message("en") and filename in err.value.message("ja")
    assert err.value.en.strip() and err.value.ja.strip()


# --- formats and encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_japanese_csv_loads_in_each_excel_encoding_with_guessed_columns(tmp_path, encoding, newline):
    path = write_text(tmp_path / "orders.csv", ja_table(newline=newline), encoding)
    ds = load_examples(path)
    assert ds.encoding == encoding
    assert ds.columns == ("本文", "ラベル")
    assert (ds.text_column, ds.label_column) == ("本文", "ラベル")
    assert ds.counts() == JA_COUNTS
    assert ds.labels == ("エンジン", "バケット", "油圧")
    assert [(e.text, e.label, e.line) for e in ds.examples[:2]] == [
        ("油圧ホースから油漏れ", "油圧", 2),
        ("バケットの爪が欠けた", "バケット", 3),
    ]
    assert ds.sources == (str(path),) and all(e.source == str(path) for e in ds.examples)
    assert ds.skipped == ()


def test_excel_unicode_text_utf16_tab_separated_file_loads(tmp_path):
    # Excel's "Unicode text" export: UTF-16 LE with a BOM, tab-separated, CRLF.
    path = write_text(tmp_path / "orders.txt", ja_table("\t", "\r\n"), "utf-16")
    ds = load_examples(path)
    assert ds.encoding == "utf-16"
    assert ds.counts() == JA_COUNTS and ds.examples[-1].line == 7


def test_tsv_and_tab_files_split_on_tabs_even_when_text_has_commas(tmp_path):
    rows = "".join(f"{t}、追加, 詳細\t{lab}\n" for t, lab in JA_ROWS)
    for name in ("orders.tsv", "orders.tab"):
        ds = load_examples(write_text(tmp_path / name, "text\tlabel\n" + rows))
        assert ds.counts() == JA_COUNTS
        assert ds.examples[0].text == "油圧ホースから油漏れ、追加, 詳細"


@pytest.mark.parametrize(
    ("name", "delimiter"), [("a.csv", "\t"), ("b.csv", ";"), ("c.txt", ","), ("d.txt", ";")]
)
def test_delimiter_of_csv_and_txt_files_is_sniffed(tmp_path, name, delimiter):
    body = f"text{delimiter}label\n" + "".join(f'"{t}, 1; 2"{delimiter}{lab}\n' for t, lab in JA_ROWS)
    ds = load_examples(write_text(tmp_path / name, body))
    assert ds.columns == ("text", "label")
    assert ds.counts() == JA_COUNTS and ds.examples[0].text == "油圧ホースから油漏れ, 1; 2"


def test_jsonl_keys_are_the_columns_and_lines_are_physical(tmp_path):
    lines = [
        json.dumps({"id": i, "本文": t, "分類": lab}, ensure_ascii=False)
        for i, (t, lab) in enumerate(JA_ROWS)
    ]
    lines.insert(2, "")  # a blank line still counts for line numbers
    path = write_text(tmp_path / "orders.jsonl", "\n".join(lines) + "\n")
    ds = load_examples(path)
    assert ds.columns == ("id", "本文", "分類")
    assert (ds.text_column, ds.label_column) == ("本文", "分類")
    assert ds.counts() == JA_COUNTS
    assert [e.line for e in ds.examples] == [1, 2, 4, 5, 6, 7]


def test_jsonl_non_string_values_become_text_and_u2028_does_not_split_lines(tmp_path):
    rows = [
        {"text": "valve\u2028leak", "label": 1},
        {"text": "hose leak", "label": 1},
        {"text": "pump noise", "label": True},
        {"text": "pump whine", "label": True},
    ]
    path = write_text(tmp_path / "o.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    ds = load_examples(path)
    assert ds.counts() == {"1": 2, "true": 2}
    assert ds.examples[0].text == "valve leak" and [e.line for e in ds.examples] == [1, 2, 3, 4]


def test_cp932_jsonl_written_by_japanese_windows_python_loads(tmp_path):
    body = "".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n" for t, lab in JA_ROWS)
    ds = load_examples(write_text(tmp_path / "o.jsonl", body, "cp932"))
    assert ds.encoding == "cp932" and ds.counts() == JA_COUNTS


def test_label_folders_give_one_example_per_txt_file_labelled_by_folder(tmp_path):
    root = tmp_path / "orders"
    for i, (text, label) in enumerate(JA_ROWS):
        encoding = "cp932" if i % 2 else "utf-8"
        write_text(root / label / f"{i}.txt", f"  {text}\r\n\r\n", encoding)
    write_text(root / "油圧" / "notes.md", "not an example")  # only .txt files count
    write_text(root / ".hidden" / "x.txt", "ignored")
    write_text(root / "バケット" / "._resource_fork.txt", "ignored")
    ds = load_examples(root)
    assert ds.counts() == JA_COUNTS
    assert ds.columns == () and ds.text_column is None and ds.label_column is None
    assert ds.encoding == "cp932, utf-8"
    assert all(e.line == 1 and Path(e.source).parent.name == e.label for e in ds.examples)
    assert {e.text for e in ds.examples} == {t for t, _ in JA_ROWS}
    assert len(ds.sources) == 6


def test_label_folder_names_from_a_mac_zip_are_normalised(tmp_path):
    # macOS stores names decomposed (NFD): "バケット" would otherwise differ from the typed label.
    for i, (text, label) in enumerate(JA_ROWS):
        write_text(tmp_path / unicodedata.normalize("NFD", label) / f"{i}.txt", text)
    assert load_examples(tmp_path).counts() == JA_COUNTS


def test_empty_txt_file_in_label_folder_is_skipped_with_its_path(tmp_path):
    for i, (text, label) in enumerate(JA_ROWS):
        write_text(tmp_path / label / f"{i}.txt", text)
    empty = write_text(tmp_path / "油圧" / "empty.txt", " \n ")
    ds = load_examples(tmp_path)
    assert [(s.source, s.line) for s in ds.skipped] == [(str(empty), 1)]
    assert_bilingual(ds, "empty.txt")


def test_folder_holding_one_data_file_loads_that_file(tmp_path):
    path = write_text(tmp_path / "export" / "orders.csv", ja_table(), "cp932")
    ds = load_examples(tmp_path / "export")
    assert ds.sources == (str(path),) and ds.counts() == JA_COUNTS
    header, rows = preview_table(tmp_path / "export", max_rows=2)
    assert header == ("本文", "ラベル") and len(rows) == 2


def test_folder_with_two_data_files_is_refused_naming_them(tmp_path):
    write_text(tmp_path / "a.csv", ja_table())
    write_text(tmp_path / "b.csv", ja_table())
    with pytest.raises(GenbaError) as err:
        load_examples(tmp_path)
    assert "a.csv" in err.value.en and "b.csv" in err.value.ja


# --- columns ---------------------------------------------------------------------------------------------


def test_text_and_label_columns_are_guessed_from_shop_export_names(tmp_path):
    body = "BscStartDate,OriginalShorttext,Comments,MajorSystem,Cost\n" + "".join(
        f"2004-07-0{i},{t},NA,{lab},{i * 10}\n" for i, (t, lab) in enumerate(JA_ROWS)
    )
    ds = load_examples(write_text(tmp_path / "wo.csv", body))
    # "OriginalShorttext" contains "text"; "Comments" is a text name too but holds only "NA".
    assert ds.text_column == "OriginalShorttext"
    assert ds.label_column == "MajorSystem"  # few distinct values, no name match
    assert ds.counts() == JA_COUNTS


@pytest.mark.parametrize(
    ("header", "text", "label"),
    [
        (("Category", "Description"), "Description", "Category"),
        (("不具合内容", "区分"), "不具合内容", "区分"),
        (("件名", "カテゴリー"), "件名", "カテゴリー"),
        (("ＴＥＸＴ", "ＬＡＢＥＬ"), "ＴＥＸＴ", "ＬＡＢＥＬ"),  # full-width names typed on a Japanese IME
    ],
)
def test_column_names_in_english_and_japanese_are_recognised(tmp_path, header, text, label):
    rows = JA_ROWS if header.index(text) == 0 else [(lab, t) for t, lab in JA_ROWS]
    body = ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    ds = load_examples(write_text(tmp_path / "o.csv", body, "utf-8-sig"))
    assert (ds.text_column, ds.label_column) == (text, label)
    assert ds.counts() == JA_COUNTS


def test_unnamed_columns_are_guessed_from_their_values(tmp_path):
    body = "no,a,b\n" + "".join(f"{i},{lab},{t}\n" for i, (t, lab) in enumerate(JA_ROWS * 2))
    ds = load_examples(write_text(tmp_path / "o.csv", body))
    assert (ds.text_column, ds.label_column) == ("b", "a")


def test_given_columns_override_the_guess(tmp_path):
    body = "text,label,summary,system\n" + "".join(
        f"x{i},y,{t},{lab}\n" for i, (t, lab) in enumerate(JA_ROWS)
    )
    ds = load_examples(write_text(tmp_path / "o.csv", body), text_column="summary", label_column="system")
    assert (ds.text_column, ds.label_column) == ("summary", "system")
    assert ds.counts() == JA_COUNTS


def test_unknown_column_is_refused_listing_the_available_columns(tmp_path):
    path = write_text(tmp_path / "o.csv", ja_table(), "cp932")
    for kwargs in ({"text_column": "body"}, {"label_column": "body"}):
        with pytest.raises(GenbaError) as err:
            load_examples(path, **kwargs)
        assert err.value.field == "body"
        for lang in ("en", "ja"):
            message = err.value.message(lang)
            assert "body" in message and "本文" in message and "ラベル" in message and "o.csv" in message


def test_same_column_for_text_and_label_is_refused(tmp_path):
    with pytest.raises(GenbaError):
        load_examples(write_text(tmp_path / "o.csv", ja_table()), text_column="本文", label_column="本文")


def test_single_column_file_asks_for_columns_and_mentions_the_separator(tmp_path):
    with pytest.raises(GenbaError) as err:
        load_examples(write_text(tmp_path / "o.csv", "text|label\na|b\nc|d\n"))
    assert "separator" in err.value.en and "text|label" in err.value.ja


def test_blank_and_duplicate_header_names_are_renamed_and_trailing_blanks_dropped(tmp_path):
    body = "text,,text,label,,\n" + "".join(f"{t},x,dup,{lab},,\n" for t, lab in JA_ROWS)
    ds = load_examples(write_text(tmp_path / "o.csv", body), text_column="text")
    assert ds.columns == ("text", "column2", "text_2", "label")
    assert ds.counts() == JA_COUNTS and ds.skipped == ()


# --- cleaning and bad rows -------------------------------------------------------------------------------


def test_text_whitespace_is_collapsed_and_labels_are_stripped_but_na_is_an_ordinary_label(tmp_path):
    body = (
        "text,label\n" + '"  bucket \t pin\u3000 worn\n out ", NA \n' + "hose leak,NA\nx,engine\ny,engine\n"
    )
    ds = load_examples(write_text(tmp_path / "o.csv", body))
    assert ds.examples[0] == Example("bucket pin worn out", "NA", str(tmp_path / "o.csv"), 2)
    assert ds.counts() == {"NA": 2, "engine": 2}


def test_every_bad_row_is_skipped_with_its_file_line_and_reasons(tmp_path):
    body = (
        "text,label\n"  # 1
        "good bucket,bucket\n"  # 2
        ",bucket\n"  # 3 empty text
        "   ,bucket\n"  # 4 whitespace-only text
        "no label,\n"  # 5 missing label
        "too,many,fields\n"  # 6 ragged: too many
        "too few\n"  # 7 ragged: too few
        '"multi\nline\nengine",engine\n'  # 8-10 quoted newlines: fine
        "lonely,singleton\n"  # 11 the only example of its label
        "bad\0byte,engine\n"  # 12 NUL
        "good engine,engine\n"  # 13
        "\n"  # 14 blank: ignored, not reported
        "another bucket,bucket\n"  # 15
    )
    ds = load_examples(write_text(tmp_path / "o.csv", body))
    skipped = skipped_by_line(ds)
    assert sorted(skipped) == [3, 4, 5, 6, 7, 11, 12]
    assert "empty" in skipped[3].reason_en and "empty" in skipped[4].reason_en
    assert "missing" in skipped[5].reason_en
    assert "fields" in skipped[6].reason_en and "fields" in skipped[7].reason_en
    assert "only this one" in skipped[11].reason_en and "singleton" in skipped[11].reason_ja
    assert "NUL" in skipped[12].reason_en
    assert_bilingual(ds, "o.csv")
    assert [e.line for e in ds.examples] == [2, 8, 13, 15]  # the quoted newlines keep later lines right
    assert ds.examples[1].text == "multi line engine"


def test_unclosed_quote_is_reported_at_its_start_line_with_a_hint(tmp_path):
    body = "text,label\na,x\nb,x\nc,z\nd,z\n" + '"never closed,y\ne,y\nf,y\n'
    ds = load_examples(write_text(tmp_path / "o.csv", body))
    (skip,) = ds.skipped  # the rest of the file became one broken row
    assert skip.line == 6 and "quote" in skip.reason_en and "6" in skip.reason_ja


def test_undecodable_jsonl_lines_and_non_json_lines_are_skipped_with_their_lines(tmp_path):
    lines = [
        b'{"text": "bucket tooth", "label": "bucket"}',  # 1
        b'{"text": "\xff\xfe broken", "label": "bucket"}',  # 2 undecodable
        b'{"text": "engine stalls", "label": "engine"',  # 3 not JSON
        b'["a list", "engine"]',  # 4 not an object
        b'{"text": "engine smoke", "label": "engine"}',  # 5
        b'{"text": "bucket pin", "label": "bucket"}',  # 6
        b'{"text": "nul \\u0000 inside", "label": "engine"}',  # 7 NUL after decoding
        b'{"text": "engine knock", "label": "engine"}',  # 8
    ]
    path = write_bytes(tmp_path / "o.jsonl", b"\n".join(lines) + b"\n")
    ds = load_examples(path)
    skipped = skipped_by_line(ds)
    assert sorted(skipped) == [2, 3, 4, 7]
    assert (
        "decode" in skipped[2].reason_en
        and "JSON" in skipped[3].reason_en
        and "object" in skipped[4].reason_en
    )
    assert_bilingual(ds, "o.jsonl")
    assert [e.line for e in ds.examples] == [1, 5, 6, 8]


def test_damaged_row_in_a_plainly_utf8_csv_is_skipped_not_the_whole_file(tmp_path):
    good = ja_table().encode("utf-8")
    data = good + "壊れた行 ".encode() + b"\x82\xa0\xff" + ",油圧\n油圧バルブ交換,油圧\n".encode()
    ds = load_examples(write_bytes(tmp_path / "o.csv", data))
    assert ds.encoding == "utf-8"
    assert [s.line for s in ds.skipped] == [8]
    assert "decode" in ds.skipped[0].reason_en and ds.skipped[0].reason_ja
    assert ds.counts() == {"エンジン": 2, "バケット": 2, "油圧": 3}


def test_file_neither_utf8_nor_cp932_is_refused_naming_the_first_bad_line(tmp_path):
    data = b"text,label\na,x\nb,x\nc,y\n\xff\xfe\xfd,y\n"
    with pytest.raises(GenbaError) as err:
        load_examples(write_bytes(tmp_path / "latin.csv", data))
    assert err.value.line == 5
    assert_names_file(err, "latin.csv")
    assert "latin.csv:5" in err.value.message("ja")


def test_row_limit_stops_reading_and_says_so_at_the_first_unread_row(tmp_path):
    body = "text,label\n" + "".join(f"text {i},{'ab'[i % 2]}\n" for i in range(20))
    ds = load_examples(write_text(tmp_path / "o.csv", body), max_rows=10)
    assert len(ds.examples) == 10
    (note,) = ds.skipped
    assert note.line == 12 and note.reason_en.startswith("Only the first 10") and note.reason_ja


def test_row_limit_applies_to_jsonl(tmp_path):
    body = "".join(json.dumps({"text": f"t{i}", "label": "ab"[i % 2]}) + "\n" for i in range(9))
    ds = load_examples(write_text(tmp_path / "o.jsonl", body), max_rows=4)
    assert len(ds.examples) == 4 and [s.line for s in ds.skipped] == [5]


# --- whole-file problems ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary" * 50, "binary"),
        (bytes(range(1, 32)) * 20, "binary"),  # control characters, no NUL
        (b"PK\x03\x04" + b"\x14\x00" * 100, "excel"),  # an .xlsx renamed to .csv
        (b"\n\n  \n", "header"),
        (b"text,label\n ,x\n,y\n", "no usable"),
        (b"text,label\n,\n\n", "no data rows"),
        (b"text,label\na,x\nb,x\n", "2 labels"),
        (b"text,label\na,x\nb,y\n", "only this one"),  # the first problem is named
    ],
)
def test_whole_file_problems_raise_a_clear_error_naming_the_file(tmp_path, content, words):
    path = write_bytes(tmp_path / "bad.csv", content)
    with pytest.raises(GenbaError) as err:
        load_examples(path)
    assert words in err.value.message("en").lower()
    assert_names_file(err, "bad.csv")


def test_missing_file_raises_naming_it(tmp_path):
    with pytest.raises(GenbaError) as err:
        load_examples(tmp_path / "none.csv")
    assert "not found" in err.value.en
    assert_names_file(err, "none.csv")


def test_too_large_file_is_refused_from_its_size_without_reading_it(tmp_path, monkeypatch):
    path = write_text(tmp_path / "big.csv", ja_table() * 100)
    size = path.stat().st_size

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_reading)
    with pytest.raises(GenbaError) as err:
        load_examples(path, max_bytes=4000)
    assert "too large" in err.value.en
    assert f"{size / 1024:.1f} KB" in err.value.en and "3.9 KB" in err.value.ja
    assert_names_file(err, "big.csv")


def test_label_folder_larger_than_the_limit_is_refused(tmp_path):
    for i, (text, label) in enumerate(JA_ROWS):
        write_text(tmp_path / label / f"{i}.txt", text * 50)
    with pytest.raises(GenbaError) as err:
        load_examples(tmp_path, max_bytes=1000)
    assert "too large" in err.value.en and err.value.path == str(tmp_path)


# --- split -----------------------------------------------------------------------------------------------


def examples_with_counts(counts: dict[str, int]) -> list[Example]:
    return [Example(f"{label} {i}", label, "x.csv", i + 2) for label, n in counts.items() for i in range(n)]


def test_split_is_stratified_deterministic_disjoint_and_covers_every_example():
    examples = examples_with_counts({"a": 50, "b": 20, "c": 5, "d": 2})
    split = split_examples(examples, val_fraction=0.2, seed=3)
    assert split == split_examples(examples, val_fraction=0.2, seed=3)
    assert not set(split.train) & set(split.val)
    assert sorted(split.train + split.val, key=examples.index) == examples
    val_counts = {lab: sum(e.label == lab for e in split.val) for lab in "abcd"}
    assert val_counts == {"a": 10, "b": 4, "c": 1, "d": 1}
    assert {e.label for e in split.train} == set("abcd")
    assert list(split.val) == sorted(split.val, key=examples.index)  # input order kept
    assert split_examples(examples, val_fraction=0.2, seed=4) != split


def test_split_cap_is_exact_and_stays_stratified():
    examples = examples_with_counts({"a": 100, "b": 100, "c": 37})
    split = split_examples(examples, val_fraction=0.5, seed=0, max_val=31)
    assert len(split.val) == 31 and len(split.train) == 237 - 31
    assert {e.label for e in split.val} == {"a", "b", "c"}


def test_split_keeps_one_validation_example_per_label_even_below_the_cap():
    examples = examples_with_counts({f"l{i}": 3 for i in range(6)})
    split = split_examples(examples, seed=0, max_val=4)
    assert sorted({e.label for e in split.val}) == [f"l{i}" for i in range(6)]
    assert {e.label for e in split.train} == {f"l{i}" for i in range(6)}


def test_split_puts_a_single_example_label_in_train():
    examples = examples_with_counts({"a": 4, "b": 1})
    split = split_examples(examples, seed=0)
    assert [e.label for e in split.val] == ["a"] and "b" in {e.label for e in split.train}


def test_held_out_test_part_is_stratified_capped_and_disjoint():
    examples = examples_with_counts({"a": 100, "b": 40, "c": 3, "d": 2})
    split = split_examples(examples, val_fraction=0.2, test_fraction=0.2, seed=0, max_test=25)
    parts = [set(split.train), set(split.val), set(split.test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert sorted(split.train + split.val + split.test, key=examples.index) == examples
    test_counts = {lab: sum(e.label == lab for e in split.test) for lab in "abcd"}
    # Capped at 25, proportional; a label with 3 texts gives one to each part; one with 2 has no test row.
    assert sum(test_counts.values()) == 25 and test_counts["c"] == 1 and test_counts["d"] == 0
    assert test_counts["a"] > test_counts["b"] > test_counts["c"]
    assert {e.label for e in split.val} == set("abcd") and {e.label for e in split.train} == set("abcd")
    assert "d" in split.test_note_en and "d" in split.test_note_ja


def test_repeated_texts_are_dropped_and_the_same_text_never_sits_on_two_sides():
    base = examples_with_counts({"a": 30, "b": 30})
    # The same order typed again in other case and spacing, and one text filed under both labels.
    repeats = [Example("  A   3 ", "a", "x.csv", 100), Example("a 3", "a", "x.csv", 101)]
    conflict = [Example("b 7", "a", "x.csv", 102)]
    split = split_examples(base + repeats + conflict, test_fraction=0.2, seed=1)
    assert split.duplicates_removed == 2
    kept = split.train + split.val + split.test
    assert len(kept) == len(base) + 1
    side = {}
    for name, part in (("train", split.train), ("val", split.val), ("test", split.test)):
        for e in part:
            side.setdefault(" ".join(e.text.casefold().split()), set()).add(name)
    assert all(len(sides) == 1 for sides in side.values()), side


def test_too_few_examples_for_a_test_part_say_so_instead_of_reusing_validation():
    split = split_examples(examples_with_counts({"a": 6, "b": 6}), test_fraction=0.2, seed=0)
    assert 0 < len(split.test) < 20 and not set(split.test) & set(split.val)
    assert "rough" in split.test_note_en and split.test_note_ja


@pytest.mark.parametrize("kwargs", [{"val_fraction": 0.0}, {"val_fraction": 1.0}, {"max_val": 0}])
def test_split_refuses_impossible_settings(kwargs):
    with pytest.raises(GenbaError) as err:
        split_examples(examples_with_counts({"a": 4, "b": 4}), **kwargs)
    assert err.value.field in ("val_fraction", "max_val") and err.value.ja


# --- preview ---------------------------------------------------------------------------------------------


def test_preview_shows_the_header_and_first_rows_only(tmp_path):
    header, rows = preview_table(write_text(tmp_path / "o.csv", ja_table(), "cp932"), max_rows=3)
    assert header == ("本文", "ラベル")
    assert rows == list(JA_ROWS[:3])


def test_preview_of_label_folders_lists_label_text_and_file(tmp_path):
    for i, (text, label) in enumerate(JA_ROWS):
        write_text(tmp_path / label / f"{i}.txt", text, "cp932")
    header, rows = preview_table(tmp_path, max_rows=4)
    assert header == ("label", "text", "file") and len(rows) == 4
    assert rows[0] == ("エンジン", "エンジンがかからない", "2.txt")


# --- demo data -------------------------------------------------------------------------------------------


def test_demo_work_orders_load_with_three_labels_of_120():
    ds = load_examples(DEMO)
    assert ds.counts() == {"bucket": 120, "engine": 120, "hydraulic": 120}
    assert ds.skipped == () and ds.encoding == "utf-8"
    assert len({e.text for e in ds.examples}) == 360


def test_demo_source_is_stated():
    source = (DEMO.parent / "SOURCE.md").read_text(encoding="utf-8")
    for words in ("nist-nestor==0.4.4", "public domain", "scripts/make_demo_data.py", "Hydraulic System"):
        assert words.lower() in source.lower()


@pytest.mark.skipif(not NESTOR_CSV.exists(), reason="nist-nestor 0.4.4 is not installed")
def test_demo_script_reproduces_the_shipped_file(tmp_path):
    spec = importlib.util.spec_from_file_location("make_demo_data", ROOT / "scripts" / "make_demo_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([str(NESTOR_CSV), str(tmp_path / "demo.csv")]) == 0
    assert (tmp_path / "demo.csv").read_bytes() == DEMO.read_bytes()


def test_examples_module_does_not_import_qt():
    code = "import sys, app.engine.data.examples; print(any(m.startswith(('PySide', 'PyQt')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- never anything but GenbaError -----------------------------------------------------------------------

VALID_JA = ja_table().encode("cp932")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".txt"]))
def test_arbitrary_bytes_load_or_raise_genba_error_only(tmp_path, data, suffix):
    path = write_bytes(tmp_path / f"fuzz{suffix}", data)
    try:
        ds = load_examples(path)
    except GenbaError as exc:
        assert exc.message("en") and exc.message("ja")
    else:
        assert len(ds.labels) >= 2 and all(s.reason_en and s.reason_ja for s in ds.skipped)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cut=st.integers(0, len(VALID_JA)),
    junk=st.binary(max_size=40),
    suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]),
)
def test_damaged_real_files_load_or_raise_genba_error_only(tmp_path, cut, junk, suffix):
    # Random bytes spliced into a valid CP932 file reach the row-level paths that pure noise rarely does.
    path = write_bytes(tmp_path / f"damaged{suffix}", VALID_JA[:cut] + junk + VALID_JA[cut:])
    try:
        ds = load_examples(path)
        preview_table(path)
    except GenbaError:
        return
    assert all(e.text and e.label for e in ds.examples)
