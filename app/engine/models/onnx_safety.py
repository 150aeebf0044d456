"""An ONNX file's graph, checked without its weights: external data confined to the model's folder, no
unknown operator domains, and no value computed from constants alone larger than the model could need.

onnxruntime itself still follows hard links (CVE-2024-27318 / CVE-2024-5187), so external-data files must be
regular, singly-linked files inside the model's folder.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path, PureWindowsPath

import onnx
import onnx.inliner
from onnx import (
    AttributeProto,
    FunctionProto,
    GraphProto,
    ModelProto,
    TensorProto,
    TypeProto,
    shape_inference,
)

from app.engine.errors import GenbaError
from app.engine.models.safety_errors import damaged, format_bytes, too_big_for_memory

STANDARD_ONNX_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "com.microsoft"})
PROTOBUF_LIMIT = 2**31  # protobuf cannot parse a message of 2 GiB or more
# A value an ONNX graph computes from its constants alone (a mask, a position table) is never legitimately
# larger than all its weights plus this margin (a float32 causal mask of 16k positions is 1 GiB); a 1 KB
# crafted file can otherwise ask ConstantOfShape for terabytes.
ONNX_CONSTANT_VALUE_MARGIN = 1 << 30
# Operators whose output can be far larger than their inputs: with constant inputs but a size shape
# inference cannot tell, they are refused rather than run to find out.
ONNX_EXPANDING_OPS = frozenset(
    {"ConstantOfShape", "Expand", "Tile", "Range", "Resize", "Upsample", "Pad", "OneHot", "EyeLike"}
)
# Shape inference needs the values of small integer tensors (shapes, repeats) but not the weights.
_INFERENCE_KEEPS_DATA_UP_TO = 1 << 16


_BITS = {
    getattr(TensorProto, name): bits
    for name, bits in (
        ("FLOAT", 32), ("UINT8", 8), ("INT8", 8), ("UINT16", 16), ("INT16", 16), ("INT32", 32),
        ("INT64", 64), ("BOOL", 8), ("FLOAT16", 16), ("DOUBLE", 64), ("UINT32", 32), ("UINT64", 64),
        ("COMPLEX64", 64), ("COMPLEX128", 128), ("BFLOAT16", 16), ("FLOAT8E4M3FN", 8),
        ("FLOAT8E4M3FNUZ", 8), ("FLOAT8E5M2", 8), ("FLOAT8E5M2FNUZ", 8), ("UINT4", 4), ("INT4", 4),
        ("FLOAT4E2M1", 4), ("FLOAT8E8M0", 8), ("UINT2", 2), ("INT2", 2),
    )
    if hasattr(TensorProto, name)
}  # fmt: skip


def _graphs_in(graph: GraphProto) -> Iterator[GraphProto]:
    """``graph`` and every subgraph below it (If/Loop/Scan bodies)."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            yield from _subgraphs(attr)


def _subgraphs(attr: AttributeProto) -> Iterator[GraphProto]:
    if attr.HasField("g"):
        yield from _graphs_in(attr.g)
    for g in attr.graphs:
        yield from _graphs_in(g)


def _node_holders(model: ModelProto) -> Iterator[GraphProto | FunctionProto]:
    """The main graph, model-local functions, and every subgraph of either."""
    yield from _graphs_in(model.graph)
    for function in model.functions:
        yield function
        for node in function.node:
            for attr in node.attribute:
                yield from _subgraphs(attr)


def _model_tensors(model: ModelProto) -> Iterator[tuple[TensorProto, Sequence[int]]]:
    """Every tensor that may carry data, with the shape onnxruntime will allocate for it."""
    for holder in _node_holders(model):
        if isinstance(holder, GraphProto):
            yield from ((t, t.dims) for t in holder.initializer)
            # onnxruntime densifies sparse initializers at load, so the dense shape is what costs memory.
            for sparse in holder.sparse_initializer:
                yield sparse.values, sparse.dims
                yield sparse.indices, sparse.indices.dims
        for node in holder.node:
            for attr in node.attribute:
                tensors = ([attr.t] if attr.HasField("t") else []) + list(attr.tensors)
                yield from ((t, t.dims) for t in tensors)
                sparses = ([attr.sparse_tensor] if attr.HasField("sparse_tensor") else []) + list(
                    attr.sparse_tensors
                )
                for sparse in sparses:
                    yield sparse.values, sparse.dims
                    yield sparse.indices, sparse.indices.dims


