"""The command line as a user types it: tune, eval, predict, and clear errors."""

import json

import pytest

from app.cli import main
from tests.support import tune_args, write_demo_csv


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_tune_json_streams_events_and_a_summary_then_eval_reproduces_it(tiny_gguf, tmp_path, capsys):
    data = write_demo_csv(tmp_path / "orders.csv")
    out = tmp_path / "run"
    code = main(
        [
            "tune",
            "--model",
            str(tiny_gguf),
            "--data",
            str(data),
            "--out",
            str(out),
            "--steps",
            "6",
            "--eval-every",
            "3",
            "--max-layers",
            "1",
            "--q",
            "1",
            "--json",
        ]
    )
    assert code == 0
    events = json_lines(capsys.readouterr().out)
    kinds = [e["event"] for e in events]
    assert kinds.count("step") == 6 and kinds[-2] == "finished" and kinds[-1] == "summary"
    summary = events[-1]
    assert summary["steps"] == 6 and summary["exported_model"]

    assert (
        main(["eval", "--model", summary["exported_model"], "--data", str(data), "--split", "val", "--json"])
        == 0
    )
    result = json_lines(capsys.readouterr().out)[-1]
    assert result["accuracy"] == summary["val_accuracy_after"]
    assert result["examples"] == summary["examples_val"]


def test_predict_with_an_exported_model_needs_no_labels(tiny_gguf, tmp_path, capsys):
    data = write_demo_csv(tmp_path / "orders.csv")
    out = tmp_path / "run"
    assert (
        main(tune_args(tiny_gguf, data, out, "--steps", "2", "--max-layers", "1", "--q", "1", "--json")) == 0
    )
    capsys.readouterr()
    assert (
        main(
            ["predict", "--model", str(out / "model" / "model.onnx"), "--json", "bucket tooth", "engine oil"]
        )
        == 0
    )
    rows = json_lines(capsys.readouterr().out)
    assert [r["text"] for r in rows] == ["bucket tooth", "engine oil"]
    for r in rows:
        assert r["label"] in ("bucket", "engine", "hydraulic")
        assert abs(sum(r["probabilities"].values()) - 1.0) < 1e-5


def test_missing_data_file_is_a_clear_error_in_both_languages(tiny_gguf, tmp_path, capsys):
    args = [
        "tune",
        "--model",
        str(tiny_gguf),
        "--data",
        str(tmp_path / "nope.csv"),
        "--out",
        str(tmp_path / "r"),
        "--steps",
        "1",
    ]
    assert main(["--lang", "en", *args]) == 2
    assert "nope.csv" in capsys.readouterr().err
    assert main(["--lang", "ja", *args]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "エラー" in err


def test_pickle_model_is_refused_before_loading(tmp_path, capsys):
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"\x80\x04\x95" + b"\0" * 64)
    data = write_demo_csv(tmp_path / "orders.csv")
    assert main(["--lang", "en", "eval", "--model", str(bad), "--data", str(data)]) == 2
    assert "model.pt" in capsys.readouterr().err


def test_version_prints_the_package_version(capsys):
    from app import __version__

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"genba-tuner {__version__}"


@pytest.mark.parametrize(
    ("flag", "expected"), [([], 10.0), (["--patience", "3"], 3.0), (["--patience", "0"], None)]
)
def test_tune_stops_early_by_default_and_patience_0_turns_it_off(tiny_gguf, tmp_path, flag, expected):
    from app.engine.tuning.checkpoint import load_checkpoint

    data = write_demo_csv(tmp_path / "orders.csv")
    out = tmp_path / "run"
    args = ["tune", "--model", str(tiny_gguf), "--data", str(data), "--out", str(out), "--steps", "2"]
    assert main([*args, "--max-layers", "1", "--no-export", "--json", *flag]) == 0
    _, _, state = load_checkpoint(out)
    assert state.info["config"]["budget"]["patience_minutes"] == expected
