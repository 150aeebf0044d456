"""Refuse hostile or broken model files before anything large is allocated or onnxruntime sees them.

Models arrive on users' USB sticks, so every file is treated as hostile: pickles (which run code when
loaded) are refused outright, GGUF headers are walked with a bounded parser before ``gguf.GGUFReader`` sees
them, and ONNX external-data references are confined to regular, singly-linked files inside the model's
folder (onnxruntime itself still follows hard links: CVE-2024-27318 / CVE-2024-5187). Each refusal is a
``GenbaError`` that names the file and says what was found and what was expected.
"""

from __future__ import annotations

import math
import mmap
import os
import re
import stat
import struct
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

import onnx
import onnx.inliner
import psutil
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFReader, GGUFValueType
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
from app.engine.models.gguf_import import SUPPORTED_ARCHITECTURES

PICKLE_EXTENSIONS = frozenset({".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt", ".joblib"})
STANDARD_ONNX_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "com.microsoft"})
PROTOBUF_LIMIT = 2**31  # protobuf cannot parse a message of 2 GiB or more

GGUF_VERSIONS = (2, 3)
# Exactly the types gguf 0.19's ``gguf.quants.dequantize`` handles among those asked for; Q8_K is missing
# there (tests/test_model_safety.py checks each of these round-trips through dequantize).
GGUF_TENSOR_TYPES = frozenset(
    GGMLQuantizationType[name]
    for name in ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K")
)
GGUF_DEFAULT_ALIGNMENT = 32
GGML_MAX_DIMS = 4
# Largest real metadata array is a tokenizer vocabulary (Gemma 3: 262k tokens). Capping far above that
# keeps GGUFReader's per-element Python loop from spinning for hours on a forged count.
GGUF_MAX_ARRAY_LEN = 1 << 21
GGUF_MAX_ARRAY_DEPTH = 3
GGUF_MAX_LAYERS = 512  # llama.cpp's LLAMA_MAX_LAYERS; the converter builds a table per layer

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

_ZIP_MAGIC = b"PK\x03\x04"
_GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class ModelFileInfo:
    """A model file that passed the checks. ``size_bytes`` is the file itself, without external data."""

    path: Path
    kind: str  # "onnx" | "gguf"
    size_bytes: int
    external_data: tuple[str, ...]  # locations relative to the model's folder, sorted, each once


def _format_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _damaged(path: Path, what: str, *, field: str | None = None, detail: str = "") -> GenbaError:
    return GenbaError(
        f"This model file is damaged or incomplete ({what}). Copy it again from the original source.",
        f"このモデルファイルは壊れているか不完全です（{what}）。元のファイルからもう一度コピーしてください。",
        path=path,
        field=field,
        detail=detail,
    )


def _too_big_for_memory(path: Path, needed: int, available: int) -> GenbaError:
    need, have = _format_bytes(needed), _format_bytes(available)
    return GenbaError(
        f"This model needs about {need} of memory, but only {have} is free. Close other programs or use a "
        "smaller model.",
        f"このモデルには約 {need} のメモリーが必要ですが、空きは {have} しかありません。ほかのプログラムを"
        "閉じるか、より小さいモデルを使ってください。",
        path=path,
    )


def _available_memory(available_bytes: int | None) -> int:
    return psutil.virtual_memory().available if available_bytes is None else available_bytes


