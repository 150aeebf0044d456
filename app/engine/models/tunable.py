"""The one interface a tuning run drives: ``TunableModel``, and what a model hands the run.

Three kinds implement it today: a converted GGUF model on our own Llama graphs (``llama_model.LlamaModel``:
a forward probe picks the layers, the frozen layers below them are cached once, the final hidden state
feeds a fitted head), a user's ONNX causal LM or classifier tuned as its exporter wrote it
(``onnx_tuning.OnnxTunableModel``: top layers, the whole graph each step, read out as exported) and a
user's ONNX sentence encoder (``onnx_encoder.OnnxEncoderModel``: its pooled ``last_hidden_state`` are the
features, a head fitted from zero weights is the read-out). The run (``app.engine.tuning.tuner``) knows only
this module's names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from app.engine.data.prompting import EncodedExamples, PromptSpec
from app.engine.events import EventSink
from app.engine.models.adapters import AdapterConfig, SiteShape
from app.engine.models.llama_config import ClassHead
from app.engine.models.objective import BatchObjective, Readout, RowsObjective


class Site(Protocol):
    """An adapted linear layer: its key in the adapter arrays and the graph input that feeds its B copies."""

    @property
    def key(self) -> str: ...

    @property
    def input_name(self) -> str: ...


@dataclass(frozen=True)
class TuningRequest:
    """What a run asks its model to adapt: which layers and projections, on which encoded examples."""

    encoded: EncodedExamples
    layers: list[int]
    projections: tuple[str, ...]
    adapter_cfg: AdapterConfig
    max_layers: int
    saved_sites: list[str] | None  # the site keys a resumed run adapted (``Tuning.info`` may record them)
    sink: EventSink  # progress of a long preparation (a prefix cache, an adapted graph)
    spill_dir: Path | None = None  # where a prefix cache over its memory budget may be memory-mapped


@dataclass(frozen=True)
class ExportRequest:
    """What a run's export writes: the best adapters, folded into a model at ``target`` with its prompt."""

    b: dict[str, np.ndarray]  # site key -> B [r, out]
    target: Path
    spec: PromptSpec
    max_tokens: int
    head: ClassHead | None = None  # a fitted head to compute in the graph (None: the model's own read-out)
    progress: Callable[[float], None] | None = None
    long_text: str = "truncate"  # how texts over max_tokens were cut (``prompting.encode_examples``)


@dataclass(frozen=True)
class NewTexts:
    """Texts a run was not prepared on (a typed question), ready to be read out like its own examples."""

    objective: RowsObjective  # on the run's adapted sessions, over these texts only
    base_readout: Readout | None  # the untuned read-out for these texts (None: the graph reads out itself)
    pooled: Callable[[], dict[int, np.ndarray]] | None = (
        None  # their frozen states pooled, as ``Tuning.pooled``
    )
    answers: Callable[[], dict[int, np.ndarray]] | None = None  # as ``Tuning.answers``


@dataclass
class Tuning:
    """What a model hands the run once its layers are chosen: adapted sites, frozen A, the objective."""

    sites: list  # Site objects, in the order the adapter file lists them
    a: dict[str, np.ndarray]  # site key -> frozen A_scaled [in, r]
    objective: RowsObjective
    # The untuned read-out a fitted head starts from; None: the graph reads out by itself and takes no head.
    base_readout: Readout | None
    # layer -> [N, H]: states entering frozen layers pooled over each text (a head's extra feature blocks), if
    # the model has them for free; ``pooled_layer``: the first tuned layer (the block named "pooled"; the
    # others are "pooled:<layer>"), as the exported head recomputes them.
    pooled: Callable[[], dict[int, np.ndarray]] | None = None
    pooled_layer: int | None = None
    info: dict = field(default_factory=dict)  # facts for the checkpoint and the report
    # The base read-out answers nothing (an encoder's zero weights): the run must fit a head.
    needs_head: bool = False
    # Other texts (encoded as the run's) on the same sessions: how a run answers a typed question.
    for_texts: Callable[[EncodedExamples], NewTexts] | None = None
    # layer -> [N, H]: the same layers' states at each text's answer position (blocks "answer" and
    # "answer:<layer>").
    answers: Callable[[], dict[int, np.ndarray]] | None = None


@dataclass(frozen=True)
class ExportedModel:
    """A merged model written by ``TunableModel.export``."""

    path: Path  # model.onnx
    sha256: str  # of the file that holds the weights
    files_sha256: dict[str, str] | None = None  # every file written, when there may be several


class TunableModel(Protocol):
    """A model a run can tune: layers, encoding, default layers, the objective, features, export."""

    folder: Path
    external_files: tuple[str, ...]  # files beside the model its weights live in (hashed for resume)
    # A fitted head can read out this model (False: its graph reads out by itself, as exported).
    takes_head: bool

    @property
    def n_layers(self) -> int | None:
        """Number of layers that can be named, or None when the graph's names carry no layer numbers."""
        ...

    def check_labels(self, labels: Sequence[str]) -> None:
        """Raise GenbaError when the model cannot read out these labels (a classifier's class count)."""
        ...

    def encode(
        self, spec: PromptSpec, examples, max_tokens: int, long_text: str = "truncate"
    ) -> EncodedExamples:
        """Token ids, answer position and label of each example, as the model reads them; a text over
        ``max_tokens`` is cut as ``long_text`` says (``app.engine.data.prompting.encode_examples``)."""
        ...

    def default_layers(self, max_layers: int) -> tuple[list[int], dict] | None:
        """The layers to tune when the user names none, and why; None: probe them (``ProbedModel``)."""
        ...

    def gram_pieces(self) -> list[str | None] | None:
        """The tokenizer's pieces by id, if the exported graph can count character n-grams of the text they
        spell (a head's text block, ``app.engine.data.ngrams.CharGrams``); None if it cannot."""
        ...

    def prepare_tuning(self, request: TuningRequest) -> Tuning:
        """Adapt the chosen layers and build the objective on the request's examples (once per run)."""
        ...

    def site_shapes(self, sites: list) -> list[SiteShape]: ...

    def export(self, tuning: Tuning, request: ExportRequest) -> ExportedModel:
        """Write ``target/model.onnx`` with the adapters folded in, atomically (``storage.replace_folder``)."""
        ...


class ProbedModel(TunableModel, Protocol):
    """A model whose layers are chosen by a forward probe (``app.engine.tuning.layer_select``).

    ``probe_objective(encoded, rows, layers, projections, adapter_cfg)``: the ZO objective of ``rows`` with
    adapters on every projection of ``layers``, and those sites.
    """

    probe_objective: Callable[
        [EncodedExamples, np.ndarray, list[int], tuple[str, ...], AdapterConfig], tuple[BatchObjective, list]
    ]
