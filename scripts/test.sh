#!/usr/bin/env bash
# Set up (with dev tools) and run lint + the whole test suite, headless.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
# tests/test_no_network.py traces a tuning run with strace. As root with apt (CI), install it if missing;
# elsewhere that test skips and says why.
if ! command -v strace >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq strace || { apt-get update -qq && apt-get install -y -qq strace; }; } >/dev/null 2>&1 \
        || echo "scripts/test.sh: strace could not be installed; the system-call trace test will skip" >&2
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