def _tensor_bytes(tensor: TensorProto, dims: Sequence[int]) -> int:
    """Bytes of ``dims`` elements of the tensor's type; -1 if the type or a dimension is invalid."""
    bits = _BITS.get(tensor.data_type)
    if any(d < 0 for d in dims):
        return -1
    if bits is None:  # strings have no fixed size; count what is stored
        return sum(len(s) for s in tensor.string_data) if tensor.data_type == TensorProto.STRING else -1
    return -(-math.prod(dims) * bits // 8)


def _is_absolute(location: str) -> bool:
    # Checked for both platforms: a model made on Windows may be opened on Linux and the other way round.
    windows = PureWindowsPath(location)
    return os.path.isabs(location) or location.startswith(("/", "\\")) or bool(windows.drive or windows.root)


def _is_inside(real: str, folder: str) -> bool:
    try:
        return os.path.commonpath([os.path.normcase(real), os.path.normcase(folder)]) == os.path.normcase(
            folder
        )
    except ValueError:  # different drives on Windows
        return False


def _check_external(path: Path, folder: str, tensor: TensorProto, stored: int) -> str:
    """Confine one external-data reference to a plain file in the model's folder; return its location."""
    entries = {e.key: e.value for e in tensor.external_data}
    location = entries.get("location", "")
    name = tensor.name or "(unnamed)"

    def refuse(en: str, ja: str) -> GenbaError:
        return GenbaError(
            f"Tensor '{name}' refers to external data '{location}', which {en}. For safety, external data "
            "must be a plain file inside the model's folder.",
            f"テンソル「{name}」の外部データ「{location}」は{ja}。安全のため、外部データはモデルと同じフォルダー"
            "内の通常のファイルでなければなりません。",
            path=path,
            field=name,
        )

    if not location or "\x00" in location:
        raise damaged(path, f"tensor '{name}' has external data without a valid location", field=name)
    if _is_absolute(location):
        raise refuse("is an absolute path", "絶対パスです")
    if ".." in re.split(r"[\\/]", location):
        raise refuse(
            "points outside the model's folder ('..')", "モデルのフォルダーの外を指しています（「..」）"
        )
    candidate = os.path.normpath(os.path.join(folder, location))
    real = os.path.realpath(candidate)
    if not _is_inside(real, folder):
        raise refuse(
            "leads outside the model's folder through a link",
            "リンクを通じてモデルのフォルダーの外を指しています",
        )
    if os.path.normcase(real) != os.path.normcase(candidate):
        raise refuse("is a symbolic link", "シンボリックリンクです")
    try:
        st = os.lstat(candidate)
    except OSError as exc:
        raise GenbaError(
            f"Tensor '{name}' needs the external data file '{location}', which could not be opened "
            f"({exc.strerror}). Copy it into the model's folder.",
            f"テンソル「{name}」に必要な外部データファイル「{location}」を開けませんでした（{exc.strerror}）。"
            "モデルと同じフォルダーにコピーしてください。",
            path=path,
            field=name,
            detail=repr(exc),
        ) from exc
    if not stat.S_ISREG(st.st_mode):
        raise refuse("is not a regular file", "通常のファイルではありません")
    if st.st_nlink != 1:
        raise refuse(
            f"is a hard link ({st.st_nlink} names for one file)",
            f"ハードリンクです（1 つのファイルに {st.st_nlink} 個の名前）",
        )
    try:
        offset = int(entries.get("offset", "0"))
        length = int(entries["length"]) if "length" in entries else st.st_size - offset
    except ValueError:
        raise damaged(
            path, f"tensor '{name}' has a non-numeric external data offset or length", field=name
        ) from None
    if offset < 0 or length < 0 or offset + length > st.st_size:
        raise damaged(
            path,
            f"tensor '{name}' reads bytes {offset}..{offset + length} of '{location}', which has {st.st_size}",
            field=name,
        )
    if stored < 0 or tensor.data_type == TensorProto.STRING:
        raise damaged(path, f"tensor '{name}' has external data of an invalid type or shape", field=name)
    if ("length" in entries and length != stored) or stored > length:
        raise damaged(
            path, f"tensor '{name}' declares {stored} bytes but its external data has {length}", field=name
        )
    return location


def check_onnx(path: Path, size: int, available: int) -> tuple[str, ...]:
    if size >= PROTOBUF_LIMIT:
        raise GenbaError(
            f"This ONNX file is {format_bytes(size)}, over the 2 GB limit of the ONNX format for a single file. "
            "Models this large must keep their weights in separate external-data files; export it again that way.",
            f"この ONNX ファイルは {format_bytes(size)} で、1 ファイルの上限 2 GB を超えています。大きなモデルは"
            "重みを外部データファイルに分けて保存する必要があります。そのように書き出し直してください。",
            path=path,
        )
    if size > available:  # parsing holds the whole file in memory
        raise too_big_for_memory(path, size, available)
    try:
        model = onnx.load(str(path), format="protobuf", load_external_data=False)
    except Exception as exc:  # DecodeError, or anything else hostile bytes can trip in the parser
        raise damaged(path, "it is not a readable ONNX protobuf", detail=repr(exc)) from exc
    if model.ir_version < 1 or not model.graph.node or not model.graph.output:
        raise damaged(path, "no ONNX graph was found in it")

    local_functions = {(f.domain, f.name) for f in model.functions}
    for holder in _node_holders(model):
        for node in holder.node:
            if node.domain in STANDARD_ONNX_DOMAINS or (node.domain, node.op_type) in local_functions:
                continue
            expected = ", ".join(repr(d) for d in sorted(STANDARD_ONNX_DOMAINS))
            raise GenbaError(
                f"The model uses the operator '{node.op_type}' from the custom domain '{node.domain}', which "
                f"needs a custom operator library, which we never load. Expected only standard operators ({expected}).",
                f"このモデルは独自ドメイン「{node.domain}」の演算子「{node.op_type}」を使っています。これには独自の"
                f"演算子ライブラリが必要ですが、Genba Tuner は読み込みません。標準の演算子（{expected}）のみ使えます。",
                path=path,
                field=node.name or node.op_type,
            )

    folder = os.path.realpath(path.parent)
    locations: set[str] = set()
    total = 0
    for tensor, memory_dims in _model_tensors(model):
        name = tensor.name or "(unnamed)"
        stored = _tensor_bytes(tensor, tensor.dims)  # what the file must hold for this tensor
        if tensor.data_location == TensorProto.EXTERNAL:
            locations.add(_check_external(path, folder, tensor, stored))
        elif stored < 0:
            raise damaged(path, f"tensor '{name}' has an invalid type or shape", field=name)
        elif tensor.raw_data and len(tensor.raw_data) != stored:
            raise damaged(
                path, f"tensor '{name}' declares {stored} bytes but holds {len(tensor.raw_data)}", field=name
            )
        total += max(_tensor_bytes(tensor, memory_dims), 0)
    if total > available:
        raise too_big_for_memory(path, total, available)
    _check_value_sizes(path, model, min(available, total + ONNX_CONSTANT_VALUE_MARGIN), available)
    return tuple(sorted(locations))


# --- ONNX: the size of what the graph computes --------------------------------------------------------------


def _value_bytes(value_type: TypeProto) -> int | None:
    """Bytes of a tensor whose type and every dimension shape inference knows; None otherwise."""
    if not value_type.HasField("tensor_type") or not value_type.tensor_type.HasField("shape"):
        return None
    bits = _BITS.get(value_type.tensor_type.elem_type)
    dims = value_type.tensor_type.shape.dim
    if bits is None or not all(d.HasField("dim_value") and d.dim_value >= 0 for d in dims):
        return None
    return -(-math.prod(d.dim_value for d in dims) * bits // 8)


def _strip_weights(model: ModelProto) -> None:
    """Drop the data of large tensors in place: shape inference then copies kilobytes, not gigabytes."""
    for tensor, _ in _model_tensors(model):
        if _tensor_bytes(tensor, tensor.dims) > _INFERENCE_KEEPS_DATA_UP_TO:
            for data_field in (
                "raw_data",
                "float_data",
                "int32_data",
                "int64_data",
                "double_data",
                "uint64_data",
            ):
                tensor.ClearField(data_field)


def _bomb(path: Path, node: onnx.NodeProto, value: str, size: int | None, limit: int) -> GenbaError:
    where = node.name or node.op_type
    if size is None:
        return GenbaError(
            f"The node '{where}' ({node.op_type}) builds the tensor '{value}' from the model's constants, but its "
            "size cannot be known before running it. Files built this way can exhaust the memory of the PC, so "
            "this one is not opened.",
            f"ノード「{where}」（{node.op_type}）はモデルの定数からテンソル「{value}」を作りますが、その大きさを実行前に"
            "知ることができません。このように作られたファイルは PC のメモリーを使い果たすことがあるため、開きません。",
            path=path,
            field=where,
        )
    return GenbaError(
        f"The node '{where}' ({node.op_type}) would create the tensor '{value}' of {format_bytes(size)}, more "
        f"than the {format_bytes(limit)} this model may use. Files built this way exhaust the memory of the PC, "
        "so this one is not opened.",
        f"ノード「{where}」（{node.op_type}）は {format_bytes(size)} のテンソル「{value}」を作ろうとしています。"
        f"このモデルに使える {format_bytes(limit)} を超えます。このように作られたファイルは PC のメモリーを使い果たす"
        "ため、開きません。",
        path=path,
        field=where,
    )


def _check_value_sizes(path: Path, model: ModelProto, constant_limit: int, available: int) -> None:
    """Refuse a graph that would build a huge tensor from its constants alone (over ``constant_limit``)
    or any fixed-size tensor larger than ``available``. Sizes come from ONNX shape inference with data
    propagation; nothing is run."""
    _strip_weights(model)
    try:
        if model.functions:  # onnxruntime inlines them too; inference then sees every node
            model = onnx.inliner.inline_local_functions(model)
        model = shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
    except Exception as exc:  # InferenceError, or anything else a hostile graph trips in the C++ checker
        raise damaged(path, "the shapes of its tensors could not be worked out", detail=repr(exc)) from exc

    constants: set[str] = {""}  # "" is an omitted optional input
    for index, graph in enumerate(_graphs_in(model.graph)):
        # Inference does not carry outer constants' values into If/Loop bodies, so sizes there are often
        # unknown for legitimate graphs; only known ones are bounded there.
        refuse_unknown = index == 0
        types = {v.name: v.type for v in (*graph.input, *graph.value_info, *graph.output)}
        constants.update(t.name for t in graph.initializer)
        constants.update(t.values.name for t in graph.sparse_initializer)
        for node in graph.node:
            has_subgraph = any(a.HasField("g") or a.graphs for a in node.attribute)
            from_constants = not has_subgraph and all(name in constants for name in node.input)
            if node.op_type in ("Shape", "Size") and node.input and node.input[0] in types:
                # onnxruntime folds the shape of a fully static input into a constant too.
                from_constants = _value_bytes(types[node.input[0]]) is not None
            for value in node.output:
                size = _value_bytes(types[value]) if value in types else None
                if refuse_unknown and from_constants and size is None and node.op_type in ONNX_EXPANDING_OPS:
                    raise _bomb(path, node, value, None, constant_limit)
                if from_constants and size is not None and size > constant_limit:
                    raise _bomb(path, node, value, size, constant_limit)
                if size is not None and size > available:  # a real need, for a fixed-size input
                    raise too_big_for_memory(path, size, available)
            if from_constants:
                constants.update(node.output)
