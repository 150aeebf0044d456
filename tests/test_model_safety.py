import contextlib
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import gguf
import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from app.engine.errors import GenbaError
from app.engine.models.gguf_safety import GGUF_TENSOR_TYPES
from app.engine.models.model_safety import check_model_file, check_no_pickle

PLENTY = 1 << 40  # memory budget for tests that are not about memory


def tiny_onnx(
    folder: Path,
    *,
    external: dict[str, str] | None = None,
    weights: np.ndarray | None = None,
    op: tuple[str, str] = ("", "Add"),
) -> Path:
    """y = x + w; with ``external``, w lives in weights.bin under those external_data entries."""
    folder.mkdir(parents=True, exist_ok=True)
    w = np.arange(4, dtype=np.float32) if weights is None else weights
    init = numpy_helper.from_array(w, "w")
    if external is not None:
        (folder / "weights.bin").write_bytes(w.tobytes())
        init.ClearField("raw_data")
        init.data_location = TensorProto.EXTERNAL
        for key, value in external.items():
            entry = init.external_data.add()
            entry.key, entry.value = key, value
    domain, op_type = op
    graph = helper.make_graph(
        [helper.make_node(op_type, ["x", "w"], ["y"], domain=domain)],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(w.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(w.shape))],
        [init],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = folder / "model.onnx"
    # Serialised by hand: onnx.save would try to (re)write the external data itself.
    path.write_bytes(model.SerializeToString())
    return path


def write_gguf(path: Path, *, arch: str = "llama", tensors: dict | None = None) -> Path:
    """A small GGUF with some metadata (including arrays) and F32 tensors unless given raw ones."""
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name("tiny")
    writer.add_block_count(1)
    writer.add_token_list(["a", "b", "c"])
    writer.add_token_types([1, 1, 1])
    if tensors is None:
        tensors = {"token_embd.weight": (np.ones((3, 32), dtype=np.float32), None)}
    for name, (array, raw_dtype) in tensors.items():
        writer.add_tensor(name, array, raw_dtype=raw_dtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def refusal(path: Path, **kwargs) -> GenbaError:
    kwargs.setdefault("available_bytes", PLENTY)
    with pytest.raises(GenbaError) as info:
        check_model_file(path, **kwargs)
    assert info.value.path == str(path)
    assert info.value.ja  # every refusal is also in Japanese
    return info.value


# --- ONNX ---


def test_valid_tiny_onnx_passes(tmp_path):
    info = check_model_file(tiny_onnx(tmp_path), available_bytes=PLENTY)
    assert info.kind == "onnx" and info.external_data == () and info.size_bytes > 0


def test_valid_external_data_passes_and_onnxruntime_agrees(tmp_path):
    import onnxruntime as ort

    path = tiny_onnx(tmp_path, external={"location": "weights.bin", "offset": "0", "length": "16"})
    assert check_model_file(path, available_bytes=PLENTY).external_data == ("weights.bin",)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"x": np.zeros(4, dtype=np.float32)})
    np.testing.assert_array_equal(y, np.arange(4, dtype=np.float32))


