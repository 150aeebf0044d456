import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.tiny_models import write_tiny_llama_gguf  # noqa: E402


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny-llama.gguf"
    write_tiny_llama_gguf(path)
    return path


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory):
    # Converted-model cache and settings never touch the real user folder during tests. Session-scoped so
    # that it is in place before module-scoped fixtures convert a model (a function-scoped one was not).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENBA_TUNER_HOME", str(tmp_path_factory.getbasetemp() / "genba-home"))
        yield
