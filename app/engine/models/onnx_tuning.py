"""Tuning a user's ONNX model as its exporter wrote it: a causal LM or a sequence classifier.

The graph is edited once (``onnx_surgery``): LoRA-FA adapters on chosen linear layers, B fed as inputs with
a leading copy dimension, and the label-word loss computed in the graph. Every step then runs the whole
model: unlike our own Llama graphs there is no frozen-prefix cache, because the tensors that cross from the
frozen layers into the tuned ones (masks, rotary tables, residual stream) differ between exporters.

The session is built from memory with the source folder as the base for external data, so nothing is
written next to the user's model (it may sit on a read-only USB stick).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import onnx
import onnxruntime as ort

from app.engine.data.prompting import EncodedExamples, PromptSpec, encode_examples
from app.engine.data.task_file import write_task_file
from app.engine.data.tokenizer import load_tokenizer_json
from app.engine.errors import GenbaError
from app.engine.events import ProgressEvent
from app.engine.models.adapters import AdapterConfig, SiteShape, frozen_a
from app.engine.models.llama_config import ClassHead
from app.engine.models.model_safety import check_model_file
from app.engine.models.onnx_inspect import LOGITS, LinearSite, LmHead, find_linear_sites, find_lm_head
from app.engine.models.onnx_models import onnx_model_kind
from app.engine.models.onnx_objective import STANDARD_INPUTS, OnnxObjective, is_cache_input
from app.engine.models.onnx_surgery import (
    ANSWER_INDEX,
    LABEL_IDS,
    add_adapters,
    add_label_loss,
    label_head_feeds,
    merge_adapters,
    save_model,
)
from app.engine.models.ort_runtime import session_options
from app.engine.models.tunable import ExportedModel, ExportRequest, NewTexts, Tuning, TuningRequest
from app.engine.run_files import CLASS_LOGITS, ONNX_DATA_FILE
from app.engine.storage import check_free_space, replace_folder, sha256_file

# Files an exporter puts beside model.onnx that a user of the merged model needs too.
COMPANION_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "config.json",
    "generation_config.json",
)
# onnxruntime >= 1.17: where a model loaded from memory finds its external data.
_EXTERNAL_FOLDER_KEY = "session.model_external_initializers_file_folder_path"
# config.json keys exporters use for the longest sequence a model takes (learned position tables).
_MAX_POSITION_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")


def session_from_model(
    model: onnx.ModelProto, folder: Path, *, threads: int | None = None, share_cores: bool = False
):
    """An InferenceSession on an in-memory graph whose external data lives in ``folder``."""
    so = session_options(threads=threads, share_cores=share_cores)
    so.add_session_config_entry(_EXTERNAL_FOLDER_KEY, str(Path(folder).resolve()))
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def external_locations(model: onnx.ModelProto) -> tuple[str, ...]:
    """The external-data files the graph's initializers refer to, sorted, each once."""
    found = set()
    for t in model.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            found |= {e.value for e in t.external_data if e.key == "location"}
    return tuple(sorted(found))


def _no_sites_error(graph: onnx.ModelProto, path: Path) -> GenbaError:
    if any(i.name == "use_cache_branch" for i in graph.graph.input):
        return GenbaError(
            "This is a merged decoder (it has the input use_cache_branch), whose layers sit inside If branches "
            "the tuner cannot adapt. Open the exporter's decoder_model.onnx or model.onnx instead.",
            "これは統合デコーダー（入力 use_cache_branch を持つ）で、層が If の分岐の中にあるため調整できません。"
            "エクスポーターが書き出した decoder_model.onnx か model.onnx を開いてください。",
            path=path,
        )
    return GenbaError(
        "No tunable linear layer was found: expected MatMul or Gemm nodes whose weights are float32 matrices "
        "stored in the model (quantized or float16 models cannot be tuned).",
        "調整できる線形層が見つかりません。重みがモデル内の float32 行列である MatMul / Gemm が必要です"
        "（量子化モデルや float16 モデルは調整できません）。",
        path=path,
    )


