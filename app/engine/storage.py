"""Files that survive power cuts and full disks: atomic writes, folders we own, the data folder.

Every write goes to a temporary file in the target's folder, is flushed and fsynced, and is then renamed
over the target with ``os.replace``; a crash or a full disk leaves either the old file or the new one,
never half of one. Failures become a ``GenbaError`` that says what happened and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from app.engine.errors import GenbaError

COPY_CHUNK = 1 << 20

_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}


def _format_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def storage_error(exc: OSError, path: str | os.PathLike[str]) -> GenbaError:
    """A user-facing error for a failed write to ``path``: what happened and what to do."""
    reason = exc.strerror or str(exc)
    if exc.errno in _DISK_FULL:
        en = f"The disk is full, so the file could not be written ({reason}). Free some disk space or choose another folder."
        ja = f"ディスクがいっぱいのため、ファイルを書き込めませんでした（{reason}）。ディスクの空きを作るか、別のフォルダーを選んでください。"
    elif exc.errno == errno.EFBIG:
        en = (
            f"The file is too large for this drive ({reason}); USB sticks formatted as FAT32 hold at most "
            "4 GB per file. Choose a folder on another drive, or reformat the stick as exFAT or NTFS."
        )
        ja = (
            f"ファイルがこのドライブには大きすぎます（{reason}）。FAT32 形式の USB メモリーは 1 ファイル 4 GB までです。"
            "別のドライブのフォルダーを選ぶか、USB メモリーを exFAT か NTFS で再フォーマットしてください。"
        )
    elif exc.errno in _NOT_ALLOWED:
        en = (
            f"Writing this file is not allowed ({reason}): the folder may be read-only, or another program "
            "may have the file open. Close that program or choose another folder."
        )
        ja = (
            f"このファイルへの書き込みが許可されていません（{reason}）。フォルダーが読み取り専用か、"
            "ほかのプログラムがファイルを開いている可能性があります。そのプログラムを閉じるか、別のフォルダーを選んでください。"
        )
    elif exc.errno == errno.ENOENT:
        en = f"The folder no longer exists ({reason}); was a USB stick removed? Choose another folder."
        ja = f"フォルダーが見つかりません（{reason}）。USB メモリーが抜かれていませんか。別のフォルダーを選んでください。"
    else:
        en = f"The file could not be written ({reason}). Check the drive or choose another folder."
        ja = f"ファイルを書き込めませんでした（{reason}）。ドライブを確認するか、別のフォルダーを選んでください。"
    return GenbaError(en, ja, path=path, detail=repr(exc))


def _read_error(exc: OSError, path: str | os.PathLike[str]) -> GenbaError:
    reason = exc.strerror or str(exc)
    return GenbaError(
        f"The file could not be read ({reason}). Check that it exists and that the drive is still connected.",
        f"ファイルを読み込めませんでした（{reason}）。ファイルがあるか、ドライブが接続されているか確認してください。",
        path=path,
        detail=repr(exc),
    )


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable on POSIX. Windows cannot open a folder this way, and some
    # filesystems (SMB, some FUSE) refuse it; the new file is already in place, so this is best effort.
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_quietly(path: str | os.PathLike[str]) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Call ``write`` on a temporary file beside ``path``, make it durable, then rename it over ``path``."""
    path = Path(path)
    folder = path.parent
    temp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        # os.open rather than mkstemp: mkstemp makes the file 0600, and the final file should get the
        # usual umask permissions like any other file the user saves.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise storage_error(exc, path) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        crash_point(f"write:{path.name}")
        os.replace(temp, path)
    except OSError as exc:
        remove_quietly(temp)
        raise storage_error(exc, path) from exc
    except BaseException:
        remove_quietly(temp)
        raise
    _fsync_folder(folder)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; on failure the previous file is left as it was."""
    _write_atomically(path, lambda fh: fh.write(data))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as UTF-8 JSON (indent 2, non-ASCII kept) atomically.

    NaN and infinity are not JSON; converting them (usually to None) is the caller's job, and a
    ``ValueError`` naming the file is raised before anything is written.
    """
    try:
        text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise ValueError(
            f"{os.fspath(path)}: cannot write NaN or infinity as JSON; convert them to None first ({exc})"
        ) from exc
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))


