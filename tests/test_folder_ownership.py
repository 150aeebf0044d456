"""Nothing the program did not write is deleted: export swaps, leftovers and the choice of run folder."""

import errno
import shutil
from pathlib import Path

import pytest

from app.cli import EXIT_USER_ERROR, main
from app.engine.errors import GenbaError
from app.engine.run_files import EXPORT_DIR
from app.engine.storage import OWNER_MARKER, owner_marker, replace_folder
from app.engine.tuning.tuner import tune
from tests.support import tiny_config, tune_args, write_demo_csv


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def writer(contents: dict[str, bytes]):
    def write(staging: Path) -> None:
        for name, data in contents.items():
            (staging / name).write_bytes(data)

    return write


def test_replace_folder_swaps_our_folder_and_leaves_no_staging_or_old(tmp_path):
    target = tmp_path / "model"
    replace_folder(target, writer({"model.onnx": b"first", "weights.bin": b"1"}))
    replace_folder(target, writer({"model.onnx": b"second"}))
    assert (target / "model.onnx").read_bytes() == b"second"
    assert not (target / "weights.bin").exists()
    assert owner_marker(target)["files"] == [OWNER_MARKER, "model.onnx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_replace_folder_never_deletes_a_folder_it_did_not_make(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "model.onnx").write_bytes(b"the user's model")
    (target / "NOTES.txt").write_text("do not lose me", encoding="utf-8")
    before = snapshot(target)
    with pytest.raises(GenbaError) as err:
        replace_folder(target, writer({"model.onnx": b"export"}))
    assert "not made by Genba Tuner" in err.value.en and "Genba Tuner が作ったものではない" in err.value.ja
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_replace_folder_keeps_our_folder_when_the_user_added_a_file_to_it(tmp_path):
    target = tmp_path / "model"
    replace_folder(target, writer({"model.onnx": b"export"}))
    (target / "NOTES.txt").write_text("mine", encoding="utf-8")
    before = snapshot(target)
    with pytest.raises(GenbaError) as err:
        replace_folder(target, writer({"model.onnx": b"new export"}))
    assert "NOTES.txt" in err.value.en and "NOTES.txt" in err.value.ja
    assert snapshot(target) == before


@pytest.mark.parametrize("suffix", [".partial", ".old"])
def test_a_foreign_folder_named_like_our_staging_or_old_folder_is_kept(tmp_path, suffix):
    foreign = tmp_path / f"model{suffix}"
    foreign.mkdir()
    (foreign / "data.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(GenbaError):
        replace_folder(tmp_path / "model", writer({"model.onnx": b"export"}))
    assert (foreign / "data.csv").read_text(encoding="utf-8") == "a,b\n"
    assert not (tmp_path / "model").exists()


def test_a_swap_cut_between_its_renames_gets_the_old_export_back_when_the_next_write_fails(tmp_path):
    target = tmp_path / "model"
    replace_folder(target, writer({"model.onnx": b"old export"}))
    target.rename(tmp_path / "model.old")  # what a kill between "old -> .old" and "staging -> target" leaves

    def full_disk(staging: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(GenbaError) as err:
        replace_folder(target, full_disk)
    assert "disk is full" in err.value.en
    assert (target / "model.onnx").read_bytes() == b"old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_failed_write_keeps_the_previous_export_and_removes_its_staging(tmp_path):
    target = tmp_path / "model"
    replace_folder(target, writer({"model.onnx": b"old export"}))

    def half_then_full(staging: Path) -> None:
        (staging / "model.onnx").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(GenbaError):
        replace_folder(target, half_then_full)
    assert (target / "model.onnx").read_bytes() == b"old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


# --- the run folder ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def user_project(tiny_gguf, tmp_path_factory) -> Path:
    """PROJ/model/ holding an ONNX causal LM (a tuned export of the tiny model) and the user's NOTES.txt."""
    base = tmp_path_factory.mktemp("project")
    data = write_demo_csv(base / "orders.csv")
    tune(tiny_config(tiny_gguf, data, base / "first-run", steps=2))
    project = base / "PROJ"
    shutil.copytree(base / "first-run" / EXPORT_DIR, project / "model")
    (project / "model" / OWNER_MARKER).unlink()  # the user's own copy now, not one of our folders
    (project / "model" / "NOTES.txt").write_text("line 3 has the wrong torque", encoding="utf-8")
    return project


def cli_tune(model: Path, data: Path, out: Path, lang: str = "en") -> list[str]:
    return ["--lang", lang, *tune_args(model, data, out, "--steps", "2")]


@pytest.mark.parametrize("out", ["PROJ", "PROJ/model", "PROJ/model/run"])
def test_tune_out_at_inside_or_above_the_models_folder_keeps_the_users_files(
    user_project, tmp_path, capsys, out
):
    """The reported case: ``tune --model PROJ/model/model.onnx --out PROJ`` deleted PROJ/model with NOTES.txt."""
    data = write_demo_csv(tmp_path / "orders.csv")
    before = snapshot(user_project)
    out_dir = user_project.parent / out
    assert main(cli_tune(user_project / "model" / "model.onnx", data, out_dir)) == EXIT_USER_ERROR
    assert "error:" in capsys.readouterr().err
    assert snapshot(user_project) == before
    assert sorted(p.name for p in user_project.iterdir()) == ["model"]
    assert not (user_project / "model" / "run").exists()


def test_tune_out_onto_a_foreign_folder_is_refused_in_japanese_and_english(tiny_gguf, tmp_path, capsys):
    data = write_demo_csv(tmp_path / "orders.csv")
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "plan.xlsx").write_bytes(b"quarterly plan")
    assert main(cli_tune(tiny_gguf, data, folder, "ja")) == EXIT_USER_ERROR
    assert "Genba Tuner が書いたものではないファイルがあります" in capsys.readouterr().err
    assert main(cli_tune(tiny_gguf, data, folder, "en")) == EXIT_USER_ERROR
    assert "already holds files that Genba Tuner did not write" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["plan.xlsx"]


def test_tuning_an_export_into_its_own_run_folder_is_refused(tiny_gguf, tmp_path):
    """Our run folder is fine to reuse, but not when the model being tuned is its export."""
    data = write_demo_csv(tmp_path / "orders.csv")
    run = tmp_path / "run"
    tune(tiny_config(tiny_gguf, data, run, steps=2))
    before = snapshot(run / EXPORT_DIR)
    with pytest.raises(GenbaError) as err:
        tune(tiny_config(run / EXPORT_DIR / "model.onnx", data, run, steps=2))
    assert "outside the model's folder" in err.value.en and "モデルのフォルダー" in err.value.ja
    assert snapshot(run / EXPORT_DIR) == before


def test_an_empty_folder_and_our_own_run_folder_are_accepted_and_marked(tiny_gguf, tmp_path):
    data = write_demo_csv(tmp_path / "orders.csv")
    run = tmp_path / "empty"
    run.mkdir()
    tune(tiny_config(tiny_gguf, data, run, steps=2, export=False))
    assert owner_marker(run)["kind"] == "run"
    tune(tiny_config(tiny_gguf, data, run, steps=2))  # a second run into the same run folder
    assert owner_marker(run / EXPORT_DIR)["kind"] == "export"


def test_a_run_folder_from_before_the_marker_can_still_be_resumed(tiny_gguf, tmp_path):
    data = write_demo_csv(tmp_path / "orders.csv")
    run = tmp_path / "run"
    tune(tiny_config(tiny_gguf, data, run, steps=2, export=False))
    (run / OWNER_MARKER).unlink()
    with pytest.raises(GenbaError):  # a fresh run would overwrite it: not ours as far as we can tell
        tune(tiny_config(tiny_gguf, data, run, steps=4, export=False))
    result = tune(tiny_config(tiny_gguf, data, run, steps=4, export=False, resume=True))
    assert result.report["steps"] == 4
    assert owner_marker(run)["kind"] == "run"
