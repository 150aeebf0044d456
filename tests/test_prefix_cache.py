"""The frozen-prefix cache stays within its memory budget: fp32, then fp16, then a memory-mapped file."""

import numpy as np
import pytest

from app.engine.data.prompting import EncodedExamples
from app.engine.models.adapters import AdapterConfig, zero_b
from app.engine.models.catalog import ensure_converted, resolve_model
from app.engine.models.llama_config import AdapterSite
from app.engine.models.llama_model import LlamaModel, Readout, SuffixObjective, plan_cache


@pytest.fixture(scope="module")
def model(tiny_gguf):
    return LlamaModel.open(ensure_converted(resolve_model(tiny_gguf)), threads=1)


def examples(model, n=12, seed=0) -> EncodedExamples:
    rng = np.random.default_rng(seed)
    ids = tuple(rng.integers(3, model.cfg.vocab, size=int(rng.integers(5, 20))) for _ in range(n))
    return EncodedExamples(ids, rng.integers(0, 2, size=n), np.array([5, 9], dtype=np.int64))


def losses(model, enc, cache, start):
    sites = [AdapterSite(layer, "q") for layer in range(start, model.cfg.n_layers)]
    cfg = AdapterConfig()
    readout = Readout.label_words(model.label_head(enc.label_token_ids), len(enc))
    objective = SuffixObjective(model.loss_session(start, sites, cfg), cache, enc, readout, sites)
    b = zero_b(model.site_shapes(sites), cfg)
    rng = np.random.default_rng(1)
    copies = {k: np.stack([v, v + rng.normal(0, 0.1, v.shape).astype(np.float32)]) for k, v in b.items()}
    return objective.run(np.arange(len(enc)), copies)[0]


def test_plan_picks_the_cheapest_storage_that_fits():
    assert plan_cache(1000, budget_bytes=4000).storage == "fp32"
    assert plan_cache(1000, budget_bytes=3999).storage == "fp16"
    assert plan_cache(1000, budget_bytes=2000).storage == "fp16"
    assert plan_cache(1000, budget_bytes=1999).storage == "fp16-disk"
    assert plan_cache(10, budget_bytes=None).storage == "fp32"  # a quarter of free RAM holds 40 bytes


@pytest.mark.parametrize("budget, storage", [(None, "fp32"), ("half", "fp16"), (1, "fp16-disk")])
def test_every_storage_gives_the_losses_of_the_fp32_cache(model, tmp_path, budget, storage):
    enc = examples(model)
    start = model.cfg.n_layers - 1
    reference = model.build_prefix_cache(enc, start)
    values = reference.blocks.size
    budget_bytes = 2 * values if budget == "half" else budget
    cache = model.build_prefix_cache(enc, start, budget_bytes=budget_bytes, spill_dir=tmp_path)
    assert cache.storage == storage
    assert cache.blocks.dtype == (np.float32 if storage == "fp32" else np.float16)
    if storage == "fp16-disk":
        assert isinstance(cache.blocks, np.memmap)
    np.testing.assert_allclose(
        cache.batch(np.arange(len(enc))), reference.batch(np.arange(len(enc))), rtol=2e-3, atol=2e-3
    )
    np.testing.assert_allclose(
        losses(model, enc, cache, start), losses(model, enc, reference, start), rtol=1e-3, atol=1e-4
    )
    cache.close()


def test_a_spill_folder_that_cannot_be_written_keeps_the_cache_in_ram_and_says_so(model, tmp_path):
    enc = examples(model)
    missing = tmp_path / "not-there"
    cache = model.build_prefix_cache(enc, model.cfg.n_layers - 1, budget_bytes=1, spill_dir=missing)
    assert cache.storage == "fp16" and not isinstance(cache.blocks, np.memmap)
    assert "kept in RAM" in cache.plan.note
    assert np.isfinite(cache.batch(np.arange(3))).all()


def test_the_spill_file_is_gone_once_the_cache_is_closed(model, tmp_path):
    cache = model.build_prefix_cache(
        examples(model), model.cfg.n_layers - 1, budget_bytes=1, spill_dir=tmp_path
    )
    assert cache.storage == "fp16-disk"
    cache.close()
    assert list(tmp_path.iterdir()) == []
