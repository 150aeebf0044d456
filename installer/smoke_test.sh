#!/usr/bin/env bash
# Smoke-test a built Linux bundle as a plant PC would run it: unpacked in a temp folder, no Python, no
# source tree and no venv on PATH/PYTHONPATH, no network, a minimal environment (env -i), no screen.
#
#   installer/smoke_test.sh [BUNDLE]      BUNDLE: the .tar.gz (default: the newest in installer/dist)
#                                         or an unpacked bundle folder (installer/dist/genba-tuner)
#   GENBA_SMOKE_DEFAULT_MODEL=1 ...       also convert the bundled default model (~1 min, ~540 MB temp)
#
# Checks: --help; the default GGUF is inside the bundle; tune a tiny Llama GGUF for 3 steps from the
# CLI with --json, which converts it, tunes and exports (run/report.json, run/model/model.onnx); predict
# with the exported model; the window opens and stays up under the offscreen platform. Exit 0 = pass.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${GENBA_PYTHON:-$ROOT/.venv/bin/python}"  # only to write the tiny test model, before the bundle runs

bundle_arg="${1:-$(ls -t "$HERE"/dist/genba-tuner-*-linux-*.tar.gz 2>/dev/null | head -1 || true)}"
[[ -n "$bundle_arg" && -e "$bundle_arg" ]] || { echo "smoke: no bundle given and none in $HERE/dist" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/genba-smoke.XXXXXX")"
cleanup() { [[ -z "${gui_pid:-}" ]] || kill "$gui_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

if [[ -d "$bundle_arg" ]]; then
    cp -a "$bundle_arg" "$work/genba-tuner"
else
    tar -xzf "$bundle_arg" -C "$work"
fi
exe="$work/genba-tuner/genba-tuner"
[[ -x "$exe" ]] || fail "no executable at genba-tuner/genba-tuner in $bundle_arg"
mkdir -p "$work/home" "$work/case"

# What the bundle may see: nothing of the build machine's Python (env -i drops PYTHONPATH, VIRTUAL_ENV,
# LANG, DISPLAY, ...). The C locale is deliberate: services and kiosk sessions often start without one.
run_bundle() {
    (cd "$work/case" && exec env -i HOME="$work/home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen \
        GENBA_TUNER_HOME="$work/home/genba" "$@")
}

echo "smoke: bundle $bundle_arg"
run_bundle "$exe" --help > "$work/help.txt" || fail "--help exited $?"
grep -q "tune" "$work/help.txt" || fail "--help does not mention 'tune'"
echo "smoke: --help ok"

[[ -f "$work/genba-tuner/_internal/models/SmolLM2-135M-Instruct.Q4_1.gguf" ]] || fail "default GGUF missing"
[[ -f "$work/genba-tuner/_internal/resources/i18n/genba_ja.qm" ]] || fail "Japanese translation missing"
[[ -f "$work/genba-tuner/_internal/resources/fonts/ipaexg.ttf" ]] || fail "bundled font missing"
echo "smoke: default model, translation and font are in the bundle"

(cd "$ROOT" && "$PY" -c 'import sys; from pathlib import Path; from tests.tiny_models import write_tiny_llama_gguf
write_tiny_llama_gguf(Path(sys.argv[1]))' "$work/case/tiny.gguf")
{
    echo "text,label"
    for i in $(seq 1 12); do
        echo "bucket cylinder $i leak on the bucket,bucket"
        echo "engine $i oil pump leak in the engine,engine"
    done
} > "$work/case/d.csv"

run_bundle "$exe" tune --model tiny.gguf --data d.csv --out run --steps 3 --max-layers 1 --q 1 --json \
    > "$work/tune.jsonl" 2> "$work/tune.err" || { cat "$work/tune.err" >&2; fail "tune exited non-zero"; }
[[ -f "$work/case/run/report.json" ]] || fail "run/report.json missing"
[[ -f "$work/case/run/model/model.onnx" ]] || fail "run/model/model.onnx missing"
grep -q '"event": "summary"' "$work/tune.jsonl" || fail "tune printed no summary"
echo "smoke: tune 3 steps + export ok ($(grep -c '"event": "step"' "$work/tune.jsonl") step events)"

run_bundle "$exe" --lang ja predict --model run/model/model.onnx "engine oil leak" > "$work/predict.txt" \
    || fail "predict exited non-zero"
grep -Eq "^(bucket|engine)" "$work/predict.txt" || fail "predict printed no label: $(cat "$work/predict.txt")"
echo "smoke: predict with the exported model ok"

if [[ "${GENBA_SMOKE_DEFAULT_MODEL:-0}" == "1" ]]; then
    run_bundle "$exe" eval --model default --data d.csv --json > "$work/eval.json" \
        || fail "eval with the bundled default model exited non-zero"
    echo "smoke: bundled default model converts and evaluates ok"
fi

# The window: a crash or a missing Qt plugin ends the process within a second or two; a healthy app
# sits in its event loop until we stop it. Its start-up model check is pointed at the tiny model
# (already converted by tune above) so it does not spend a minute converting the default one.
mkdir -p "$work/home/.config/GenbaTuner"
printf '[model]\nlast=%s\n' "$work/case/tiny.gguf" > "$work/home/.config/GenbaTuner/GenbaTuner.conf"
# Not via run_bundle: `exec` in a plain background subshell makes $! the app itself, so kill reaches it.
(cd "$work/case" && exec env -i HOME="$work/home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen \
    GENBA_TUNER_HOME="$work/home/genba" "$exe") > "$work/gui.log" 2>&1 &
gui_pid=$!
sleep 10
if ! kill -0 "$gui_pid" 2>/dev/null; then
    wait "$gui_pid" || true
    cat "$work/gui.log" >&2
    fail "the window closed by itself"
fi
kill "$gui_pid"
wait "$gui_pid" 2>/dev/null || true
! kill -0 "$gui_pid" 2>/dev/null || fail "the window did not stop"
if grep -q "Traceback" "$work/gui.log"; then cat "$work/gui.log" >&2; fail "the window logged a traceback"; fi
echo "smoke: window opened offscreen and stayed up"

echo "smoke: PASS"