def check_no_pickle(path: str | os.PathLike[str]) -> None:
    """Refuse PyTorch checkpoints and pickles, by extension or by their first bytes."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise GenbaError(
            f"The model file could not be read ({exc.strerror}).",
            f"モデルファイルを読み込めませんでした（{exc.strerror}）。",
            path=path,
            detail=repr(exc),
        ) from exc
    if suffix in PICKLE_EXTENSIONS:
        found = f"a '{suffix}' file"
    elif head == _ZIP_MAGIC:
        found = "a ZIP archive, the format of PyTorch checkpoints"
    elif len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:  # PROTO opcode of pickle protocols 2-5
        found = "a Python pickle"
    else:
        return
    raise GenbaError(
        f"This is {found}. PyTorch and pickle files can run arbitrary code when they are loaded, so Genba "
        "Tuner never opens them. Export the model to ONNX or GGUF and open that file instead.",
        f"このファイルは PyTorch / pickle 形式です（{found}）。この形式は読み込むだけで任意のプログラムを実行"
        "できるため、Genba Tuner は開きません。モデルを ONNX か GGUF に変換して、そのファイルを開いてください。",
        path=path,
    )


def check_model_file(
    path: str | os.PathLike[str],
    *,
    supported_architectures: Collection[str] = SUPPORTED_ARCHITECTURES,
    available_bytes: int | None = None,
) -> ModelFileInfo:
    """Check a .onnx or .gguf file (and its external data) without loading its weights.

    ``available_bytes`` is the memory the weights may use (default: what psutil reports free now).
    Raises ``GenbaError`` for anything hostile, damaged or unsupported.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise GenbaError(
            f"The model file could not be opened ({exc.strerror}).",
            f"モデルファイルを開けませんでした（{exc.strerror}）。",
            path=path,
            detail=repr(exc),
        ) from exc
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        raise GenbaError(
            "This is not a regular file; expected a .onnx or .gguf model file.",
            "通常のファイルではありません。.onnx または .gguf のモデルファイルを指定してください。",
            path=path,
        )
    check_no_pickle(path)
    suffix = path.suffix.lower()
    if suffix == ".gguf":
        _check_gguf(path, st.st_size, supported_architectures, _available_memory(available_bytes))
        return ModelFileInfo(path, "gguf", st.st_size, ())
    if suffix == ".onnx":
        external = _check_onnx(path, st.st_size, _available_memory(available_bytes))
        return ModelFileInfo(path, "onnx", st.st_size, external)
    raise GenbaError(
        f"Unknown model file type '{suffix or '(none)'}'; expected .onnx or .gguf.",
        f"不明なモデルファイルの種類です（「{suffix or '（なし）'}」）。.onnx または .gguf を指定してください。",
        path=path,
    )


# --- GGUF -------------------------------------------------------------------------------------------------


class _Truncated(Exception):
    """The header claims more bytes than the file has."""


_GGUF_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_STRING, _GGUF_ARRAY, _GGUF_UINT32 = 8, 9, 4
_GGUF_INTEGERS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 10: "<Q", 11: "<q"}
_GGUF_FLOATS = frozenset({6, 12})
_INT64_MAX = 2**63 - 1
# What our tokenizer builder reads each array as (tokenizer.py); other types crash it or index garbage
# (llama.cpp read token_type arrays of the wrong type as int32, past their end).
_GGUF_TOKENIZER_ARRAYS = {
    "tokenizer.ggml.tokens": ({_GGUF_STRING}, "strings"),
    "tokenizer.ggml.merges": ({_GGUF_STRING}, "strings"),
    "tokenizer.ggml.token_type": (set(_GGUF_INTEGERS), "integers"),
    "tokenizer.ggml.scores": (_GGUF_FLOATS, "floats"),
}


def _gguf_type_name(vtype: int | None) -> str:
    try:
        return GGUFValueType(vtype).name.lower()
    except ValueError:
        return f"type {vtype}"


