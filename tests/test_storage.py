import errno
import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.engine import run_lock
from app.engine.errors import GenbaError
from app.engine.run_files import LOCK_FILE
from app.engine.run_lock import RunLock
from app.engine.storage import (
    atomic_copy,
    atomic_save_npz,
    atomic_write_bytes,
    atomic_write_json,
    check_free_space,
    sha256_file,
    user_data_dir,
)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_bytes_replaces_the_previous_file(tmp_path):
    target = tmp_path / "steps.jsonl"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert leftovers(tmp_path) == []


def test_atomic_write_json_keeps_japanese_text_and_indents(tmp_path):
    target = tmp_path / "report.json"
    atomic_write_json(target, {"label": "油漏れ", "accuracy": 0.5})
    text = target.read_text(encoding="utf-8")
    assert "油漏れ" in text and '\n  "accuracy"' in text
    assert json.loads(text) == {"label": "油漏れ", "accuracy": 0.5}


def test_atomic_write_json_refuses_nan_before_touching_the_old_file(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="NaN"):
        atomic_write_json(target, {"loss": float("nan")})
    assert target.read_text(encoding="utf-8") == "{}"
    assert leftovers(tmp_path) == []


def test_atomic_save_npz_round_trips_and_refuses_object_arrays(tmp_path):
    target = tmp_path / "adapters.npz"
    atomic_save_npz(target, b=np.arange(6, dtype=np.float32).reshape(2, 3))
    with np.load(target, allow_pickle=False) as z:
        np.testing.assert_array_equal(z["b"], np.arange(6, dtype=np.float32).reshape(2, 3))
    with pytest.raises(ValueError, match="pickle"):
        atomic_save_npz(target, bad=np.array([{"a": 1}], dtype=object))


