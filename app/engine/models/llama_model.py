"""A converted Llama model as the tuner sees it: a frozen-prefix cache and one loss session.

Adapters sit only in layers ``[start, L)``, so the hidden states entering layer ``start`` never change
during a run: they are computed once per example (``PrefixCache``) and every perturbed forward runs only
the tuned suffix. With the top 4 of 30 layers tuned this cuts a step's FLOPs by ~7x (docs/BENCHMARKS.md).

The cache is kept within a memory budget (a quarter of the RAM available when it is built, unless the
caller gives one): fp32 if it fits, else fp16, else fp16 in a temporary file next to the run (memory-mapped,
so the OS pages it in and out). If that file cannot be made (disk full, read-only folder), it stays in RAM as
fp16 and says so. It lives for one run only and is built from that run's examples and lowest tuned layer,
so a change of data or layers can never meet a stale cache; a resumed run rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import onnx
import psutil

from app.engine.data.prompting import EncodedExamples, PromptSpec, encode_examples
from app.engine.data.task_file import write_task_file
from app.engine.data.tokenizer import load_tokenizer_json
from app.engine.events import ProgressEvent
from app.engine.models.adapters import AdapterConfig, SiteShape, frozen_a, merged_delta
from app.engine.models.llama_config import POOL_EPS, AdapterSite, LlamaConfig, weight_name
from app.engine.models.llama_graph import build_causal_lm, build_loss_graph, build_prefix
from app.engine.models.objective import BatchObjective, Readout
from app.engine.models.ort_runtime import create_session
from app.engine.models.tunable import ExportedModel, ExportRequest, NewTexts, Tuning, TuningRequest
from app.engine.models.weights import WeightStore, WeightWriter
from app.engine.run_files import CLASS_LOGITS
from app.engine.storage import replace_folder, sha256_file


def _save_graph_once(model: onnx.ModelProto, folder: Path, stem: str) -> Path:
    """Graphs are named by their content; written atomically so concurrent runs can share them."""
    data = model.SerializeToString()
    path = folder / f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}.onnx"
    if not path.exists():
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return path


CACHE_SHARE_OF_AVAILABLE_RAM = 0.25


@dataclass(frozen=True)
class CachePlan:
    """How a prefix cache is stored: "fp32", "fp16" (both in RAM) or "fp16-disk" (memory-mapped file)."""

    storage: str
    budget_bytes: int
    fp32_bytes: int
    note: str = ""  # why it is not where the budget put it, if it is not

    @property
    def dtype(self):
        return np.float32 if self.storage == "fp32" else np.float16


def plan_cache(n_values: int, budget_bytes: int | None = None) -> CachePlan:
    """fp32 if it fits the budget, else fp16 if that fits, else fp16 on disk."""
    if budget_bytes is None:
        budget_bytes = int(psutil.virtual_memory().available * CACHE_SHARE_OF_AVAILABLE_RAM)
    fp32 = 4 * n_values
    if fp32 <= budget_bytes:
        return CachePlan("fp32", budget_bytes, fp32)
    if fp32 // 2 <= budget_bytes:
        return CachePlan("fp16", budget_bytes, fp32)
    return CachePlan("fp16-disk", budget_bytes, fp32)


def _allocate(plan: CachePlan, shape: tuple[int, int], spill_dir: str | os.PathLike[str] | None):
    """The cache array for a plan, and the plan as carried out (disk trouble falls back to fp16 in RAM)."""
    if plan.storage != "fp16-disk":
        return np.zeros(shape, dtype=plan.dtype), None, plan
    handle = None
    try:
        # An anonymous temporary file, deleted when closed (or when the process dies) on every OS; it must
        # outlive this function (the cache closes it), hence no context manager.
        handle = tempfile.TemporaryFile(prefix="genba-prefix-", dir=spill_dir)  # noqa: SIM115
        return np.memmap(handle, dtype=np.float16, mode="w+", shape=shape), handle, plan
    except OSError as exc:
        if handle is not None:
            handle.close()
        fallback = CachePlan(
            "fp16", plan.budget_bytes, plan.fp32_bytes, f"no spill file ({exc}); kept in RAM"
        )
        return np.zeros(shape, dtype=np.float16), None, fallback


def pool_states(x: np.ndarray) -> np.ndarray:
    """[H] fp32: one example's states [T, H] RMS-normalised per token, averaged over its tokens but the first
    (one token: that one), divided by sqrt(H) (``PrefixCache.pooled``; ``llama_graph._pooled`` in the graph)."""
    n = len(x)
    x = np.asarray(x[1 if n > 1 else 0 :], dtype=np.float32)
    x = x / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + POOL_EPS)
    return x.mean(axis=0) / np.float32(np.sqrt(x.shape[1]))


def pool_layers(n_layers: int, start: int) -> tuple[int, ...]:
    """The layers below ``start`` whose entering states the caching pass also pools for the head.

    Up to two, a third and two thirds of the way from a third of the depth to ``start``. The first tuned
    layer's states are not the best ones to read: cross-validated on the training rows, a probe on the states
    entering SmolLM2's layer 17 beat layer 22's on Rotten Tomatoes (0.812 vs 0.795), Gemma's layer 10 beat
    layer 12's on the Japanese task (0.809 vs 0.786). Which layer is best differs by model and task, so the
    head weighs each layer's part by its out-of-fold scores (docs/BENCHMARKS.md, "Pooled states of several
    layers"). The states at a third of the depth itself, a third candidate until 2026-12-04, never weighed
    in: weight 0 in all 19 heads fitted on the four benchmark tasks (``bench.pooled_layers``,
    ``bench.splits``).
    """
    low = n_layers // 3
    if start <= low + 1:
        return ()
    return tuple(sorted({round(low + (start - low) * i / 3) for i in (1, 2)} - {start}))


class PrefixCache:
    """Hidden states entering the first tuned layer, one [T_i, H] block per example, in one array."""

    def __init__(
        self,
        blocks: np.ndarray,
        offsets: np.ndarray,
        lengths: np.ndarray,
        plan: CachePlan | None = None,
        handle=None,
    ) -> None:
        self.blocks = blocks  # [sum T_i, H], fp32, fp16 or a memory-mapped fp16 file
        self.offsets = offsets
        self.lengths = lengths
        self.plan = plan or CachePlan("fp32", blocks.nbytes, blocks.nbytes)
        self._handle = handle  # the spill file, closed (and so deleted) with the cache
        # layer -> [N, H]: the states entering layers below the cached one, pooled as ``pooled`` pools these,
        # and at the answer position as ``answers`` reads these
        self.pooled_below: dict[int, np.ndarray] = {}
        self.answers_below: dict[int, np.ndarray] = {}

    @property
    def storage(self) -> str:
        return self.plan.storage

    def close(self) -> None:
        if self._handle is not None:
            self.blocks = np.zeros((0, self.blocks.shape[1]), dtype=np.float16)
            self._handle.close()
            self._handle = None

    @property
    def nbytes(self) -> int:
        return int(self.blocks.nbytes)

    def pooled(self) -> np.ndarray:
        """[N, H] fp32: each example's states, RMS-normalised per token, averaged over its tokens but the
        first, divided by sqrt(H) so that no row's norm exceeds 1 (as the n-gram rows, so one L2 strength suits
        both in ``app.engine.tuning.head``).

        A feature block the adapters cannot move (the layers before them are frozen) that reads the whole
        text rather than one position. The first token is left out: its state is an outlier of huge norm
        in these models (an attention sink) and says nothing about the text. ``llama_graph._pooled`` is the
        same computation in the exported graph.
        """
        out = np.empty((len(self.lengths), self.blocks.shape[1]), dtype=np.float32)
        for r, (o, n) in enumerate(zip(self.offsets, self.lengths, strict=True)):
            out[r] = pool_states(self.blocks[o : o + n])
        return out

    def pooled_by_layer(self, layer: int) -> dict[int, np.ndarray]:
        """``pooled()`` as the states entering ``layer`` (the cached ones), beside the same pooling of the
        layers below that the caching pass kept (``pool_layers``)."""
        return self.pooled_below | {layer: self.pooled()}

    def answers(self) -> np.ndarray:
        """[N, H] fp32: each example's state at its answer position (its last token), RMS-normalised and
        divided by sqrt(H) as ``pooled`` normalises each token: what the model makes of the text once it has
        read the question. A head that also reads these at the pooled layers scored +0.5 points on Rotten
        Tomatoes' test rows and +1.2 on the Japanese task's, over five splits each, and tied on the demo and
        spam tasks (docs/BENCHMARKS.md, "The same layers' states at the answer position").
        ``llama_graph._at_answer`` is the same in the graph."""
        out = np.empty((len(self.lengths), self.blocks.shape[1]), dtype=np.float32)
        for r, (o, n) in enumerate(zip(self.offsets, self.lengths, strict=True)):
            out[r] = pool_states(self.blocks[o + n - 1 : o + n])
        return out

    def answers_by_layer(self, layer: int) -> dict[int, np.ndarray]:
        """``answers()`` as the states entering ``layer``, beside those of the layers ``pooled_below`` has."""
        return self.answers_below | {layer: self.answers()}

    def batch(self, rows: np.ndarray) -> np.ndarray:
        """Right-padded hidden states [E, T, H] (fp32) for the given examples."""
        t = int(self.lengths[rows].max())
        out = np.zeros((len(rows), t, self.blocks.shape[1]), dtype=np.float32)
        for i, r in enumerate(rows):
            o, n = self.offsets[r], self.lengths[r]
            out[i, :n] = self.blocks[o : o + n]
        return out


@dataclass
class LlamaModel:
    """A converted GGUF model folder: weights.bin, config.json, tokenizer.json."""

    folder: Path
    cfg: LlamaConfig
    meta: dict
    threads: int | None = None
    share_cores: bool = False

    @classmethod
    def open(cls, folder: str | os.PathLike[str], **kw) -> LlamaModel:
        folder = Path(folder)
        raw = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return cls(folder, LlamaConfig(**raw["llama"]), raw["meta"], **kw)

    @property
    def store(self) -> WeightStore:
        return WeightStore(self.folder)

    def tokenizer(self):
        return load_tokenizer_json(self.folder / "tokenizer.json")

    def gram_pieces(self) -> list[str | None]:
        """The vocabulary's pieces by token id (what a head's character n-grams are read from)."""
        tok = self.tokenizer()
        return [tok.id_to_token(i) for i in range(tok.get_vocab_size())]

    def session(self, model: onnx.ModelProto, stem: str):
        return create_session(
            _save_graph_once(model, self.folder, stem),
            threads=self.threads,
            share_cores=self.share_cores,
            own_graph=True,  # built by llama_graph.py from a checked GGUF: full optimisation
        )

    def site_shapes(self, sites: list[AdapterSite]) -> list[SiteShape]:
        return [SiteShape(s.key, *self.cfg.proj_shape(s.proj)) for s in sites]

    @property
    def head_name(self) -> str:
        return "embed" if self.cfg.tied_embeddings else "lm_head"

    def label_head(self, token_ids: np.ndarray) -> np.ndarray:
        """LM-head rows of the label words, [C, H]."""
        return self.store.float_rows(self.head_name, token_ids)

    def label_continuation(
        self, encoded: EncodedExamples, batch_size: int = 16, progress: Callable[[float], None] | None = None
    ) -> np.ndarray:
        """[N, C] fp32: log p(label word's later tokens | prompt, its first token) of the frozen model.

        Added to the first token's logit, it scores each class by its whole word (zeros for one-token words
        and when ``encoded`` needs no whole-word scores). Computed once at zero adapters, so it stays fixed
        while they move: the first token carries what tuning changes. One forward pass per class and example
        (prompt + the word but its last token) gives every later token's position; the final norm and the LM
        head over the full vocabulary are applied here, the head in slices (Gemma's vocabulary is 262,144).
        """
        n, c = len(encoded), len(encoded.label_token_ids)
        out = np.zeros((n, c), dtype=np.float32)
        if not encoded.whole_labels:
            return out
        n_layers = self.cfg.n_layers
        session = self.session(build_prefix(self.cfg, self.store, n_layers), f"prefix{n_layers}")
        norm = np.asarray(self.store.array("norm"), dtype=np.float32)
        prompt_len = np.array([len(ids) for ids in encoded.ids], dtype=np.int64)
        multi = [k for k, t in enumerate(encoded.label_tokens) if len(t) > 1]
        for done, k in enumerate(multi):
            tokens = encoded.label_tokens[k]
            extended = EncodedExamples(
                tuple(np.concatenate([ids, tokens[:-1]]) for ids in encoded.ids),
                encoded.label_index,
                encoded.label_token_ids,
            )
            for start in range(0, n, batch_size):
                rows = np.arange(start, min(start + batch_size, n))
                ids, _, _ = extended.batch(rows)
                hidden = session.run(["hidden"], {"input_ids": ids})[0]  # [E, T, H] before the final norm
                for j in range(1, len(tokens)):  # position L-1+j (token j-1 of the word) predicts token j
                    h = hidden[np.arange(len(rows)), prompt_len[rows] - 1 + j]
                    h = h / np.sqrt(np.mean(h * h, axis=-1, keepdims=True) + self.cfg.rms_eps) * norm
                    out[rows, k] += self._log_probs(h, int(tokens[j]))
            if progress is not None:
                progress((done + 1) / len(multi))
        return out

    def _log_probs(self, features: np.ndarray, token: int, rows_per_slice: int = 16384) -> np.ndarray:
        """[E] log-softmax of the LM head's logits at ``token``, the vocabulary read in slices."""
        vocab = self.store.shape(self.head_name)[0]
        f = features.astype(np.float32)
        top = np.full(len(f), -np.inf)
        total = np.zeros(len(f))
        for s in range(0, vocab, rows_per_slice):
            logits = f @ self.store.float_rows(self.head_name, np.arange(s, min(s + rows_per_slice, vocab))).T
            m = np.maximum(top, logits.max(axis=1))
            total = total * np.exp(top - m) + np.exp(logits - m[:, None]).sum(axis=1)
            top = m
        chosen = f @ self.label_head(np.array([token]))[0]
        return (chosen - top - np.log(total)).astype(np.float32)

    def build_prefix_cache(
        self,
        encoded: EncodedExamples,
        start_layer: int,
        progress: Callable[[float], None] | None = None,
        batch_size: int = 16,
        budget_bytes: int | None = None,
        spill_dir: str | os.PathLike[str] | None = None,
        session=None,
        also: tuple[int, ...] = (),
    ) -> PrefixCache:
        """Run the frozen layers once per example (length-sorted batches to waste little on padding).

        ``budget_bytes``: RAM the cache may take (default: a quarter of the available RAM); ``spill_dir``:
        where a cache over budget is memory-mapped (default: the system's temporary folder); ``session``: an
        open prefix session for ``start_layer`` and ``also`` (default: open one); ``also``: layers below
        ``start_layer`` whose entering states are pooled on the way (``PrefixCache.pooled_below``).
        """
        lengths = np.array([len(x) for x in encoded.ids], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        shape = (int(lengths.sum()), self.cfg.hidden)
        blocks, handle, plan = _allocate(plan_cache(shape[0] * shape[1], budget_bytes), shape, spill_dir)
        if session is None:
            session = self.prefix_session(start_layer, also)
        below = {layer: np.zeros((len(lengths), self.cfg.hidden), np.float32) for layer in also}
        answers = {layer: np.zeros((len(lengths), self.cfg.hidden), np.float32) for layer in also}
        order = np.argsort(lengths, kind="stable")
        for done, start in enumerate(range(0, len(order), batch_size)):
            rows = order[start : start + batch_size]
            ids, _, _ = encoded.batch(rows)
            hidden, *states = session.run(
                ["hidden"] + [f"hidden{layer}" for layer in also], {"input_ids": ids}
            )
            for i, r in enumerate(rows):
                blocks[offsets[r] : offsets[r] + lengths[r]] = hidden[i, : lengths[r]]
                for layer, x in zip(also, states, strict=True):
                    below[layer][r] = pool_states(x[i, : lengths[r]])
                    answers[layer][r] = pool_states(x[i, lengths[r] - 1 : lengths[r]])
            if progress is not None:
                progress(min(1.0, (done + 1) * batch_size / len(order)))
        cache = PrefixCache(blocks, offsets, lengths, plan, handle)
        cache.pooled_below, cache.answers_below = below, answers
        return cache

    def prefix_session(self, start_layer: int, also: tuple[int, ...] = ()):
        """The frozen layers below ``start_layer`` (``build_prefix``), with the states entering ``also``."""
        stem = f"prefix{start_layer}" + "".join(f"_{layer}" for layer in also)
        return self.session(build_prefix(self.cfg, self.store, start_layer, also), stem)

    def loss_session(
        self, start_layer: int, sites: list[AdapterSite], adapter_cfg: AdapterConfig, from_ids: bool = False
    ):
        a = {s.key: frozen_a(s, adapter_cfg) for s in self.site_shapes(sites)}
        graph = build_loss_graph(self.cfg, self.store, start_layer, sites, a, from_ids=from_ids)
        return self.session(graph, f"loss{start_layer}")

    def causal_lm_graph(self, override: dict[str, np.ndarray] | None = None) -> onnx.ModelProto:
        return build_causal_lm(self.cfg, self.store, override)

    # --- TunableModel (app.engine.models.tunable) -----------------------------------------------------------
    external_files: ClassVar[tuple[str, ...]] = ()  # the converted folder is ours, hashed through the GGUF
    takes_head: ClassVar[bool] = True

    @property
    def n_layers(self) -> int:
        return self.cfg.n_layers

    def check_labels(self, labels: Sequence[str]) -> None:
        """Any labels: each is read out through its label word's row of the LM head."""

    def encode(
        self, spec: PromptSpec, examples, max_tokens: int = 128, long_text: str = "truncate"
    ) -> EncodedExamples:
        """Label words that start alike are kept whole (scored by ``label_continuation``)."""
        return encode_examples(
            self.tokenizer(), spec, examples, max_tokens, long_text=long_text, distinct_first_tokens=False
        )

    def default_layers(self, max_layers: int) -> None:
        """None: the layers are chosen by a forward probe through the prefix cache (``probe_objective``)."""
        return None

    def probe_objective(
        self,
        encoded: EncodedExamples,
        rows: np.ndarray,
        layers: list[int],
        projections: tuple[str, ...],
        adapter_cfg: AdapterConfig,
    ) -> tuple[BatchObjective, list[AdapterSite]]:
        """The label-word objective of ``rows`` with adapters on ``projections`` of ``layers``."""
        floor = min(layers)
        sub = EncodedExamples(
            tuple(encoded.ids[r] for r in rows), encoded.label_index[rows], encoded.label_token_ids
        )
        cache = self.build_prefix_cache(sub, floor)
        sites = [AdapterSite(layer, p) for layer in layers for p in projections]
        session = self.loss_session(floor, sites, adapter_cfg)
        readout = Readout.label_words(self.label_head(sub.label_token_ids), len(rows))
        return SuffixObjective(session, cache, sub, readout, sites).on(np.arange(len(rows))), sites

    def prepare_tuning(self, request: TuningRequest) -> Tuning:
        """Adapters on the projections of the layers; the layers below the lowest one cached once."""
        encoded, layers, projections, adapter_cfg = (
            request.encoded,
            request.layers,
            request.projections,
            request.adapter_cfg,
        )
        start = min(layers)
        also = pool_layers(self.cfg.n_layers, start)
        sites = [AdapterSite(layer, p) for layer in layers for p in projections]
        cache = self.build_prefix_cache(
            encoded,
            start,
            lambda done: request.sink(
                ProgressEvent("cache", float(done), "Caching the frozen layers", "固定層の出力をキャッシュ中")
            ),
            spill_dir=request.spill_dir,
            also=also,
        )
        info = {
            "prefix_cache_mb": round(cache.nbytes / 2**20, 2),
            "prefix_cache_storage": cache.storage + (f" ({cache.plan.note})" if cache.plan.note else ""),
        }
        session = self.loss_session(start, sites, adapter_cfg)
        # Whole-word scores: the later label tokens' log-probabilities, fixed (frozen model), as the offset.
        continuation = self.label_continuation(
            encoded,
            progress=lambda done: request.sink(
                ProgressEvent("labels", float(done), "Reading the label words", "ラベル語を読み込み中")
            ),
        )
        label_words = Readout(self.label_head(encoded.label_token_ids), continuation)
        objective = SuffixObjective(session, cache, encoded, label_words, sites)
        a = {s.key: frozen_a(s, adapter_cfg) for s in self.site_shapes(sites)}
        tuning = Tuning(sites, a, objective, label_words, lambda: cache.pooled_by_layer(start), start, info)
        tuning.answers = lambda: cache.answers_by_layer(start)
        tuning.for_texts = self._texts_on(session, start, sites)
        return tuning

    def _texts_on(
        self, loss_session, start: int, sites: list[AdapterSite]
    ) -> Callable[[EncodedExamples], NewTexts]:
        """Other texts through the run's loss session: their own (small) prefix cache and label-word read-out.

        The prefix session is opened on the first question only, and kept for the next ones.
        """
        prefix = []

        def for_texts(encoded: EncodedExamples) -> NewTexts:
            also = pool_layers(self.cfg.n_layers, start)
            if not prefix:
                prefix.append(self.prefix_session(start, also))
            cache = self.build_prefix_cache(encoded, start, session=prefix[0], also=also)
            label_words = Readout(self.label_head(encoded.label_token_ids), self.label_continuation(encoded))
            return NewTexts(
                SuffixObjective(loss_session, cache, encoded, label_words, sites),
                label_words,
                lambda: cache.pooled_by_layer(start),
                lambda: cache.answers_by_layer(start),
            )

        return for_texts

    def export(self, tuning: Tuning, request: ExportRequest) -> ExportedModel:
        """``target/model.onnx`` rebuilt from our graph over merged weights (+ weights.bin, tokenizer.json,
        genba_task.json).

        Everything is written into ``<target>.partial`` first and renamed at the end: a full disk or a kill
        mid-export leaves the previous export untouched and never a half-written one under the final name.
        """
        replace_folder(request.target, lambda staging: self._write_merged(tuning, request, staging))
        if request.progress is not None:
            request.progress(1.0)
        return ExportedModel(request.target / "model.onnx", sha256_file(request.target / "weights.bin"))

    def _write_merged(self, tuning: Tuning, request: ExportRequest, staging: Path) -> None:
        b, progress, head = request.b, request.progress, request.head
        deltas = {weight_name(s.layer, s.proj): merged_delta(tuning.a[s.key], b[s.key]) for s in tuning.sites}
        source = self.store
        writer = WeightWriter(staging)
        names = list(source.index)
        for i, name in enumerate(names):
            w = source.read(name)  # through the file: a mapped pass over every tensor stays resident
            writer.add(name, w + deltas[name] if name in deltas else w)
            if progress is not None:
                progress(0.9 * (i + 1) / len(names))
        store: WeightStore = writer.close()
        onnx.save(build_causal_lm(self.cfg, store, class_head=head), str(staging / "model.onnx"))
        shutil.copyfile(self.folder / "tokenizer.json", staging / "tokenizer.json")
        output = CLASS_LOGITS if head is not None else None
        text_ids = head is not None and head.text_ids
        write_task_file(
            staging, request.spec, request.max_tokens, output, request.long_text, self.tokenizer(), text_ids
        )


class SuffixObjective:
    """Loss of perturbed copies on a batch of examples, computed by the tuned suffix only."""

    def __init__(
        self,
        session,
        cache: PrefixCache | None,
        encoded: EncodedExamples,
        readout: Readout,
        sites: list[AdapterSite],
    ) -> None:
        self.session = session
        self.cache = cache
        self.encoded = encoded
        self.readout = readout
        self.sites = sites
        self.forward_examples = 0  # example-forwards run so far (per copy)

    def feeds(
        self, rows: np.ndarray, copies: dict[str, np.ndarray], readout: Readout | None = None
    ) -> dict[str, np.ndarray]:
        ids, answer, labels = self.encoded.batch(rows)
        readout = readout or self.readout
        feeds = {
            "answer_index": answer,
            "label_ids": labels,
            "label_head": readout.head,
            "label_offset": readout.offset[rows],
        }
        if self.cache is not None:
            feeds["hidden"] = self.cache.batch(rows)
        else:
            feeds["input_ids"] = ids
        for s in self.sites:
            feeds[s.input_name] = copies[s.key]
        return feeds

    def run(
        self, rows: np.ndarray, copies: dict[str, np.ndarray], readout: Readout | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """loss [P, E], label_logits [P, E, C] and features [P, E, H], read out by ``readout`` (default:
        the objective's own)."""
        loss, logits, features = self.session.run(
            ["loss", "label_logits", "features"], self.feeds(rows, copies, readout)
        )
        p = next(iter(copies.values())).shape[0] if copies else 1
        self.forward_examples += p * len(rows)
        return loss, logits, features

    def on(self, rows: np.ndarray, readout: Readout | None = None) -> BatchObjective:
        """The ZO objective of one batch: copies -> mean loss per copy [P]; keeps the features it saw."""
        return BatchObjective(self, np.asarray(rows), readout)