def test_truncated_onnx_is_refused(tmp_path):
    path = tiny_onnx(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "damaged or incomplete" in refusal(path).en


def test_random_bytes_onnx_is_refused(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    assert "damaged or incomplete" in refusal(path).en


def test_empty_onnx_is_refused(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"")
    assert "no ONNX graph" in refusal(path).en


def test_external_data_with_dotdot_is_refused(tmp_path):
    (tmp_path / "secret.bin").write_bytes(b"\0" * 16)
    path = tiny_onnx(tmp_path / "model", external={"location": "../secret.bin"})
    assert "outside the model's folder ('..')" in refusal(path).en


def test_external_data_with_backslash_dotdot_is_refused(tmp_path):
    path = tiny_onnx(tmp_path / "model", external={"location": "sub\\..\\..\\secret.bin"})
    assert "('..')" in refusal(path).en


@pytest.mark.parametrize("location", ["/etc/passwd", "C:\\Windows\\win.ini", "\\\\server\\share\\w.bin"])
def test_external_data_with_absolute_path_is_refused(tmp_path, location):
    path = tiny_onnx(tmp_path, external={"location": location})
    assert "absolute path" in refusal(path).en


def test_external_data_absolute_path_to_real_file_is_refused(tmp_path):
    path = tiny_onnx(tmp_path, external={"location": str(tmp_path / "weights.bin")})
    assert "absolute path" in refusal(path).en


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_external_data_symlink_inside_folder_is_refused(tmp_path):
    path = tiny_onnx(tmp_path, external={"location": "link.bin"})
    os.symlink(tmp_path / "weights.bin", tmp_path / "link.bin")
    assert "symbolic link" in refusal(path).en


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_external_data_symlink_leaving_folder_is_refused(tmp_path):
    (tmp_path / "secret.bin").write_bytes(b"\0" * 16)
    path = tiny_onnx(tmp_path / "model", external={"location": "link.bin"})
    os.symlink(tmp_path / "secret.bin", tmp_path / "model" / "link.bin")
    assert "outside the model's folder" in refusal(path).en


def test_external_data_hard_link_is_refused(tmp_path):
    path = tiny_onnx(tmp_path, external={"location": "weights.bin"})
    os.link(tmp_path / "weights.bin", tmp_path / "another-name.bin")
    error = refusal(path)
    assert "hard link" in error.en and "ハードリンク" in error.ja


def test_external_data_read_past_end_is_refused(tmp_path):
    path = tiny_onnx(tmp_path, external={"location": "weights.bin", "offset": "100", "length": "16"})
    assert "reads bytes 100..116" in refusal(path).en


def test_external_data_length_not_matching_shape_is_refused(tmp_path):
    path = tiny_onnx(tmp_path, external={"location": "weights.bin", "offset": "0", "length": "8"})
    assert "declares 16 bytes" in refusal(path).en


def test_missing_external_data_file_is_named(tmp_path):
    path = tiny_onnx(tmp_path, external={"location": "weights.bin"})
    (tmp_path / "weights.bin").unlink()
    assert "'weights.bin'" in refusal(path).en


def test_custom_operator_domain_is_refused(tmp_path):
    path = tiny_onnx(tmp_path, op=("com.example.evil", "Pwn"))
    error = refusal(path)
    assert "custom operator library, which we never load" in error.en and "com.example.evil" in error.en


def test_custom_operator_inside_a_subgraph_is_refused(tmp_path):
    evil = helper.make_graph(
        [helper.make_node("Pwn", ["c"], ["o"], domain="com.example.evil")],
        "branch",
        [],
        [helper.make_tensor_value_info("o", TensorProto.FLOAT, [1])],
    )
    good = helper.make_graph(
        [helper.make_node("Identity", ["c"], ["o"])],
        "branch",
        [],
        [helper.make_tensor_value_info("o", 1, [1])],
    )
    graph = helper.make_graph(
        [
            helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(np.ones(1, np.float32))),
            helper.make_node("If", ["cond"], ["y"], then_branch=evil, else_branch=good),
        ],
        "outer",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    path = tmp_path / "model.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    assert "com.example.evil" in refusal(path).en


def test_external_data_in_subgraph_is_checked(tmp_path):
    tensor = numpy_helper.from_array(np.ones(4, np.float32), "w")
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "../secret.bin"
    branch = helper.make_graph(
        [helper.make_node("Constant", [], ["o"], value=tensor)],
        "branch",
        [],
        [helper.make_tensor_value_info("o", TensorProto.FLOAT, [4])],
    )
    graph = helper.make_graph(
        [helper.make_node("If", ["cond"], ["y"], then_branch=branch, else_branch=branch)],
        "outer",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
    )
    path = tmp_path / "model.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    assert "('..')" in refusal(path).en


def test_declared_weights_larger_than_free_memory_are_refused(tmp_path):
    path = tiny_onnx(tmp_path, external={"location": "weights.bin"}, weights=np.zeros(250_000, np.float32))
    check_model_file(path, available_bytes=2_000_000)
    error = refusal(path, available_bytes=500_000)
    assert "memory" in error.en and "メモリー" in error.ja


def test_huge_sparse_initializer_is_refused_by_default_memory_check(tmp_path):
    # A few bytes on disk that onnxruntime would densify into 4 TB.
    sparse = helper.make_sparse_tensor(
        numpy_helper.from_array(np.ones(1, np.float32), "s"),
        numpy_helper.from_array(np.zeros(1, np.int64), "s_idx"),
        [10**12],
    )
    graph = helper.make_graph(
        [helper.make_node("Identity", ["s"], ["y"])],
        "g",
        [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [10**12])],
        sparse_initializer=[sparse],
    )
    path = tmp_path / "model.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(GenbaError, match="memory"):
        check_model_file(path)


def test_onnx_over_the_protobuf_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "model.onnx"
    with open(path, "wb") as fh:  # sparse file: no real 2 GB written
        fh.truncate(2**31)
    assert "2 GB" in refusal(path).en


# --- ONNX: values computed from constants (constant folding bombs) ---

BOMB_ELEMENTS = 3 * 2**30  # float32: 12 GiB, from a file of under 1 KB


def bomb_graph(kind: str, n: int = BOMB_ELEMENTS) -> bytes:
    """A tiny graph y = x + sum(big) where ``big`` (n float32) is computed from constants alone."""
    one = numpy_helper.from_array(np.ones(1, np.float32), "one")
    shape = numpy_helper.from_array(np.array([n], np.int64), "shape")
    fill = numpy_helper.from_array(np.ones(1, np.float32))
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])]
    nodes, inits = [], [one, shape]
    if kind == "ConstantOfShape":
        nodes.append(helper.make_node("ConstantOfShape", ["shape"], ["big"], value=fill))
    elif kind == "Expand":
        nodes.append(helper.make_node("Expand", ["one", "shape"], ["big"]))
    elif kind == "Tile":
        nodes.append(helper.make_node("Tile", ["one", "shape"], ["big"]))
    elif kind == "Range":
        inits += [
            numpy_helper.from_array(np.array(v, np.float32), k) for k, v in (("a", 0), ("b", n), ("d", 1))
        ]
        nodes.append(helper.make_node("Range", ["a", "b", "d"], ["big"]))
    elif kind == "Shape of a static input":  # onnxruntime folds Shape(x) when x's shape is fixed
        inputs.append(helper.make_tensor_value_info("z", TensorProto.FLOAT, [n, 0]))
        nodes += [
            helper.make_node("Shape", ["z"], ["zs"], start=0, end=1),
            helper.make_node("ConstantOfShape", ["zs"], ["big"], value=fill),
        ]
    elif kind == "Cast":  # a shape computed through an op shape inference does not follow
        inits.append(numpy_helper.from_array(np.array([float(n)], np.float32), "fshape"))
        nodes += [
            helper.make_node("Cast", ["fshape"], ["cshape"], to=TensorProto.INT64),
            helper.make_node("ConstantOfShape", ["cshape"], ["big"], value=fill),
        ]
    nodes += [
        helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
        helper.make_node("Add", ["x", "total"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "bomb", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], inits
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


@pytest.mark.parametrize(
    "kind", ["ConstantOfShape", "Expand", "Tile", "Range", "Shape of a static input", "Cast"]
)
def test_tiny_graph_building_a_huge_tensor_from_constants_is_refused(tmp_path, kind):
    path = tmp_path / "model.onnx"
    path.write_bytes(bomb_graph(kind))
    assert path.stat().st_size < 1024
    with pytest.raises(GenbaError) as info:
        check_model_file(path, available_bytes=PLENTY)  # the limit comes from the model's weights
    error = info.value
    assert "memory of the PC" in error.en and "メモリー" in error.ja and error.path == str(path)
    assert error.field in {"ConstantOfShape", "Expand", "Tile", "Range"}
    if kind != "Cast":
        assert "12.0 GB" in error.en


@pytest.mark.parametrize("inside_a_branch", [False, True])
def test_graph_with_a_mask_built_from_constants_passes(tmp_path, inside_a_branch):
    # What real exports do: a [64, 64] causal mask from ConstantOfShape + Trilu, then used on the input.
    # Inside an If branch, shape inference does not know the outer constant's value: the size is unknown.
    fill = numpy_helper.from_array(np.ones(1, np.float32))
    mask_nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["ones"], value=fill),
        helper.make_node("Trilu", ["ones"], ["mask"], upper=0),
    ]
    if inside_a_branch:
        branch = helper.make_graph(
            mask_nodes, "branch", [], [helper.make_tensor_value_info("mask", TensorProto.FLOAT, [64, 64])]
        )
        mask_nodes = [
            helper.make_node("Constant", [], ["cond"], value=numpy_helper.from_array(np.array(True))),
            helper.make_node("If", ["cond"], ["mask"], then_branch=branch, else_branch=branch),
        ]
    graph = helper.make_graph(
        [*mask_nodes, helper.make_node("Mul", ["x", "mask"], ["y"])],
        "masked",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 64, 64])],
        [numpy_helper.from_array(np.array([64, 64], np.int64), "shape")],
    )
    path = tmp_path / "model.onnx"
    path.write_bytes(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    )
    assert check_model_file(path).kind == "onnx"