def atomic_save_npz(path: str | os.PathLike[str], **arrays: np.ndarray) -> None:
    """``numpy.savez`` to ``path`` atomically. Object arrays are refused: they would need pickle to load."""
    for name, value in arrays.items():
        if np.asarray(value).dtype.hasobject:
            raise ValueError(
                f"{os.fspath(path)}: array '{name}' has dtype object, which needs pickle to load"
            )
    _write_atomically(path, lambda fh: np.savez(fh, **arrays))


def atomic_copy(src: str | os.PathLike[str], dst: str | os.PathLike[str], chunk: int = COPY_CHUNK) -> None:
    """Copy ``src`` to ``dst`` in chunks, with the same guarantees as ``atomic_write_bytes``."""
    try:
        source = open(src, "rb")  # noqa: SIM115 - opened alone so a failure names the source, not the target
    except OSError as exc:
        raise _read_error(exc, src) from exc
    with source:
        # Fail before writing gigabytes, not after.
        check_free_space(Path(dst).parent, os.fstat(source.fileno()).st_size)

        def copy_chunks(out: BinaryIO) -> None:
            while True:
                try:
                    block = source.read(chunk)
                except OSError as exc:  # the source, not the target, failed (a USB stick pulled out)
                    raise _read_error(exc, src) from exc
                if not block:
                    return
                out.write(block)

        _write_atomically(dst, copy_chunks)


# --- folders we own --------------------------------------------------------------------------------------

# Every folder the program creates (run folders, exported model folders) carries this file; a folder without
# it is the user's and is never removed or replaced.
OWNER_MARKER = ".genba-tuner-folder.json"
_MARKER_APP = "genba-tuner"