class _GGUFHeader:
    """A bounded walk of a GGUF header: every count is checked against the bytes that remain."""

    def __init__(self, buf: mmap.mmap | bytes, path: Path) -> None:
        self.buf, self.pos, self.path = buf, 0, path
        self.strings: dict[str, str] = {}
        self.integers: dict[str, int] = {}
        self.types: dict[str, tuple[int, int | None]] = {}  # key -> value type, array item type
        self.alignment = GGUF_DEFAULT_ALIGNMENT
        self.tensors: list[tuple[str, tuple[int, ...], int, int]] = []  # name, dims, type id, offset

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.buf):
            raise _Truncated
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def _u32(self) -> int:
        return struct.unpack("<I", self._take(4))[0]

    def _u64(self) -> int:
        return struct.unpack("<Q", self._take(8))[0]

    def _string(self) -> bytes:
        length = self._u64()
        if length > self._remaining():  # llama.cpp's string-length overflows (lengths near 2**64)
            raise _damaged(self.path, f"a text claims {length} bytes, but only {self._remaining()} follow")
        return self._take(length)

    def _text(self, what: str) -> str:
        raw = self._string()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _damaged(self.path, f"{what} is not UTF-8 text") from exc

    def _remaining(self) -> int:
        return len(self.buf) - self.pos

    def _skip_value(self, vtype: int, depth: int = 0) -> None:
        if vtype in _GGUF_SCALAR_SIZES:
            self._take(_GGUF_SCALAR_SIZES[vtype])
        elif vtype == _GGUF_STRING:
            self._string()
        elif vtype == _GGUF_ARRAY:
            if depth >= GGUF_MAX_ARRAY_DEPTH:
                raise _damaged(self.path, f"metadata arrays nested deeper than {GGUF_MAX_ARRAY_DEPTH}")
            etype, count = self._u32(), self._u64()
            self._skip_items(etype, count, depth)
        else:
            raise _damaged(self.path, f"unknown metadata value type {vtype}")

    def _skip_items(self, etype: int, count: int, depth: int) -> None:
        if count > GGUF_MAX_ARRAY_LEN:
            raise _damaged(
                self.path, f"a metadata array claims {count} items, more than {GGUF_MAX_ARRAY_LEN}"
            )
        if etype in _GGUF_SCALAR_SIZES:
            self._take(count * _GGUF_SCALAR_SIZES[etype])
            return
        if count * 8 > self._remaining():  # every string or array item takes at least 8 bytes
            raise _Truncated
        for _ in range(count):
            self._skip_value(etype, depth + 1)

    def _read_value(self, key: str, vtype: int) -> None:
        """Keep strings and integers (what the checks and the converter read); skip everything else."""
        self.types[key] = (vtype, None)
        if vtype == _GGUF_STRING:
            self.strings[key] = self._text(f"metadata '{key}'")
        elif vtype in _GGUF_INTEGERS:
            (self.integers[key],) = struct.unpack(
                _GGUF_INTEGERS[vtype], self._take(_GGUF_SCALAR_SIZES[vtype])
            )
        elif vtype == _GGUF_ARRAY:
            etype, count = self._u32(), self._u64()
            self.types[key] = (vtype, etype)
            self._skip_items(etype, count, 0)
        else:
            self._skip_value(vtype)

    def parse(self) -> None:
        self._take(8)  # magic and version, checked by the caller
        tensor_count, kv_count = self._u64(), self._u64()
        # A key/value pair takes at least 13 bytes and a tensor entry at least 24.
        if kv_count * 13 + tensor_count * 24 > self._remaining():
            raise _damaged(
                self.path,
                f"the header claims {kv_count} metadata entries and {tensor_count} tensors, more than its "
                f"{len(self.buf)} bytes can hold",
            )
        for _ in range(kv_count):
            key = self._text("a metadata key")
            if key in self.types:
                raise _damaged(self.path, f"metadata '{key}' appears twice", field=key)
            self._read_value(key, self._u32())
        self._check_alignment()
        names: set[str] = set()
        for _ in range(tensor_count):
            name = self._text("a tensor name")
            if name in names:
                raise _damaged(self.path, f"tensor '{name}' appears twice", field=name)
            names.add(name)
            n_dims = self._u32()
            if n_dims > GGML_MAX_DIMS:
                raise _damaged(self.path, f"tensor '{name}' has {n_dims} dimensions, at most {GGML_MAX_DIMS}")
            dims = tuple(self._u64() for _ in range(n_dims))
            # ggml counts elements in int64: a product past it wraps round to a small size (numpy's too).
            if any(d > _INT64_MAX for d in dims) or math.prod(dims) > _INT64_MAX:
                raise _damaged(
                    self.path,
                    f"tensor '{name}' has dimensions {list(dims)}, whose product does not fit in 64 bits",
                    field=name,
                )
            self.tensors.append((name, dims, self._u32(), self._u64()))

    def _check_alignment(self) -> None:
        key = "general.alignment"
        if key not in self.types:
            return
        if self.types[key] != (_GGUF_UINT32, None):
            raise _damaged(
                self.path, f"{key} is a {_gguf_type_name(self.types[key][0])}, expected uint32", field=key
            )
        self.alignment = self.integers[key]
        if self.alignment == 0 or self.alignment & (self.alignment - 1):
            raise _damaged(self.path, f"alignment {self.alignment} is not a power of two", field=key)

    def data_start(self) -> int:
        return -(-self.pos // self.alignment) * self.alignment


def _check_gguf_metadata(path: Path, header: _GGUFHeader, arch: str) -> None:
    """The values the converter loops over or reads by type: the layer count and the tokenizer arrays."""
    key = f"{arch}.block_count"
    if key in header.types:
        if key not in header.integers:
            found = _gguf_type_name(header.types[key][0])
            raise _damaged(path, f"{key} is a {found}, expected an integer", field=key)
        if not 1 <= header.integers[key] <= GGUF_MAX_LAYERS:
            raise _damaged(
                path, f"{key} is {header.integers[key]}, expected 1 to {GGUF_MAX_LAYERS} layers", field=key
            )
    for key, (item_types, expected) in _GGUF_TOKENIZER_ARRAYS.items():
        if key not in header.types:
            continue
        vtype, etype = header.types[key]
        if vtype != _GGUF_ARRAY or etype not in item_types:
            found = (
                f"an array of {_gguf_type_name(etype)}" if vtype == _GGUF_ARRAY else _gguf_type_name(vtype)
            )
            raise _damaged(path, f"{key} is {found}, expected an array of {expected}", field=key)


def _check_gguf(path: Path, size: int, architectures: Collection[str], available: int) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
        if head[:4] == _GGUF_MAGIC and len(head) < 8:
            raise _damaged(path, "the header ends early")
        if head[:4] != _GGUF_MAGIC:
            raise GenbaError(
                f"This file does not start with 'GGUF' (found {head[:4]!r}); expected a .onnx or .gguf model.",
                f"このファイルは「GGUF」で始まっていません（{head[:4]!r}）。.onnx または .gguf のモデルが必要です。",
                path=path,
            )
        version = struct.unpack("<I", head[4:8])[0]
        if version not in GGUF_VERSIONS:
            raise GenbaError(
                f"Unsupported GGUF version {version}; expected version 2 or 3 (little-endian). Convert the model "
                "again with a recent llama.cpp.",
                f"対応していない GGUF バージョン {version} です。バージョン 2 か 3（リトルエンディアン）が必要です。"
                "新しい llama.cpp でモデルを変換し直してください。",
                path=path,
                field="GGUF.version",
            )
        header = _GGUFHeader(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ), path)
        try:
            header.parse()
        except _Truncated:
            raise _damaged(path, "the header ends early") from None
        finally:
            header.buf.close()

    arch = header.strings.get("general.architecture", "(missing)")
    if arch not in architectures:
        expected = ", ".join(sorted(architectures))
        raise GenbaError(
            f"Unsupported model architecture '{arch}'; expected {expected}.",
            f"対応していないモデル構造「{arch}」です。{expected} のモデルが必要です。",
            path=path,
            field="general.architecture",
        )
    _check_gguf_metadata(path, header, arch)
    start = header.data_start()
    largest = 0
    for name, dims, type_id, offset in header.tensors:
        try:
            qtype = GGMLQuantizationType(type_id)
        except ValueError:
            raise _damaged(path, f"tensor '{name}' has unknown type id {type_id}", field=name) from None
        if qtype not in GGUF_TENSOR_TYPES:
            supported = ", ".join(sorted(t.name for t in GGUF_TENSOR_TYPES))
            raise GenbaError(
                f"Tensor '{name}' uses the unsupported type {qtype.name}; expected one of {supported}. "
                "Convert the model with one of these quantisations.",
                f"テンソル「{name}」の型 {qtype.name} には対応していません。対応する型: {supported}。"
                "これらのいずれかの量子化で変換し直してください。",
                path=path,
                field=name,
            )
        block, type_size = GGML_QUANT_SIZES[qtype]
        if dims and dims[0] % block:
            raise _damaged(
                path, f"tensor '{name}' rows of {dims[0]} are not whole {qtype.name} blocks", field=name
            )
        n_elements = math.prod(dims)
        end = start + offset + n_elements // block * type_size
        if offset % header.alignment or end > size:
            raise _damaged(
                path, f"tensor '{name}' needs bytes up to {end}, but the file has {size}", field=name
            )
        largest = max(largest, n_elements * 4)
    # Conversion dequantises one tensor at a time to float32 (gguf_import.py), so that is the peak.
    if largest > available:
        raise _too_big_for_memory(path, largest, available)

    try:
        reader = GGUFReader(path)  # memory-maps; the walk above bounded every count it will loop over
    except Exception as exc:  # ValueError/KeyError/IndexError on files the bounded walk let through
        raise _damaged(path, "the GGUF reader refused it", detail=repr(exc)) from exc
    del reader  # release the memory map now (Windows keeps the file locked while it is open)


