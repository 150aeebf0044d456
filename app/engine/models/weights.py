"""A folder of fp32 weights in one flat file, referenced by ONNX graphs as external data.

One converted model is one ``weights.bin`` plus a JSON index. Every graph we build (full model, frozen
prefix, tuned suffix, merged export) is a small protobuf that points into the same file, so the model is
stored once however many layer splits are built, and nothing large ever passes through protobuf.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

WEIGHTS_FILE = "weights.bin"
INDEX_FILE = "weights.json"
# Page-aligned offsets let onnxruntime map tensors straight from the file.
_ALIGN = 4096


# Stored element types: fp32 for everything tuned or multiplied; a large embedding table that is only
# gathered from (a 262k-row vocabulary is 671 MB as fp32) as fp16, or as the int8 values of its Q8_0 blocks
# with one fp32 scale per 32 values (``<name>_q8_scale``), which dequantises exactly. Index entries without
# a dtype are fp32.
_DTYPES = {
    "float32": (np.float32, onnx.TensorProto.FLOAT),
    "float16": (np.float16, onnx.TensorProto.FLOAT16),
    "int8": (np.int8, onnx.TensorProto.INT8),
}
Q8_BLOCK = 32
Q8_SCALE_SUFFIX = "_q8_scale"


@dataclass(frozen=True)
class TensorEntry:
    offset: int
    shape: tuple[int, ...]
    dtype: str = "float32"

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(_DTYPES[self.dtype][0]).itemsize


class WeightWriter:
    """Appends tensors to ``weights.bin`` one at a time (conversion never holds the whole model).

    fp16 and int8 arrays keep their type; everything else is stored as fp32.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._file = open(self.folder / WEIGHTS_FILE, "wb")  # noqa: SIM115 - closed in close()
        self._index: dict[str, TensorEntry] = {}

    def add(self, name: str, array: np.ndarray) -> None:
        if name in self._index:
            raise ValueError(f"duplicate tensor {name}")
        dtype = {np.dtype(np.float16): "float16", np.dtype(np.int8): "int8"}.get(
            np.asarray(array).dtype, "float32"
        )
        data = np.ascontiguousarray(array, dtype=_DTYPES[dtype][0])
        pos = self._file.tell()
        pad = (-pos) % _ALIGN
        if pad:
            self._file.write(b"\0" * pad)
        self._index[name] = TensorEntry(pos + pad, tuple(int(d) for d in data.shape), dtype)
        self._file.write(memoryview(data).cast("B"))  # no bytes copy (168 MB for Gemma's int8 table)

    def close(self) -> WeightStore:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        index = {
            k: {"offset": v.offset, "shape": list(v.shape)}
            | ({"dtype": v.dtype} if v.dtype != "float32" else {})
            for k, v in self._index.items()
        }
        (self.folder / INDEX_FILE).write_text(json.dumps(index), encoding="utf-8")
        return WeightStore(self.folder)


class WeightStore:
    """Read access to a converted model's weights (memory-mapped, nothing loaded eagerly)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        raw = json.loads((self.folder / INDEX_FILE).read_text(encoding="utf-8"))
        self.index = {
            k: TensorEntry(int(v["offset"]), tuple(v["shape"]), v.get("dtype", "float32"))
            for k, v in raw.items()
        }
        self._mmap: np.memmap | None = None

    def __contains__(self, name: str) -> bool:
        return name in self.index

    def shape(self, name: str) -> tuple[int, ...]:
        return self.index[name].shape

    def dtype(self, name: str) -> str:
        """ "float32" or "float16"."""
        return self.index[name].dtype

    def array(self, name: str) -> np.ndarray:
        """A read-only view of one tensor (memory-mapped), in its stored dtype."""
        if self._mmap is None:
            self._mmap = np.memmap(self.folder / WEIGHTS_FILE, dtype=np.uint8, mode="r")
        entry = self.index[name]
        view = self._mmap[entry.offset : entry.offset + entry.nbytes]
        return view.view(_DTYPES[entry.dtype][0]).reshape(entry.shape)

    def float_rows(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Rows of a table as fp32, whatever its storage (fp32, fp16 or Q8_0 int8 + scales)."""
        table = self.array(name)
        out = np.asarray(table[rows], dtype=np.float32)
        if self.dtype(name) == "int8":
            scale = self.array(name + Q8_SCALE_SUFFIX)[rows]  # [n, H / 32]
            out = (out.reshape(len(out), -1, Q8_BLOCK) * scale[:, :, None]).reshape(out.shape)
        return np.ascontiguousarray(out)

    def external_tensor(self, name: str, graph_name: str | None = None) -> onnx.TensorProto:
        """An initializer that points into weights.bin (graphs must live in the same folder)."""
        entry = self.index[name]
        tensor = onnx.TensorProto()
        tensor.name = graph_name or name
        tensor.data_type = _DTYPES[entry.dtype][1]
        tensor.dims.extend(entry.shape)
        tensor.data_location = onnx.TensorProto.EXTERNAL
        for key, value in (("location", WEIGHTS_FILE), ("offset", entry.offset), ("length", entry.nbytes)):
            kv = tensor.external_data.add()
            kv.key = key
            kv.value = str(value)
        return tensor
