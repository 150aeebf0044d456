"""One hash of a run's example files, so a resumed run or a later comparison knows they did not change."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from app.engine.storage import sha256_file


def data_fingerprint(sources) -> str:
    """SHA-256 over each example file's contents and its path within the data folder.

    The path is taken below the files' common folder, so a file moved to another label folder (another
    label) changes the fingerprint, while the data folder itself may move.
    """
    paths = [Path(s) for s in sources]
    root = Path(os.path.commonpath([p.parent for p in paths])) if paths else Path()
    h = hashlib.sha256()
    for relative, path in sorted((p.relative_to(root).as_posix(), p) for p in paths):
        h.update(relative.encode())
        h.update(sha256_file(path).encode())
    return h.hexdigest()