# --- ONNX -------------------------------------------------------------------------------------------------

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
        raise _damaged(path, f"tensor '{name}' has external data without a valid location", field=name)
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
        raise _damaged(
            path, f"tensor '{name}' has a non-numeric external data offset or length", field=name
        ) from None
    if offset < 0 or length < 0 or offset + length > st.st_size:
        raise _damaged(
            path,
            f"tensor '{name}' reads bytes {offset}..{offset + length} of '{location}', which has {st.st_size}",
            field=name,
        )
    if stored < 0 or tensor.data_type == TensorProto.STRING:
        raise _damaged(path, f"tensor '{name}' has external data of an invalid type or shape", field=name)
    if ("length" in entries and length != stored) or stored > length:
        raise _damaged(
            path, f"tensor '{name}' declares {stored} bytes but its external data has {length}", field=name
        )
    return location


def _check_onnx(path: Path, size: int, available: int) -> tuple[str, ...]:
    if size >= PROTOBUF_LIMIT:
        raise GenbaError(
            f"This ONNX file is {_format_bytes(size)}, over the 2 GB limit of the ONNX format for a single file. "
            "Models this large must keep their weights in separate external-data files; export it again that way.",
            f"この ONNX ファイルは {_format_bytes(size)} で、1 ファイルの上限 2 GB を超えています。大きなモデルは"
            "重みを外部データファイルに分けて保存する必要があります。そのように書き出し直してください。",
            path=path,
        )
    if size > available:  # parsing holds the whole file in memory
        raise _too_big_for_memory(path, size, available)
    try:
        model = onnx.load(str(path), format="protobuf", load_external_data=False)
    except Exception as exc:  # DecodeError, or anything else hostile bytes can trip in the parser
        raise _damaged(path, "it is not a readable ONNX protobuf", detail=repr(exc)) from exc
    if model.ir_version < 1 or not model.graph.node or not model.graph.output:
        raise _damaged(path, "no ONNX graph was found in it")

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
            raise _damaged(path, f"tensor '{name}' has an invalid type or shape", field=name)
        elif tensor.raw_data and len(tensor.raw_data) != stored:
            raise _damaged(
                path, f"tensor '{name}' declares {stored} bytes but holds {len(tensor.raw_data)}", field=name
            )
        total += max(_tensor_bytes(tensor, memory_dims), 0)
    if total > available:
        raise _too_big_for_memory(path, total, available)
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
        f"The node '{where}' ({node.op_type}) would create the tensor '{value}' of {_format_bytes(size)}, more "
        f"than the {_format_bytes(limit)} this model may use. Files built this way exhaust the memory of the PC, "
        "so this one is not opened.",
        f"ノード「{where}」（{node.op_type}）は {_format_bytes(size)} のテンソル「{value}」を作ろうとしています。"
        f"このモデルに使える {_format_bytes(limit)} を超えます。このように作られたファイルは PC のメモリーを使い果たす"
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
        raise _damaged(path, "the shapes of its tensors could not be worked out", detail=repr(exc)) from exc

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
                    raise _too_big_for_memory(path, size, available)
            if from_constants:
                constants.update(node.output)