def test_fixed_size_tensor_larger_than_free_memory_is_refused_as_a_memory_need(tmp_path):
    # Not from constants: x is an input of fixed shape [1024, 1024], expanded 1024 times (4 GiB).
    graph = helper.make_graph(
        [helper.make_node("Expand", ["x", "shape"], ["big"]), helper.make_node("ReduceSum", ["big"], ["y"])],
        "fixed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1024, 1024])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 1])],
        [numpy_helper.from_array(np.array([1024, 1024, 1024], np.int64), "shape")],
    )
    path = tmp_path / "model.onnx"
    path.write_bytes(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    )
    assert check_model_file(path, available_bytes=8 << 30).kind == "onnx"
    error = refusal(path, available_bytes=2 << 30)
    assert "needs about 4.0 GB of memory" in error.en and "メモリー" in error.ja


# Run in a child whose address space is capped, so that a regression fails here instead of swapping the
# machine; it prints how much the peak resident memory grew while the session was created.
_SESSION_CHILD = """
import resource, sys
import onnxruntime
from app.engine.models.ort_runtime import create_session
resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
create_session(sys.argv[1], threads=1)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and ru_maxrss in KiB are Linux's")
def test_a_users_graph_gets_no_constant_folding_so_a_session_does_not_build_the_bomb(tmp_path):
    # 512 MiB: with folding on, creating the session alone grew the peak by 1030 MB (measured). Not the
    # 12 GiB bomb: under the cap its allocation fails and onnxruntime quietly skips folding it.
    path = tmp_path / "model.onnx"
    path.write_bytes(bomb_graph("ConstantOfShape", n=2**27))
    child = subprocess.run(
        [sys.executable, "-c", _SESSION_CHILD, str(path)], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 0, child.stderr
    assert int(child.stdout) < 128, f"session creation grew the peak memory by {child.stdout.strip()} MB"


@pytest.mark.parametrize("own_graph", [True, False])
def test_only_our_own_graphs_keep_constant_folding(tmp_path, own_graph):
    import onnxruntime as ort

    from app.engine.models.ort_runtime import session_options

    c = numpy_helper.from_array(np.ones(4, np.float32), "c")
    graph = helper.make_graph(
        [helper.make_node("Add", ["c", "c"], ["two"]), helper.make_node("Mul", ["x", "two"], ["y"])],
        "folding",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
        [c],
    )
    so = session_options(threads=1, own_graph=own_graph)
    so.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    ops = [n.op_type for n in onnx.load(str(tmp_path / "optimized.onnx")).graph.node]
    assert ("Add" in ops) is not own_graph


# --- pickles and unknown files ---


@pytest.mark.parametrize(
    "name", ["model.pt", "model.pth", "model.pkl", "pytorch_model.bin", "m.ckpt", "m.joblib"]
)
def test_pickle_extensions_are_refused_for_code_execution(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"w": [1.0]}))
    error = refusal(path)
    assert "run arbitrary code" in error.en and "ONNX or GGUF" in error.en


def test_pickle_disguised_as_onnx_is_refused_by_magic(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(pickle.dumps({"w": [1.0]}, protocol=4))
    assert "Python pickle" in refusal(path).en


def test_torch_zip_disguised_as_gguf_is_refused_by_magic(tmp_path):
    path = tmp_path / "model.gguf"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps([1, 2]))
    assert "ZIP archive" in refusal(path).en
    with pytest.raises(GenbaError, match="arbitrary code"):
        check_no_pickle(path)


def test_unknown_extension_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"{}")
    assert "expected .onnx or .gguf" in refusal(path).en


def test_folder_or_missing_file_is_refused(tmp_path):
    (tmp_path / "dir.onnx").mkdir()
    assert "not a regular file" in refusal(tmp_path / "dir.onnx").en
    with pytest.raises(GenbaError, match="could not be opened"):
        check_model_file(tmp_path / "missing.onnx")


# --- GGUF ---


def test_valid_tiny_gguf_passes(tmp_path):
    info = check_model_file(write_gguf(tmp_path / "m.gguf"), available_bytes=PLENTY)
    assert info.kind == "gguf" and info.external_data == ()


def test_the_test_suites_tiny_llama_passes(tiny_gguf):
    assert check_model_file(tiny_gguf).kind == "gguf"


@pytest.mark.parametrize("arch", ["gpt2", "made-up"])
def test_gguf_with_unsupported_architecture_is_refused(tmp_path, arch):
    error = refusal(write_gguf(tmp_path / "m.gguf", arch=arch))
    assert f"'{arch}'" in error.en and "llama" in error.en
    assert error.field == "general.architecture"


def test_supported_architectures_can_be_widened(tmp_path):
    path = write_gguf(tmp_path / "m.gguf", arch="qwen2")
    check_model_file(path, supported_architectures={"llama", "qwen2"}, available_bytes=PLENTY)


@pytest.mark.parametrize("keep", [0.5, 0.1, 0.01])
def test_truncated_gguf_is_refused(tmp_path, keep):
    path = write_gguf(tmp_path / "m.gguf", tensors={"w": (np.ones((64, 32), np.float32), None)})
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    assert "damaged or incomplete" in refusal(path).en


def test_gguf_with_wrong_magic_or_version_is_refused(tmp_path):
    path = write_gguf(tmp_path / "m.gguf")
    data = bytearray(path.read_bytes())
    path.write_bytes(b"GGUX" + data[4:])
    assert "expected a .onnx or .gguf" in refusal(path).en
    path.write_bytes(b"GGUF" + (7).to_bytes(4, "little") + data[8:])
    assert "version 7" in refusal(path).en


def test_gguf_with_unsupported_tensor_type_is_refused(tmp_path):
    # One Q2_K block per row, written as raw bytes (84 bytes hold 256 weights).
    q2k = np.zeros((2, 84), dtype=np.uint8)
    path = write_gguf(tmp_path / "m.gguf", tensors={"w": (q2k, gguf.GGMLQuantizationType.Q2_K)})
    error = refusal(path)
    assert "Q2_K" in error.en and "Q4_K" in error.en and error.field == "w"


def test_gguf_with_forged_huge_array_count_is_refused_quickly(tmp_path):
    path = write_gguf(tmp_path / "m.gguf")
    data = path.read_bytes()
    # tokenizer.ggml.tokens: key, type ARRAY (9), item type STRING (8), count.
    key = b"tokenizer.ggml.tokens"
    at = data.index(key) + len(key) + 4 + 4
    forged = data[:at] + (2**62).to_bytes(8, "little") + data[at + 8 :]
    path.write_bytes(forged)
    assert "damaged" in refusal(path).en


def test_supported_gguf_types_all_dequantize_with_installed_gguf():
    from gguf.quants import dequantize

    for qtype in GGUF_TENSOR_TYPES:
        block, type_size = gguf.GGML_QUANT_SIZES[qtype]
        raw = np.zeros((1, type_size), dtype=np.uint8)
        assert dequantize(raw, qtype).size == block, qtype.name


def test_gguf_tensor_larger_than_free_memory_is_refused(tmp_path):
    path = write_gguf(tmp_path / "m.gguf", tensors={"w": (np.ones((64, 32), np.float32), None)})
    assert "memory" in refusal(path, available_bytes=1000).en


# --- GGUF: hostile headers from llama.cpp's CVE history, written byte by byte ---

U32, I32, F32, STR, ARR, U64 = 4, 5, 6, 8, 9, 10


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def text(value: str) -> bytes:
    return u64(len(value.encode())) + value.encode()


def array(item_type: int, items: list[bytes]) -> bytes:
    return u32(item_type) + u64(len(items)) + b"".join(items)


def raw_gguf(
    metadata: dict[str, tuple[int, bytes]] | None = None,
    *,
    dims: tuple[int, ...] = (32, 3),
    n_kv: int | None = None,
    n_tensors: int = 1,
) -> bytes:
    """A valid one-tensor llama GGUF v3 unless ``metadata`` entries (value type, payload) replace its own."""
    entries = {
        "general.architecture": (STR, text("llama")),
        "llama.block_count": (U32, u32(1)),
        "tokenizer.ggml.tokens": (ARR, array(STR, [text(t) for t in ("a", "b", "c")])),
        "tokenizer.ggml.token_type": (ARR, array(I32, [struct.pack("<i", 1)] * 3)),
    }
    entries.update(metadata or {})
    body = b"".join(text(key) + u32(vtype) + payload for key, (vtype, payload) in entries.items())
    body += text("token_embd.weight") + u32(len(dims)) + b"".join(u64(d) for d in dims) + u32(0) + u64(0)
    head = b"GGUF" + u32(3) + u64(n_tensors) + u64(len(entries) if n_kv is None else n_kv)
    header = head + body
    return header + b"\0" * (-len(header) % 32) + np.ones(32 * 3, np.float32).tobytes()


def test_the_byte_by_byte_gguf_is_valid(tmp_path):
    path = tmp_path / "m.gguf"
    path.write_bytes(raw_gguf())
    assert check_model_file(path, available_bytes=PLENTY).kind == "gguf"
    assert gguf.GGUFReader(path).fields["llama.block_count"].contents() == 1


HOSTILE_GGUF = {
    "huge n_kv": (dict(n_kv=2**63), "claims 9223372036854775808 metadata entries", None),
    "huge n_tensors": (dict(n_tensors=2**64 - 1), "and 18446744073709551615 tensors", None),
    "string length 2**64-1": (
        {"metadata": {"general.name": (STR, u64(2**64 - 1) + b"tiny")}},
        "a text claims 18446744073709551615 bytes",
        None,
    ),
    "dimensions multiplying past int64": (
        dict(dims=(2**32, 2**32)),
        "[4294967296, 4294967296], whose product does not fit in 64 bits",
        "token_embd.weight",
    ),
    "a dimension past int64": (dict(dims=(2**63, 1)), "does not fit in 64 bits", "token_embd.weight"),
    "alignment 0": (
        {"metadata": {"general.alignment": (U32, u32(0))}},
        "alignment 0 is not a power of two",
        "general.alignment",
    ),
    "alignment 48": (
        {"metadata": {"general.alignment": (U32, u32(48))}},
        "alignment 48 is not a power of two",
        "general.alignment",
    ),
    "alignment of type uint64": (
        {"metadata": {"general.alignment": (U64, u64(32))}},
        "general.alignment is a uint64, expected uint32",
        "general.alignment",
    ),
    "alignment of type string": (
        {"metadata": {"general.alignment": (STR, text("32"))}},
        "general.alignment is a string, expected uint32",
        "general.alignment",
    ),
    "block_count 513": (
        {"metadata": {"llama.block_count": (U32, u32(513))}},
        "llama.block_count is 513, expected 1 to 512 layers",
        "llama.block_count",
    ),
    "block_count 2**32-1": (
        {"metadata": {"llama.block_count": (U32, u32(2**32 - 1))}},
        "llama.block_count is 4294967295",
        "llama.block_count",
    ),
    "block_count of type float": (
        {"metadata": {"llama.block_count": (F32, struct.pack("<f", 1.0))}},
        "llama.block_count is a float32, expected an integer",
        "llama.block_count",
    ),
    "tokens as int32": (
        {"metadata": {"tokenizer.ggml.tokens": (ARR, array(I32, [u32(1)] * 3))}},
        "tokenizer.ggml.tokens is an array of int32, expected an array of strings",
        "tokenizer.ggml.tokens",
    ),
    "token types as strings": (
        {"metadata": {"tokenizer.ggml.token_type": (ARR, array(STR, [text("x")] * 3))}},
        "tokenizer.ggml.token_type is an array of string, expected an array of integers",
        "tokenizer.ggml.token_type",
    ),
    "merges as one string": (
        {"metadata": {"tokenizer.ggml.merges": (STR, text("a b"))}},
        "tokenizer.ggml.merges is string, expected an array of strings",
        "tokenizer.ggml.merges",
    ),
    "scores as uint32": (
        {"metadata": {"tokenizer.ggml.scores": (ARR, array(U32, [u32(0)] * 3))}},
        "tokenizer.ggml.scores is an array of uint32, expected an array of floats",
        "tokenizer.ggml.scores",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_GGUF))
def test_hostile_gguf_header_is_refused_with_what_was_found(tmp_path, case):
    options, expected, field = HOSTILE_GGUF[case]
    path = tmp_path / "m.gguf"
    path.write_bytes(raw_gguf(**options))
    assert path.stat().st_size < 1024
    error = refusal(path)
    assert expected in error.en and expected.split(",")[0].split(" is ")[0] in error.ja
    assert error.field == field


# --- fuzzing: any bytes give a GenbaError or pass, never another exception ---

VALID_GGUF_PREFIX = b"GGUF" + (3).to_bytes(4, "little")


def check_tolerates(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    with contextlib.suppress(GenbaError):
        check_model_file(path, available_bytes=1 << 30)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=600),
    suffix=st.sampled_from([".onnx", ".gguf"]),
    gguf_prefix=st.booleans(),
)
def test_arbitrary_bytes_never_escape_as_other_exceptions(tmp_path_factory, data, suffix, gguf_prefix):
    folder = tmp_path_factory.mktemp("fuzz")
    check_tolerates(folder / f"model{suffix}", (VALID_GGUF_PREFIX if gguf_prefix else b"") + data)


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("valid")
    return {
        ".gguf": write_gguf(folder / "m.gguf").read_bytes(),
        ".onnx": tiny_onnx(folder / "onnx").read_bytes(),
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    suffix=st.sampled_from([".onnx", ".gguf"]),
    edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
    keep=st.floats(0, 1),
)
def test_mutated_valid_models_never_escape_as_other_exceptions(
    tmp_path_factory, valid_files, suffix, edits, keep
):
    data = bytearray(valid_files[suffix])
    for where, value in edits:
        data[int(where * len(data))] = value
    folder = tmp_path_factory.mktemp("mutated")
    check_tolerates(folder / f"model{suffix}", bytes(data[: max(1, int(len(data) * keep))]))
