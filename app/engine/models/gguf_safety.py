"""A GGUF file's header, walked with a bounded parser before ``gguf.GGUFReader`` sees it.

Counts, lengths, types and offsets are checked against the file's size and the types the converter reads,
so a forged header cannot make the reader allocate or loop without end.
"""

from __future__ import annotations

import math
import mmap
import struct
from collections.abc import Collection
from pathlib import Path

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFReader, GGUFValueType

from app.engine.errors import GenbaError
from app.engine.models.safety_errors import damaged, too_big_for_memory

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

_GGUF_MAGIC = b"GGUF"


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
            raise damaged(self.path, f"a text claims {length} bytes, but only {self._remaining()} follow")
        return self._take(length)

    def _text(self, what: str) -> str:
        raw = self._string()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise damaged(self.path, f"{what} is not UTF-8 text") from exc

    def _remaining(self) -> int:
        return len(self.buf) - self.pos

    def _skip_value(self, vtype: int, depth: int = 0) -> None:
        if vtype in _GGUF_SCALAR_SIZES:
            self._take(_GGUF_SCALAR_SIZES[vtype])
        elif vtype == _GGUF_STRING:
            self._string()
        elif vtype == _GGUF_ARRAY:
            if depth >= GGUF_MAX_ARRAY_DEPTH:
                raise damaged(self.path, f"metadata arrays nested deeper than {GGUF_MAX_ARRAY_DEPTH}")
            etype, count = self._u32(), self._u64()
            self._skip_items(etype, count, depth)
        else:
            raise damaged(self.path, f"unknown metadata value type {vtype}")

    def _skip_items(self, etype: int, count: int, depth: int) -> None:
        if count > GGUF_MAX_ARRAY_LEN:
            raise damaged(self.path, f"a metadata array claims {count} items, more than {GGUF_MAX_ARRAY_LEN}")
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
            raise damaged(
                self.path,
                f"the header claims {kv_count} metadata entries and {tensor_count} tensors, more than its "
                f"{len(self.buf)} bytes can hold",
            )
        for _ in range(kv_count):
            key = self._text("a metadata key")
            if key in self.types:
                raise damaged(self.path, f"metadata '{key}' appears twice", field=key)
            self._read_value(key, self._u32())
        self._check_alignment()
        names: set[str] = set()
        for _ in range(tensor_count):
            name = self._text("a tensor name")
            if name in names:
                raise damaged(self.path, f"tensor '{name}' appears twice", field=name)
            names.add(name)
            n_dims = self._u32()
            if n_dims > GGML_MAX_DIMS:
                raise damaged(self.path, f"tensor '{name}' has {n_dims} dimensions, at most {GGML_MAX_DIMS}")
            dims = tuple(self._u64() for _ in range(n_dims))
            # ggml counts elements in int64: a product past it wraps round to a small size (numpy's too).
            if any(d > _INT64_MAX for d in dims) or math.prod(dims) > _INT64_MAX:
                raise damaged(
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
            raise damaged(
                self.path, f"{key} is a {_gguf_type_name(self.types[key][0])}, expected uint32", field=key
            )
        self.alignment = self.integers[key]
        if self.alignment == 0 or self.alignment & (self.alignment - 1):
            raise damaged(self.path, f"alignment {self.alignment} is not a power of two", field=key)

    def data_start(self) -> int:
        return -(-self.pos // self.alignment) * self.alignment


def _check_gguf_metadata(path: Path, header: _GGUFHeader, arch: str) -> None:
    """The values the converter loops over or reads by type: the layer count and the tokenizer arrays."""
    key = f"{arch}.block_count"
    if key in header.types:
        if key not in header.integers:
            found = _gguf_type_name(header.types[key][0])
            raise damaged(path, f"{key} is a {found}, expected an integer", field=key)
        if not 1 <= header.integers[key] <= GGUF_MAX_LAYERS:
            raise damaged(
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
            raise damaged(path, f"{key} is {found}, expected an array of {expected}", field=key)


def check_gguf(path: Path, size: int, architectures: Collection[str], available: int) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
        if head[:4] == _GGUF_MAGIC and len(head) < 8:
            raise damaged(path, "the header ends early")
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
            raise damaged(path, "the header ends early") from None
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
            raise damaged(path, f"tensor '{name}' has unknown type id {type_id}", field=name) from None
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
            raise damaged(
                path, f"tensor '{name}' rows of {dims[0]} are not whole {qtype.name} blocks", field=name
            )
        n_elements = math.prod(dims)
        end = start + offset + n_elements // block * type_size
        if offset % header.alignment or end > size:
            raise damaged(
                path, f"tensor '{name}' needs bytes up to {end}, but the file has {size}", field=name
            )
        largest = max(largest, n_elements * 4)
    # Conversion dequantises one tensor at a time to float32 (gguf_import.py), so that is the peak.
    if largest > available:
        raise too_big_for_memory(path, largest, available)

    try:
        reader = GGUFReader(path)  # memory-maps; the walk above bounded every count it will loop over
    except Exception as exc:  # ValueError/KeyError/IndexError on files the bounded walk let through
        raise damaged(path, "the GGUF reader refused it", detail=repr(exc)) from exc
    del reader  # release the memory map now (Windows keeps the file locked while it is open)
