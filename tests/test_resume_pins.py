"""Resume refuses data or settings that would encode or label the examples differently, naming which."""

import pytest

from app.engine.errors import GenbaError
from app.engine.tuning.tuner import tune
from tests.support import WORDS, tiny_config


def write_label_folders(root):
    for label, words in WORDS.items():
        (root / label).mkdir(parents=True)
        for i in range(6):
            (root / label / f"{label}-{i}.txt").write_text(
                f"{words[i % 3]} {words[(i + 1) % 3]} {i}", encoding="utf-8"
            )
    return root


def write_two_column_csv(path):
    """Two text columns and two label columns, so a column choice changes the examples."""
    lines = ["text,remark,label,area"]
    for label, words in WORDS.items():
        for i in range(6):
            lines.append(
                f"{words[i % 3]} {i},{words[(i + 2) % 3]} again,{label},{'engine' if i % 2 else 'bucket'}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_resume_refuses_a_file_moved_to_another_label_folder(tiny_gguf, tmp_path):
    data = write_label_folders(tmp_path / "notes")
    run = tmp_path / "run"
    tune(tiny_config(tiny_gguf, data, run, steps=2, export=False))
    # Same name, same contents, same place in the sorted file list, another label: a fingerprint of the
    # sorted files' base names and contents misses this.
    (data / "bucket" / "bucket-5.txt").rename(data / "engine" / "bucket-5.txt")
    with pytest.raises(GenbaError) as err:
        tune(tiny_config(tiny_gguf, data, run, steps=4, export=False, resume=True))
    assert "label folders" in err.value.en and "ラベルフォルダー" in err.value.ja


def test_resume_accepts_the_data_folder_moved_as_a_whole(tiny_gguf, tmp_path):
    data = write_label_folders(tmp_path / "notes")
    run = tmp_path / "run"
    tune(tiny_config(tiny_gguf, data, run, steps=2, export=False))
    moved = data.rename(tmp_path / "notes-copy")
    result = tune(tiny_config(tiny_gguf, moved, run, steps=4, export=False, resume=True))
    assert result.report["steps"] == 4


@pytest.mark.parametrize(
    ("field", "first", "then"),
    [
        ("text_column", "text", "remark"),
        ("label_column", "label", "area"),
        ("max_tokens", 128, 12),
        ("template", "Note: {text}\nKind:", "Report: {text}\nKind:"),
        ("label_words", None, {"bucket": "tooth"}),
    ],
)
def test_resume_refuses_a_changed_encoding_setting_and_names_it(tiny_gguf, tmp_path, field, first, then):
    data = write_two_column_csv(tmp_path / "notes.csv")
    run = tmp_path / "run"
    base = dict(text_column="text", label_column="label", export=False)
    tune(tiny_config(tiny_gguf, data, run, steps=2, **(base | {field: first})))
    with pytest.raises(GenbaError) as err:
        tune(tiny_config(tiny_gguf, data, run, steps=4, resume=True, **(base | {field: then})))
    assert f"{field} (" in err.value.en and f"{field} (" in err.value.ja
    assert "different settings" in err.value.en and "設定が異なる" in err.value.ja
