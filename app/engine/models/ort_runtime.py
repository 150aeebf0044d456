"""onnxruntime session settings measured to matter on small CPUs (../shared/ZO-NOTES.md §4)."""

from __future__ import annotations

import os
from pathlib import Path

import onnxruntime as ort
import psutil

# Names onnxruntime's optimisers to skip. Constant folding runs every node whose inputs are constants while
# the session is created: a 185-byte graph with ConstantOfShape([2**28]) took the process from 85 MB to
# 2.1 GB before any run (docs/RELIABILITY.md). Users' graphs are checked by model_safety first; this is the
# second wall, and their exporters already folded what matters.
_DISABLED_OPTIMIZERS_KEY = "optimization.disable_specified_optimizers"


def physical_cores() -> int:
    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def session_options(
    *, threads: int | None = None, share_cores: bool = False, own_graph: bool = False
) -> ort.SessionOptions:
    """Threads = physical cores, sequential execution, all graph optimisations.

    ``share_cores``: spinning threads steal the GUI thread's core between ops, so the GUI asks for none.
    ``own_graph``: the graph was built by us (llama_graph.py), so constant folding stays on; a user's
    graph gets every optimisation but constant folding.
    """
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or physical_cores()
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    if not own_graph:
        so.add_session_config_entry(_DISABLED_OPTIMIZERS_KEY, "ConstantFolding")
    if share_cores:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


def create_session(
    path: str | os.PathLike[str],
    *,
    threads: int | None = None,
    share_cores: bool = False,
    own_graph: bool = False,
):
    """One InferenceSession; callers keep it for the whole run (re-creating one costs more than a forward).

    Pass ``own_graph=True`` only for graphs we built; see ``session_options``.
    """
    return ort.InferenceSession(
        str(Path(path)),
        session_options(threads=threads, share_cores=share_cores, own_graph=own_graph),
        providers=["CPUExecutionProvider"],
    )