# Test hook, honoured only under pytest (PYTEST_CURRENT_TEST set): GENBA_TUNER_TEST_CRASH_AT="POINT#N" makes
# this process SIGKILL itself the N-th time it passes POINT, so tests/test_kill_resume.py can cut a checkpoint
# or an export write at an exact place whatever the machine's speed.
_CRASH_ENV = "GENBA_TUNER_TEST_CRASH_AT"
_crash_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here if the test hook asks for it (see ``_CRASH_ENV``); does nothing otherwise."""
    wanted = os.environ.get(_CRASH_ENV)
    if not wanted or "PYTEST_CURRENT_TEST" not in os.environ:
        return
    point, _, nth = wanted.rpartition("#")
    if point != name:
        return
    _crash_passes[name] = _crash_passes.get(name, 0) + 1
    if str(_crash_passes[name]) == nth:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def write_owner_marker(folder: str | os.PathLike[str], kind: str, files: list[str] | None = None) -> None:
    """Mark ``folder`` as made by this program: ``kind`` is "run", "export" or "staging" (being written, all
    ours); ``files`` what we wrote in it."""
    marker: dict[str, Any] = {"app": _MARKER_APP, "kind": kind}
    if files is not None:
        marker["files"] = sorted(files)
    atomic_write_json(Path(folder) / OWNER_MARKER, marker)


def owner_marker(folder: str | os.PathLike[str]) -> dict | None:
    """The marker of a folder this program made, or None (no marker, unreadable, or not ours)."""
    try:
        marker = json.loads((Path(folder) / OWNER_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("app") == _MARKER_APP else None


def _not_ours_error(folder: Path, foreign: str | None = None) -> GenbaError:
    if foreign is None:
        return GenbaError(
            f"The folder '{folder.name}' was not made by Genba Tuner, so it is not replaced or deleted. "
            "Move or rename it, or choose another output folder.",
            f"フォルダー「{folder.name}」は Genba Tuner が作ったものではないため、置き換えも削除もしません。"
            "移動するか名前を変えるか、別の出力フォルダーを選んでください。",
            path=folder,
        )
    return GenbaError(
        f"The folder '{folder.name}' holds '{foreign}', which Genba Tuner did not write, so the folder is not "
        "replaced. Move that file out of the folder, or choose another output folder.",
        f"フォルダー「{folder.name}」には Genba Tuner が書いていない「{foreign}」があるため、フォルダーを置き換えません。"
        "そのファイルをフォルダーの外に移すか、別の出力フォルダーを選んでください。",
        path=folder,
    )


def check_replaceable(folder: str | os.PathLike[str]) -> None:
    """Raise ``GenbaError`` unless ``folder`` is absent, empty, or ours and holding only what we wrote."""
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise _not_ours_error(folder)
    entries = sorted(p.name for p in folder.iterdir())
    if not entries:
        return
    marker = owner_marker(folder)
    if marker is None:
        raise _not_ours_error(folder)
    if marker.get("kind") == "staging":  # a folder being written by replace_folder: all of it is ours
        return
    written = set(marker.get("files") or []) | {OWNER_MARKER}
    foreign = [name for name in entries if name not in written]
    if foreign:
        raise _not_ours_error(folder, foreign[0])


def _remove_our_folder(folder: Path) -> None:
    """Remove ``folder`` if ``check_replaceable`` allows it; raise ``GenbaError`` otherwise."""
    if not folder.exists():
        return
    check_replaceable(folder)
    shutil.rmtree(folder)


def replace_folder(target: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Build a folder with ``write(staging)`` in ``<target>.partial``, fsync its files, swap it in for target.

    The swap renames the old ``target`` to ``<target>.old``, the staging folder to ``target``, then removes
    ``.old``: a kill at any moment leaves the old or the new folder under one of those names (the next call
    puts a stranded ``.old`` back first). Only folders carrying our marker and holding only files we wrote
    are ever removed; anything else in the way is refused with a ``GenbaError``, as is an OSError.
    """
    target = Path(target)
    staging = target.with_name(target.name + ".partial")
    old = target.with_name(target.name + ".old")
    try:
        if not target.exists() and owner_marker(old) is not None:
            os.replace(old, target)  # a swap was cut between its two renames
        check_replaceable(target)
        _remove_our_folder(staging)
        _remove_our_folder(old)
        staging.mkdir(parents=True)
        write_owner_marker(staging, "staging")  # first, so a staging folder cut off mid-write is ours
        write(staging)
        crash_point(f"{target.name}:written")
        write_owner_marker(staging, "export", files=[p.name for p in staging.iterdir()])
        for f in staging.iterdir():  # durable before it becomes visible under its final name
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        crash_point(f"{target.name}:staged")
        if target.exists():
            os.replace(target, old)
        crash_point(f"{target.name}:swapping")
        os.replace(staging, target)
        _fsync_folder(target.parent)
    except OSError as exc:
        if owner_marker(staging) is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if not target.exists() and old.exists():
            with contextlib.suppress(OSError):
                os.replace(old, target)
        raise storage_error(exc, target) from exc
    with contextlib.suppress(OSError, GenbaError):  # the new folder is in place; a stale .old is harmless
        _remove_our_folder(old)
    return target


def sha256_file(path: str | os.PathLike[str], chunk: int = COPY_CHUNK) -> str:
    """Hex SHA-256 of a file, read in chunks so large models never sit in memory."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                digest.update(block)
    except OSError as exc:
        raise _read_error(exc, path) from exc
    return digest.hexdigest()


def user_data_dir() -> Path:
    """The folder for converted models and settings (not created here).

    ``GENBA_TUNER_HOME`` wins; otherwise the platform's per-user application data folder.
    """
    env = os.environ.get("GENBA_TUNER_HOME")
    if env:
        return Path(env)
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "GenbaTuner"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "GenbaTuner"
    xdg = os.environ.get("XDG_DATA_HOME")
    # The XDG spec says relative values are invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".local" / "share"
    return base / "genba-tuner"


def check_free_space(folder: str | os.PathLike[str], needed_bytes: int) -> int:
    """Raise ``GenbaError`` unless ``folder``'s drive has ``needed_bytes`` free; returns the free bytes.

    The folder need not exist yet: its nearest existing parent is measured.
    """
    probe = Path(folder).absolute()
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError as exc:
        raise storage_error(exc, folder) from exc
    if free < needed_bytes:
        need, have = _format_bytes(needed_bytes), _format_bytes(free)
        raise GenbaError(
            f"Not enough free disk space: {need} needed, {have} free. Free some disk space or choose another folder.",
            f"ディスクの空きが足りません（必要 {need}、空き {have}）。ディスクの空きを作るか、別のフォルダーを選んでください。",
            path=folder,
        )
    return free
