"""Emitting ONNX nodes with fresh names: the one node builder of both graph builders, and the adapter.

``llama_graph`` builds whole graphs from a converted model and ``onnx_surgery`` edits a user's graph; both
emit through ``NodeBuilder`` (one node or initializer per call, as ``onnx.helper``'s ``make_*`` functions)
and add an adapter with ``make_adapter``, so the LoRA-FA branch has one definition.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class NodeBuilder:
    """Nodes and initializers for one graph, in one opset, each named ``<prefix><stem>_<n>``.

    ``taken``: names the graph already uses (a user's graph being edited), never handed out again.
    ``name_nodes``: give every node a name too (editors and viewers of a user's graph expect one).
    """

    def __init__(
        self, opset: int, *, prefix: str = "", taken: set[str] | None = None, name_nodes: bool = False
    ) -> None:
        self.opset = opset
        self.prefix = prefix
        self.taken = taken if taken is not None else set()
        self.name_nodes = name_nodes
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[TensorProto] = []
        self._n = 0

    def fresh(self, stem: str) -> str:
        """A name no tensor or node of the graph has."""
        while True:
            self._n += 1
            name = f"{self.prefix}{stem}_{self._n}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs) -> str:
        """One node of ``op_type``; returns its (single) output."""
        out = out or self.fresh(op_type.lower())
        name = self.fresh(op_type) if self.name_nodes else None
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=name, **attrs))
        return out

    def const(self, value, dtype=np.int64) -> str:
        """An initializer holding ``value`` (int64 unless told)."""
        name = self.fresh("const")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def unsqueeze(self, x: str, axes: list[int]) -> str:
        if self.opset >= 13:
            return self.op("Unsqueeze", x, self.const(axes))
        return self.op("Unsqueeze", x, axes=axes)

    def squeeze(self, x: str, axes: list[int]) -> str:
        if self.opset >= 13:
            return self.op("Squeeze", x, self.const(axes))
        return self.op("Squeeze", x, axes=axes)

    def dims(self, x: str, start: int, end: int) -> str:
        """Shape(x)[start:end], int64 [end - start]."""
        if self.opset >= 15:
            return self.op("Shape", x, start=start, end=end)
        return self.op("Slice", self.op("Shape", x), self.const([start]), self.const([end]), self.const([0]))


def make_adapter(
    nb: NodeBuilder,
    x: str,
    y: str,
    a: str,
    b: str,
    copies: str,
    d_in: int,
    *,
    alpha: float = 1.0,
    out: str | None = None,
) -> str:
    """``y + alpha * (x @ A) @ B[copy]``: the LoRA-FA branch of one linear layer ``y = x W``.

    ``x``: [P*E, T, in] (or [P*E*T, in]) with the P perturbed copies outermost, so the reshape to
    [P, E*T, in] makes copy j meet ``B[j]`` ([P, r, out]); ``a``: the frozen [in, r] with alpha/r folded in;
    ``copies``: int64 [1] holding P; ``alpha``: a Gemm's own scale of ``x W``, applied to the branch too so
    that folding A @ B into W gives the same output.
    """
    if d_in <= 0:
        raise ValueError(f"expected a positive input width, got {d_in}")
    xr = nb.op("Reshape", x, nb.op("Concat", copies, nb.const([-1, d_in]), axis=0))
    delta = nb.op("MatMul", nb.op("MatMul", xr, a), b)  # [P, E*T, out]
    if alpha != 1.0:
        delta = nb.op("Mul", delta, nb.const(alpha, np.float32))
    return nb.op("Add", y, nb.op("Reshape", delta, nb.op("Shape", y)), out=out)