@dataclass
class OnnxTunableModel:
    """An exporter's ONNX causal LM or sequence classifier with ``tokenizer.json`` beside it.

    Use: ``open`` -> ``choose_sites`` -> ``adapt`` (builds the session) -> ``objective(encoded)`` for the
    ZO loop -> ``export_merged(b, folder)``.
    """

    path: Path
    kind: str  # "onnx-causal-lm" | "onnx-classifier"
    sites: list[LinearSite]  # every tunable linear layer, in graph order
    head: LmHead | None  # causal LMs only
    external_files: tuple[str, ...]  # external-data locations, relative to the model's folder
    logits_dim: int | None  # vocabulary or class count, when the graph states it
    threads: int | None = None
    share_cores: bool = False
    adapted: list[LinearSite] | None = None  # set by adapt()
    a: dict[str, np.ndarray] | None = None  # frozen A_scaled [in, r] per adapted site
    session: object = None
    takes_head: ClassVar[bool] = False  # read out as exported

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        threads: int | None = None,
        share_cores: bool = False,
        kind: str | None = None,
    ) -> OnnxTunableModel:
        """Read the graph (not the weights) and find its linear layers and head.

        ``kind``: given by ``models.resolve_model``, which has already passed the file through
        ``model_safety.check_model_file``; without it the file is checked and classified here.
        """

        path = Path(path)
        if not path.is_file():
            raise GenbaError(
                f"Model file not found: {path.name} (in {path.parent}).",
                f"モデルファイル「{path.name}」が見つかりません（フォルダー: {path.parent}）。",
                path=path,
            )
        if kind is None:
            check_model_file(path)
            kind = onnx_model_kind(path)
        if not (path.parent / "tokenizer.json").is_file():
            raise GenbaError(
                "No tokenizer.json beside this ONNX model; put the model's tokenizer.json in the same folder.",
                "この ONNX モデルと同じフォルダーに tokenizer.json がありません。モデルの tokenizer.json を同じ"
                "フォルダーに置いてください。",
                path=path,
            )
        graph = onnx.load(str(path), load_external_data=False)
        head = find_lm_head(graph, path) if kind == "onnx-causal-lm" else None
        sites = find_linear_sites(graph)
        if not sites:
            raise _no_sites_error(graph, path)
        outputs = {o.name: o for o in graph.graph.output}
        dims = outputs[LOGITS].type.tensor_type.shape.dim if LOGITS in outputs else []  # none: an encoder
        logits_dim = dims[-1].dim_value if dims and dims[-1].HasField("dim_value") else None
        return cls(path, kind, sites, head, external_locations(graph), logits_dim, threads, share_cores)

    # --- what can be tuned ---------------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def n_layers(self) -> int | None:
        """1 + the highest layer index the node names give, or None when they give none."""
        layers = [s.layer for s in self.sites if s.layer is not None]
        return max(layers) + 1 if layers else None

    def top_layers(self, max_layers: int) -> list[int]:
        n = self.n_layers
        return [] if n is None else list(range(max(0, n - max_layers), n))

    def default_layers(self, max_layers: int) -> tuple[list[int], dict]:
        """The top layers, unprobed: a probe needs the frozen-prefix cache our own Llama graphs have."""
        layers = self.top_layers(max_layers)
        reason = {"method": "top layers of a user ONNX model (no probe)", "n_layers": self.n_layers}
        if not layers:
            reason["method"] = (
                "last linear layers of a user ONNX model (its names carry no layer numbers; no probe)"
            )
        return layers, reason

    def gram_pieces(self) -> None:
        """No text blocks: the graph reads out by itself and takes no head."""
        return None

    def choose_sites(
        self, projections: tuple[str, ...] = ("q", "v"), layers: list[int] | None = None, max_layers: int = 4
    ) -> list[LinearSite]:
        """``projections`` of ``layers`` (default: the top ``max_layers``), as in MeZO-LoRA and P-RGE.

        When the layers parse but hold none of those projections (GPT-2's fused c_attn, say), every linear
        layer of those layers; when no layer index parses, the last ``max_layers * len(projections)`` sites.
        """
        layers = self.top_layers(max_layers) if layers is None else list(layers)
        if layers:
            in_layers = [s for s in self.sites if s.layer in layers]
            return [s for s in in_layers if s.proj in projections] or in_layers
        return self.sites[-max_layers * len(projections) :]

    def site_shapes(self, sites: list[LinearSite]) -> list[SiteShape]:
        return [SiteShape(s.key, s.d_in, s.d_out) for s in sites]

    # --- data ---------------------------------------------------------------------------------------------
    def tokenizer(self):
        return load_tokenizer_json(self.folder / "tokenizer.json")

    @property
    def max_positions(self) -> int | None:
        """The longest sequence the model takes, from the exporter's config.json when it says."""
        try:
            config = json.loads((self.folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        values = [config.get(k) for k in _MAX_POSITION_KEYS] if isinstance(config, dict) else []
        return next((v for v in values if isinstance(v, int) and not isinstance(v, bool) and v > 0), None)

    def encode(
        self, spec: PromptSpec, examples, max_tokens: int = 128, long_text: str = "truncate"
    ) -> EncodedExamples:
        """Token ids per example. A causal LM reads the prompt; a classifier the raw text with the
        tokenizer's own special tokens, class i being the i-th label (as ``OnnxClassifierScorer``)."""
        tokenizer = self.tokenizer()
        if self.kind == "onnx-causal-lm":
            return encode_examples(tokenizer, spec, examples, max_tokens, long_text=long_text)
        index = {lab: i for i, lab in enumerate(spec.labels)}
        ids = tuple(
            np.asarray(tokenizer.encode(ex.text).ids[:max_tokens] or [0], dtype=np.int64) for ex in examples
        )
        labels = np.array([index[ex.label] for ex in examples], dtype=np.int64)
        return EncodedExamples(ids, labels, np.arange(len(spec.labels), dtype=np.int64))

    def head_feeds(self, token_ids: np.ndarray) -> dict[str, np.ndarray]:
        """``label_head`` (+ ``label_bias``) for the label words' first tokens; empty for a classifier."""
        if self.head is None:
            return {}
        graph = onnx.load(str(self.path), load_external_data=False)
        return label_head_feeds(graph, self.head, token_ids, self.folder)

    # --- tuning -------------------------------------------------------------------------------------------
    def adapt(self, sites: list[LinearSite], adapter_cfg: AdapterConfig) -> None:
        """Build the adapted graph with the label loss and open its session (once per run)."""
        a = {
            s.key: frozen_a(shape, adapter_cfg)
            for s, shape in zip(sites, self.site_shapes(sites), strict=True)
        }
        graph = onnx.load(str(self.path), load_external_data=False)
        add_adapters(graph, sites, a, inplace=True)
        self.add_scoring(graph)
        self.session = session_from_model(
            graph, self.folder, threads=self.threads, share_cores=self.share_cores
        )
        self.adapted, self.a = list(sites), a

    def add_scoring(self, graph: onnx.ModelProto) -> None:
        """Make the adapted graph's outputs what ``new_objective`` reads: the label-word loss."""
        add_label_loss(graph, self.path, inplace=True)

    def new_objective(self, encoded: EncodedExamples) -> OnnxObjective:
        """The objective on the adapted session (``adapt``)."""
        return OnnxObjective(
            self.session,
            encoded,
            self.adapted,
            self.head_feeds(encoded.label_token_ids),
            self.path,
            self.max_positions,
        )

    def objective(self, encoded: EncodedExamples, *, verify: bool = True) -> OnnxObjective:
        """The ZO objective on these examples; ``verify`` first checks the copies stay independent."""
        if self.session is None or self.adapted is None:
            raise RuntimeError("call adapt() before objective()")
        if self.kind == "onnx-classifier":
            self.check_labels([str(i) for i in range(len(encoded.label_token_ids))])
        objective = self.new_objective(encoded)
        ours = {LABEL_IDS, ANSWER_INDEX, *objective.head_feeds} | {s.input_name for s in self.adapted}
        unknown = sorted(
            n for n in objective.inputs if n not in STANDARD_INPUTS | ours and not is_cache_input(n)
        )
        if unknown:
            raise GenbaError(
                f"The model needs inputs the tuner cannot fill: {', '.join(unknown)}. Expected only input_ids, "
                "attention_mask, position_ids, token_type_ids and past_key_values.*.",
                f"調整で値を用意できない入力がモデルにあります: {', '.join(unknown)}。input_ids、attention_mask、"
                "position_ids、token_type_ids、past_key_values.* のみに対応しています。",
                path=self.path,
            )
        if verify and self.adapted:
            self._verify_copies(objective)
        return objective

    def prepare_tuning(self, request: TuningRequest) -> Tuning:
        """Sites (recorded in ``Tuning.info``, so a resumed run adapts the same ones), adapted graph, objective."""
        layers, saved_sites, sink = request.layers, request.saved_sites, request.sink
        if saved_sites is None:
            chosen = self.choose_sites(request.projections, layers, request.max_layers)
            if not chosen:
                raise GenbaError(
                    f"The chosen layers {layers} hold no tunable linear layer in this model.",
                    f"指定した層 {layers} には、このモデルで調整できる線形層がありません。",
                    path=self.path,
                    field="tuned_layers",
                )
            saved_sites = [s.key for s in chosen]
        by_key = {s.key: s for s in self.sites}
        missing = [k for k in saved_sites if k not in by_key]
        if missing:
            raise GenbaError(
                f"Cannot resume: the model no longer has the tuned layers {', '.join(missing)}.",
                f"再開できません: 調整していた層 {', '.join(missing)} がモデルにありません。",
                path=self.path,
            )
        sites = [by_key[k] for k in saved_sites]
        en, ja = "Preparing the model for tuning", "モデルを調整用に準備中"
        sink(ProgressEvent("prepare", 0.0, en, ja))
        self.adapt(sites, request.adapter_cfg)
        objective = self.objective(request.encoded)
        sink(ProgressEvent("prepare", 1.0, en, ja))
        return Tuning(
            sites, dict(self.a), objective, None, info={"sites": list(saved_sites)}, for_texts=self.new_texts
        )

    def new_texts(self, encoded: EncodedExamples) -> NewTexts:
        """Other texts on the adapted session (``adapt``), read out as the graph reads them."""
        return NewTexts(self.new_objective(encoded), None)

    def check_labels(self, labels: Sequence[str]) -> None:
        """A classifier must have one class per label (class i is the i-th label in sorted order)."""
        labels = list(labels)
        n = len(labels)
        if self.kind != "onnx-classifier" or self.logits_dim is None or self.logits_dim == n:
            return
        shown = ", ".join(labels[:8]) + (", ..." if n > 8 else "")
        raise GenbaError(
            f"The classifier has {self.logits_dim} classes but the data has {n} labels ({shown}). Use examples "
            f"with exactly {self.logits_dim} labels (class i is the i-th label in sorted order), or a classifier "
            f"made for {n} classes.",
            f"分類モデルのクラス数は {self.logits_dim} ですが、データのラベル数は {n} です（{shown}）。"
            f"ラベルがちょうど {self.logits_dim} 種類の学習データを使う（クラス i は並べ替えた i 番目のラベル）か、"
            f"{n} クラス用の分類モデルを使ってください。",
            path=self.path,
        )

    def _verify_copies(self, objective: OnnxObjective) -> None:
        """Copy 0 with B = 0 beside a random copy 1 must score as B = 0 alone, and copy 1 differently.

        Fails when the graph's activations are not batch-first (rows of copies would mix in the adapter's
        reshape) or when the adapters do not reach the loss.
        """
        rows = np.arange(min(2, len(objective.encoded)))
        rng = np.random.default_rng(0)
        zero = {s.key: np.zeros((1, self.a[s.key].shape[1], s.d_out), np.float32) for s in self.adapted}
        pair = {
            k: np.concatenate([v, rng.standard_normal(v.shape, dtype=np.float32)]) for k, v in zero.items()
        }
        alone = self.copy_outputs(objective, rows, zero)[0]
        both = self.copy_outputs(objective, rows, pair)
        objective.forward_examples = 0
        mixed = not np.allclose(both[0], alone, rtol=1e-4, atol=1e-5)
        if mixed or np.allclose(both[1], alone, rtol=0, atol=1e-7):
            what = (
                "perturbed copies of the adapters change each other's results (the graph is not batch-first)"
                if mixed
                else "the adapters do not change the loss"
            )
            ja = (
                "アダプターの摂動コピー同士が互いの結果を変えてしまいます（バッチ次元が先頭のグラフではありません）"
                if mixed
                else "アダプターが損失に影響しません"
            )
            raise GenbaError(
                f"This model cannot be tuned as exported: {what}.",
                f"このモデルは書き出された形のままでは調整できません: {ja}。",
                path=self.path,
                detail=f"alone={alone.tolist()} copies={both.tolist()}",
            )

    def copy_outputs(self, objective: OnnxObjective, rows: np.ndarray, copies: dict) -> np.ndarray:
        """[P, E, ...] what each perturbed copy computes (``_verify_copies``): the loss."""
        return objective.run(rows, copies)[0]

    # --- the deliverable ----------------------------------------------------------------------------------
    def export(self, tuning: Tuning, request: ExportRequest) -> ExportedModel:
        """The source graph with the adapters of ``prepare_tuning`` folded in (``export_merged``)."""
        path = self.export_merged(
            request.b,
            request.target,
            request.spec,
            request.progress,
            max_tokens=request.max_tokens,
            long_text=request.long_text,
            head=request.head,
        )
        files = [f for f in (path, path.with_name(ONNX_DATA_FILE)) if f.is_file()]
        hashes = {f.name: sha256_file(f) for f in files}
        return ExportedModel(path, hashes[files[-1].name], hashes)  # files[-1] holds the weights

    def export_merged(
        self,
        b: dict[str, np.ndarray],
        target: str | os.PathLike[str],
        spec: PromptSpec | None = None,
        progress: Callable[[float], None] | None = None,
        max_tokens: int = 128,
        long_text: str = "truncate",
        head: ClassHead | None = None,
    ) -> Path:
        """Write ``target/model.onnx`` with the adapters folded in; returns its path.

        Same inputs and outputs as the source (plus ``class_logits`` when ``head`` is given: an encoder's,
        ``add_export_head``). Weights go to ``model.onnx.data`` when the source kept them
        outside or they exceed 1.5 GB. The tokenizer and exporter JSON files are copied, and the prompt goes
        to ``genba_task.json`` with ``max_tokens``. Written into ``<target>.partial`` and renamed, like
        ``LlamaModel.export``.
        """

        if self.adapted is None or self.a is None:
            raise RuntimeError("call adapt() before export_merged()")
        target = Path(target)
        files = [self.path] + [self.folder / loc for loc in self.external_files]
        check_free_space(target.parent, sum(f.stat().st_size for f in files))

        def write(staging: Path) -> None:
            model = onnx.load(str(self.path))  # with its weights, read from the model's folder
            if progress is not None:
                progress(0.3)
            merge_adapters(model, self.adapted, self.a, b, inplace=True)
            self.add_export_head(model, head)
            if progress is not None:
                progress(0.5)
            save_model(model, staging, external=True if self.external_files else None)
            del model
            for name in COMPANION_FILES:
                if (self.folder / name).is_file():
                    shutil.copyfile(self.folder / name, staging / name)
            if spec is not None:
                # A classifier reads the raw text, always cut at its end (``encode``).
                cut = long_text if self.kind == "onnx-causal-lm" else "truncate"
                tokenizer = self.tokenizer() if cut != "truncate" else None
                write_task_file(
                    staging, spec, max_tokens, CLASS_LOGITS if head is not None else None, cut, tokenizer
                )

        replace_folder(target, write)
        if progress is not None:
            progress(1.0)
        return target / "model.onnx"

    def add_export_head(self, model: onnx.ModelProto, head: ClassHead | None) -> None:
        """Append a fitted head to the merged graph; a user's LM or classifier is read out as exported."""
        if head is not None:
            raise ValueError("a user's ONNX graph is read out as exported; it takes no fitted head")
