"""onnxruntime session settings measured to matter on small CPUs (../shared/ZO-NOTES.md §4)."""

from __future__ import annotations

import os
from pathlib import Path

import onnxruntime as ort
import psutil


def physical_cores() -> int:
    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def session_options(*, threads: int | None = None, share_cores: bool = False) -> ort.SessionOptions:
    """Threads = physical cores, sequential execution, all graph optimisations.

    ``share_cores``: spinning threads steal the GUI thread's core between ops, so the GUI asks for none.
    """
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or physical_cores()
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    if share_cores:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


def create_session(path: str | os.PathLike[str], *, threads: int | None = None, share_cores: bool = False):
    """One InferenceSession; callers keep it for the whole run (re-creating one costs more than a forward)."""
    return ort.InferenceSession(
        str(Path(path)),
        session_options(threads=threads, share_cores=share_cores),
        providers=["CPUExecutionProvider"],
    )
