"""Loading operators' example files: formats, encodings, column guessing, bad rows, splits."""

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.errors import GenbaError
from app.engine.examples import load_examples, neutralize_cell, preview_table, split_examples, write_csv

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "excavator_work_orders.csv"
JA_ROWS = [
    ("油圧ホースから油漏れ", "油圧"),
    ("バケットの爪が欠けた", "バケット"),
    ("エンジンがかからない", "エンジン"),
    ("油圧ポンプ異音", "油圧"),
    ("バケットピン交換", "バケット"),
    ("エンジンオイル漏れ", "エンジン"),
]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def ja_csv(header=("本文", "ラベル")) -> str:
    return ",".join(header) + "\n" + "".join(f"{t},{lab}\n" for t, lab in JA_ROWS)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_japanese_csv_in_excel_encodings_loads_with_guessed_columns(tmp_path, encoding):
    ds = load_examples(write(tmp_path / "orders.csv", ja_csv(), encoding))
    assert ds.encoding == encoding
    assert (ds.text_column, ds.label_column) == ("本文", "ラベル")
    assert ds.counts() == {"エンジン": 2, "バケット": 2, "油圧": 2}
    assert ds.examples[0].text == "油圧ホースから油漏れ" and ds.examples[0].line == 2


def test_tsv_jsonl_and_label_folders_load(tmp_path):
    tsv = write(tmp_path / "a.tsv", "text\tlabel\n" + "".join(f"{t}\t{lab}\n" for t, lab in JA_ROWS))
    assert len(load_examples(tsv).examples) == 6
    jsonl = write(
        tmp_path / "a.jsonl",
        "".join(json.dumps({"text": t, "label": lab}, ensure_ascii=False) + "\n" for t, lab in JA_ROWS),
    )
    assert load_examples(jsonl).labels == ("エンジン", "バケット", "油圧")
    for i, (t, lab) in enumerate(JA_ROWS):
        (tmp_path / "folder" / lab).mkdir(parents=True, exist_ok=True)
        write(tmp_path / "folder" / lab / f"{i}.txt", t)
    ds = load_examples(tmp_path / "folder")
    assert ds.counts() == {"エンジン": 2, "バケット": 2, "油圧": 2}


def test_columns_can_be_overridden_and_unknown_ones_are_named(tmp_path):
    path = write(
        tmp_path / "w.csv",
        "id,summary,system\n" + "".join(f"{i},{t},{lab}\n" for i, (t, lab) in enumerate(JA_ROWS)),
    )
    ds = load_examples(path, text_column="summary", label_column="system")
    assert ds.examples[0].label == "油圧"
    with pytest.raises(GenbaError) as err:
        load_examples(path, text_column="body")
    assert "summary" in err.value.message("en") and "body" in err.value.message("ja")


def test_bad_rows_are_reported_with_file_line_and_reason_and_skipped(tmp_path):
    text = (
        "text,label\n"
        "good bucket,bucket\n"  # 2
        ",bucket\n"  # 3 empty text
        "no label,\n"  # 4 missing label
        "too,many,fields\n"  # 5 ragged
        '"multi\nline engine",engine\n'  # 6-7, fine
        "lonely,singleton\n"  # 8 single-example label
        "bad\0byte,engine\n"  # 9 NUL
        "good engine,engine\n"  # 10
        "another bucket,bucket\n"  # 11
    )
    ds = load_examples(write(tmp_path / "o.csv", text))
    reasons = {s.line: s for s in ds.skipped}
    assert set(reasons) == {3, 4, 5, 8, 9}
    assert all(s.source.endswith("o.csv") and s.reason_en and s.reason_ja for s in ds.skipped)
    assert "empty" in reasons[3].reason_en and "missing" in reasons[4].reason_en
    assert "only this one" in reasons[8].reason_en
    assert [e.line for e in ds.examples] == [2, 6, 10, 11]  # the quoted newline keeps later lines right


def test_undecodable_jsonl_line_is_skipped_with_its_line(tmp_path):
    raw = b'{"text": "a bucket", "label": "b"}\n{"text": "\xff\xfe", "label": "b"}\n{"text": "x", "label": "c"}\n{"text": "y", "label": "c"}\n{"text": "z", "label": "b"}\n'
    path = tmp_path / "o.jsonl"
    path.write_bytes(raw)
    ds = load_examples(path)
    assert [s.line for s in ds.skipped] == [2]


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "empty"), (b"\x00\x01\x02binary" * 50, "binary"), (b"x" * 5000, "too large")],
)
def test_whole_file_problems_raise_a_clear_error_naming_the_file(tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(GenbaError) as err:
        load_examples(path, max_bytes=4000)
    assert words in err.value.message("en").lower() and "bad.csv" in err.value.message("ja")


def test_missing_file_and_single_label_files_are_refused(tmp_path):
    with pytest.raises(GenbaError):
        load_examples(tmp_path / "none.csv")
    with pytest.raises(GenbaError) as err:
        load_examples(write(tmp_path / "one.csv", "text,label\na,x\nb,x\n"))
    assert "2 labels" in err.value.message("en")


def test_split_is_stratified_deterministic_disjoint_and_complete():
    ds = load_examples(DEMO)
    a = split_examples(ds.examples, val_fraction=0.2, seed=0)
    b = split_examples(ds.examples, val_fraction=0.2, seed=0)
    assert a == b
    assert not set(a.train) & set(a.val) and len(a.train) + len(a.val) == len(ds.examples)
    assert {e.label for e in a.val} == set(ds.labels)
    assert [sum(e.label == lab for e in a.val) for lab in ds.labels] == [24, 24, 24]
    capped = split_examples(ds.examples, val_fraction=0.2, seed=0, max_val=30)
    assert len(capped.val) == 30 and len(capped.train) == 330
    assert split_examples(ds.examples, seed=1) != a


def test_demo_data_has_three_labels_of_120():
    assert load_examples(DEMO).counts() == {"bucket": 120, "engine": 120, "hydraulic": 120}


def test_preview_shows_the_header_and_first_rows(tmp_path):
    header, rows = preview_table(write(tmp_path / "o.csv", ja_csv(), "cp932"), max_rows=3)
    assert header == ("本文", "ラベル") and len(rows) == 3


def test_formula_cells_are_neutralised_in_csv_we_write(tmp_path):
    assert neutralize_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert neutralize_cell("@SUM(A1)") == "'@SUM(A1)" and neutralize_cell("-1+1") == "'-1+1"
    assert neutralize_cell("normal") == "normal"
    out = tmp_path / "out.csv"
    write_csv(out, ["text", "label"], [["=cmd|' /C calc'!A0", "+x"]])
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "'=cmd" in raw.decode("utf-8-sig") and ",'+x" in raw.decode("utf-8-sig")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".tsv", ".jsonl", ".txt"]))
def test_arbitrary_bytes_never_escape_as_anything_but_genba_error(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        ds = load_examples(path)
    except GenbaError as exc:
        assert exc.message("en") and exc.message("ja")
    else:
        assert len(ds.labels) >= 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.text(max_size=30), st.text(max_size=8)), max_size=30))
def test_arbitrary_text_rows_never_escape_as_anything_but_genba_error(tmp_path, rows):
    import csv

    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    with contextlib.suppress(GenbaError):
        load_examples(path)
