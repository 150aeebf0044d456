"""The run lock: keeps two Genba Tuners (or two runs) out of the same output folder.

``<run>/.genba.lock`` holds its owner's pid, host and start time, and the open file carries an OS lock
(flock, or a Windows byte-range lock) that vanishes when the owner dies.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
import time
from pathlib import Path

import psutil

from app.engine.errors import GenbaError
from app.engine.run_files import LOCK_FILE
from app.engine.storage import remove_quietly, storage_error

# A lock file this young with no readable owner is a Genba Tuner between creating and filling it.
_LOCK_FILL_GRACE_S = 10.0

if sys.platform == "win32":
    import msvcrt

    # Windows byte-range locks are mandatory: lock a byte far past the owner text so other processes
    # can still read who holds the lock.
    _LOCK_BYTE = 1 << 30

    def _try_lock(fd: int) -> bool | None:
        """True if locked, False if another handle holds it, None if the filesystem has no locks."""
        os.lseek(fd, _LOCK_BYTE, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            return False if exc.errno in (errno.EACCES, errno.EDEADLK) else None
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, _LOCK_BYTE, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool | None:
        """True if locked, False if another open file holds it, None if the filesystem has no locks."""
        # flock, not fcntl/lockf: flock locks belong to the open file, so a second RunLock in the same
        # process conflicts too, and the lock vanishes when its holder dies (pid reuse cannot fake it).
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            return False if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES) else None
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)


def _is_current(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (a takeover may have replaced it)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


def _read_owner(fd: int) -> dict | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        owner = json.loads(os.read(fd, 4096).decode("utf-8"))
        return owner if isinstance(owner, dict) and isinstance(owner.get("pid"), int) else None
    except (OSError, ValueError):
        return None


class RunLock:
    """Keeps two Genba Tuners (or two runs) out of the same output folder.

    ``folder/.genba.lock`` is created with O_EXCL and holds the owner's pid, host and start time; while
    held, the open file also carries an OS lock. A lock left by a crashed run on this PC is taken over.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise ``GenbaError`` naming who holds it."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        for _ in range(5):  # a few rounds in case another process takes over a stale lock at the same time
            try:
                fd = os.open(
                    self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644
                )
            except FileExistsError:
                self._take_over_if_stale()
                continue
            except OSError as exc:
                raise storage_error(exc, self.path) from exc
            if _try_lock(fd) is False or not _is_current(fd, self.path):
                os.close(fd)  # another process took over our brand-new file between open and lock
                continue
            owner = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
            try:
                os.write(fd, json.dumps(owner).encode("utf-8"))
                os.fsync(fd)
            except OSError as exc:
                os.close(fd)
                remove_quietly(self.path)
                raise storage_error(exc, self.path) from exc
            self._fd = fd
            return
        raise self._held_error(None)

    def release(self) -> None:
        """Remove the lock file; safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if sys.platform == "win32":  # Windows cannot delete a file that is still open
            _unlock(fd)
            os.close(fd)
            remove_quietly(self.path)
            return
        # Delete while still locked, and only if the name still points at our file.
        if _is_current(fd, self.path):
            remove_quietly(self.path)
        _unlock(fd)
        os.close(fd)

    def _take_over_if_stale(self) -> None:
        """Remove an existing lock file if its owner is gone; raise ``GenbaError`` if it is alive."""
        try:
            fd = os.open(self.path, os.O_RDWR | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return  # released meanwhile; try creating again
        except OSError as exc:
            raise storage_error(exc, self.path) from exc
        try:
            locked = _try_lock(fd)
            owner = _read_owner(fd)
            if locked is False:
                raise self._held_error(owner)
            if owner is None:
                if time.time() - os.fstat(fd).st_mtime < _LOCK_FILL_GRACE_S:
                    raise self._held_error(None)  # an owner that has not written its pid yet
            elif owner.get("host") != socket.gethostname():
                # Locks may not cross the network, and we cannot see another PC's processes.
                raise self._held_error(owner)
            elif locked is None and psutil.pid_exists(owner["pid"]):
                raise self._held_error(owner)
            # Stale: the owner died (our OS lock succeeded, or its pid is gone).
            if sys.platform == "win32":
                _unlock(fd)
                os.close(fd)
                fd = -1
            remove_quietly(self.path)
        finally:
            if fd >= 0:
                _unlock(fd)
                os.close(fd)

    def _held_error(self, owner: dict | None) -> GenbaError:
        if owner is None:
            return GenbaError(
                "Another Genba Tuner is using this folder. Wait for it to finish or choose another folder.",
                "別の Genba Tuner がこのフォルダーを使用中です。終わるまで待つか、別のフォルダーを選んでください。",
                path=self.folder,
            )
        pid, host, started = owner.get("pid"), owner.get("host", "?"), owner.get("started", "?")
        return GenbaError(
            f"Another Genba Tuner is using this folder (pid {pid} on {host} since {started}). Wait for it to "
            f"finish or choose another folder. If no Genba Tuner runs on {host}, delete {LOCK_FILE} in this folder.",
            f"別の Genba Tuner がこのフォルダーを使用中です（{host} の pid {pid}、{started} から）。終わるまで"
            f"待つか、別のフォルダーを選んでください。{host} で Genba Tuner が動いていなければ、このフォルダーの "
            f"{LOCK_FILE} を削除してください。",
            path=self.folder,
        )