@pytest.mark.parametrize("fail_in", ["fsync", "replace"])
def test_disk_full_mid_write_keeps_old_file_and_removes_temp(tmp_path, monkeypatch, fail_in):
    target = tmp_path / "checkpoint.npz"
    target.write_bytes(b"previous checkpoint")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, fail_in, disk_full)
    with pytest.raises(GenbaError) as info:
        atomic_write_bytes(target, b"x" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"previous checkpoint"
    assert leftovers(tmp_path) == []
    assert "disk is full" in info.value.en and "Free some disk space" in info.value.en
    assert "ディスク" in info.value.ja
    assert info.value.path == str(target)


def test_read_only_folder_gives_a_choose_another_folder_error(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    target.write_text("{}", encoding="utf-8")
    real_open = os.open

    def read_only(path, flags, *args, **kwargs):
        if str(path).endswith(".tmp"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(GenbaError) as info:
        atomic_write_json(target, {"a": 1})
    monkeypatch.undo()
    assert "choose another folder" in info.value.en
    assert target.read_text(encoding="utf-8") == "{}"
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_really_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(GenbaError, match="not allowed"):
            atomic_write_bytes(folder / "a.bin", b"data")
    finally:
        folder.chmod(0o700)


def test_file_too_large_for_fat32_says_so(tmp_path, monkeypatch):
    def too_big(*args, **kwargs):
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))

    monkeypatch.setattr(os, "fsync", too_big)
    with pytest.raises(GenbaError, match="FAT32"):
        atomic_write_bytes(tmp_path / "weights.bin", b"x")


def test_atomic_copy_streams_in_chunks_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    src = tmp_path / "weights.bin"
    payload = os.urandom(10_000)
    src.write_bytes(payload)
    dst = tmp_path / "out" / "weights.bin"
    dst.parent.mkdir()
    atomic_copy(src, dst, chunk=1024)
    assert dst.read_bytes() == payload

    src.write_bytes(b"new version")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(GenbaError, match="disk is full"):
        atomic_copy(src, dst)
    monkeypatch.undo()
    assert dst.read_bytes() == payload
    assert leftovers(dst.parent) == []


def test_atomic_copy_of_missing_source_names_the_source(tmp_path):
    with pytest.raises(GenbaError) as info:
        atomic_copy(tmp_path / "missing.bin", tmp_path / "copy.bin")
    assert info.value.path == str(tmp_path / "missing.bin")


def test_sha256_of_known_bytes(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    big = tmp_path / "big.bin"
    data = os.urandom(3 * 1024 + 5)
    big.write_bytes(data)
    assert sha256_file(big, chunk=1024) == hashlib.sha256(data).hexdigest()


def test_check_free_space_refuses_when_short_and_measures_missing_folders(tmp_path):
    free = check_free_space(tmp_path / "not" / "yet" / "made", 1)
    assert free > 0
    with pytest.raises(GenbaError, match="Not enough free disk space"):
        check_free_space(tmp_path, free * 1000 + (1 << 60))


def test_user_data_dir_prefers_env_then_platform_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("GENBA_TUNER_HOME", str(tmp_path / "home"))
    assert user_data_dir() == tmp_path / "home"
    monkeypatch.delenv("GENBA_TUNER_HOME")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert user_data_dir() == tmp_path / "xdg" / "genba-tuner"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert user_data_dir() == Path.home() / ".local" / "share" / "genba-tuner"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert user_data_dir() == Path.home() / "Library" / "Application Support" / "GenbaTuner"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert user_data_dir() == tmp_path / "local" / "GenbaTuner"


def test_run_lock_refuses_a_second_holder_naming_the_pid(tmp_path):
    with RunLock(tmp_path) as lock:
        owner = json.loads(lock.path.read_text(encoding="utf-8"))
        assert owner["pid"] == os.getpid()
        with pytest.raises(GenbaError) as info, RunLock(tmp_path):
            pass
        assert f"pid {os.getpid()}" in info.value.en
        assert "別の Genba Tuner" in info.value.ja
    assert not (tmp_path / LOCK_FILE).exists()
    with RunLock(tmp_path):  # released: can be taken again
        pass


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    stale = {"pid": dead_pid(), "host": socket.gethostname(), "started": "2024-01-01 00:00:00"}
    (tmp_path / LOCK_FILE).write_text(json.dumps(stale), encoding="utf-8")
    with RunLock(tmp_path) as lock:
        assert json.loads(lock.path.read_text(encoding="utf-8"))["pid"] == os.getpid()
    assert not (tmp_path / LOCK_FILE).exists()


@pytest.mark.skipif(sys.platform == "win32", reason="flock semantics")
def test_reused_pid_cannot_fake_a_live_lock(tmp_path):
    # The pid is alive (it is ours) but nobody holds the OS lock: a crashed run whose pid was reused.
    stale = {"pid": os.getpid(), "host": socket.gethostname(), "started": "2024-01-01 00:00:00"}
    (tmp_path / LOCK_FILE).write_text(json.dumps(stale), encoding="utf-8")
    with RunLock(tmp_path):
        pass


def test_lock_without_os_locks_falls_back_to_pid_liveness(tmp_path, monkeypatch):
    monkeypatch.setattr(run_lock, "_try_lock", lambda fd: None)  # e.g. a network drive without locking
    alive = {"pid": os.getpid(), "host": socket.gethostname(), "started": "2024-01-01 00:00:00"}
    (tmp_path / LOCK_FILE).write_text(json.dumps(alive), encoding="utf-8")
    with pytest.raises(GenbaError, match=f"pid {os.getpid()}"), RunLock(tmp_path):
        pass
    dead = dict(alive, pid=dead_pid())
    (tmp_path / LOCK_FILE).write_text(json.dumps(dead), encoding="utf-8")
    with RunLock(tmp_path):
        pass


def test_lock_from_another_pc_is_not_taken_over(tmp_path):
    other = {"pid": 1234, "host": "other-pc-" + socket.gethostname(), "started": "2024-01-01 00:00:00"}
    (tmp_path / LOCK_FILE).write_text(json.dumps(other), encoding="utf-8")
    with pytest.raises(GenbaError, match="other-pc-") as info, RunLock(tmp_path):
        pass
    assert LOCK_FILE in info.value.en


def test_old_unreadable_lock_file_is_taken_over(tmp_path):
    lock = tmp_path / LOCK_FILE
    lock.write_bytes(b"\x00garbage")
    os.utime(lock, (1_000_000_000, 1_000_000_000))
    with RunLock(tmp_path):
        pass
