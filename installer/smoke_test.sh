#!/usr/bin/env bash
# Smoke-test a built Linux bundle as a plant PC would run it: unpacked in a fresh temp folder outside the
# source tree, no Python, no source tree and no venv on PATH/PYTHONPATH, no network, a minimal environment
# (env -i, the C locale) whose HOME, XDG folders and TMPDIR are temp folders, no screen (offscreen Qt).
#
#   installer/smoke_test.sh [BUNDLE]      BUNDLE: the .tar.gz (default: the newest in installer/dist)
#                                         or an unpacked bundle folder (installer/dist/genba-tuner)
#   GENBA_SMOKE_DEFAULT_MODEL=1 ...       also convert the bundled default model (~30 s, ~540 MB temp)
#   GENBA_SMOKE_MEASUREMENTS=FILE ...     also append the measurements to FILE as key=value lines
#
# Checks (each prints "smoke: ok: ..."; the last line is "smoke: N passed, N failed"; exit 0 = all passed):
#  1. `--help` (timed: the first run right after unpacking, with the bundle's files evicted from the page
#     cache = cold start; then the median of 5 more = warm start) and `--version` (= pyproject's version);
#  2. the default GGUF, the Japanese translation, the font, the demo data and the icon are inside, and the
#     menu entry (.desktop, validated when desktop-file-validate is installed) and install.sh beside them;
#  3. `tune` on a tiny Llama GGUF for 3 steps from the CLI: converts it (into the default per-user data
#     folder, ~/.local/share/genba-tuner), tunes, exports run/model/model.onnx, exits 0;
#  4. `predict` with the exported model; a user error is reported in Japanese with exit code 2;
#  5. the window opens offscreen with the plant-wide defaults of installer/linux/plant-defaults.conf
#     (Japanese title), with its icon, loaded from the bundle only, and closes cleanly (--quit-after);
#  6. nothing was written into the bundle's folder.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${GENBA_PYTHON:-$ROOT/.venv/bin/python}"  # only to write the tiny test model, before the bundle runs
MEASUREMENTS="${GENBA_SMOKE_MEASUREMENTS:-}"

passed=0
ok() { passed=$((passed + 1)); echo "smoke: ok: $*"; }
fail() {
    echo "smoke: FAIL: $*" >&2
    echo "smoke: $passed passed, 1 failed"
    exit 1
}
measure() {  # measure KEY VALUE: print it, and keep it for the docs when asked to
    echo "smoke: measured: $1 = $2"
    [[ -z "$MEASUREMENTS" ]] || echo "$1=$2" >> "$MEASUREMENTS"
}
seconds() {  # seconds CMD...: wall-clock seconds of one run (stdout/stderr of CMD are dropped)
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || return 1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

bundle_arg="${1:-$(ls -t "$HERE"/dist/genba-tuner-*-linux-*.tar.gz 2>/dev/null | head -1 || true)}"
[[ -n "$bundle_arg" && -e "$bundle_arg" ]] || fail "no bundle given and none in $HERE/dist"
[[ -x "$PY" ]] || fail "no python at $PY to write the tiny test model (run scripts/setup.sh)"
version="$(sed -n '/^\[project\]/,/^\[/ s/^version *= *"\(.*\)"/\1/p' "$ROOT/pyproject.toml")"

work="$(mktemp -d "${TMPDIR:-/tmp}/genba-smoke.XXXXXX")"
work="$(cd "$work" && pwd -P)"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
case "$work/" in "$(cd "$ROOT" && pwd -P)"/*) fail "the temp folder $work is inside the source tree" ;; esac

echo "smoke: bundle $bundle_arg -> $work/genba-tuner"
if [[ -d "$bundle_arg" ]]; then
    cp -a "$bundle_arg" "$work/genba-tuner"
else
    tar -xzf "$bundle_arg" -C "$work"
fi
bundle="$work/genba-tuner"
exe="$bundle/genba-tuner"
[[ -x "$exe" ]] || fail "no executable at genba-tuner/genba-tuner in $bundle_arg"
home="$work/home"
mkdir -p "$home" "$work/case" "$work/tmp" "$work/runtime" "$work/etc-xdg/GenbaTuner"
chmod 700 "$work/runtime"
touch "$work/unpacked.stamp"

# What the bundle may see: nothing of the build machine's Python or of its user (env -i drops PYTHONPATH,
# VIRTUAL_ENV, LANG, DISPLAY, GENBA_TUNER_HOME, ...). The C locale is deliberate: services and kiosk
# sessions often start without one. XDG_CONFIG_DIRS stands in for /etc/xdg (plant-wide settings).
bundle_env=(env -i HOME="$home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen TMPDIR="$work/tmp"
    XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" XDG_CACHE_HOME="$home/.cache"
    XDG_STATE_HOME="$home/.local/state" XDG_RUNTIME_DIR="$work/runtime" XDG_CONFIG_DIRS="$work/etc-xdg")
run_bundle() { (cd "$work/case" && exec "${bundle_env[@]}" "$@"); }

# --- 1. start-up: --help cold and warm, --version --------------------------------------------------
# Cold: write the unpacked files to disk, then evict just them from the page cache (no global
# drop_caches: other programs on the machine keep theirs). System libraries (libc, libGL, ...) stay
# cached, as they are on a running desktop.
sync
find "$bundle" -type f -exec dd if={} iflag=nocache count=0 status=none \;
cached_kib="unknown (no fincore)"
command -v fincore > /dev/null && cached_kib=$( (find "$bundle" -type f -print0 | xargs -0 fincore --bytes --noheadings --output RES 2>/dev/null \
    || true) | awk '{ s += $1 } END { printf "%d", s / 1024 }')
cold=$(seconds run_bundle "$exe" --help) || fail "--help exited non-zero"
run_bundle "$exe" --help > "$work/help.txt" 2>&1 || fail "--help exited $?"
grep -q "tune" "$work/help.txt" || fail "--help does not mention 'tune': $(head -5 "$work/help.txt")"
warm=()
for _ in 1 2 3 4 5; do
    t=$(seconds run_bundle "$exe" --help) || fail "--help exited non-zero"
    warm+=("$t")
done
warm_median=$(printf '%s\n' "${warm[@]}" | sort -n | sed -n 3p)
ok "--help (cold ${cold} s with ${cached_kib} KiB of the bundle still cached; warm median ${warm_median} s of ${warm[*]})"
measure help_cold_s "$cold"
measure help_cold_bundle_cached_kib "$cached_kib"
measure help_warm_median_s "$warm_median"
measure help_warm_runs_s "${warm[*]}"

run_bundle "$exe" --version > "$work/version.txt" || fail "--version exited non-zero"
[[ "$(cat "$work/version.txt")" == "genba-tuner $version" ]] \
    || fail "--version printed '$(cat "$work/version.txt")', expected 'genba-tuner $version'"
ok "--version: $(cat "$work/version.txt")"

# --- 2. what must be inside ----------------------------------------------------------------------------
for f in models/SmolLM2-135M-Instruct.Q4_1.gguf resources/i18n/genba_ja.qm resources/fonts/ipaexg.ttf \
    resources/demo/excavator_work_orders.csv installer/genba-tuner.png; do
    [[ -s "$bundle/_internal/$f" ]] || fail "_internal/$f is missing from the bundle"
done
ok "default model, translation, font, demo data and icon are in the bundle"
for f in genba-tuner.desktop install.sh genba-tuner.png; do
    [[ -s "$bundle/$f" ]] || fail "$f is missing from the top of the bundle"
done
grep -qx 'Exec="/opt/genba-tuner/genba-tuner"' "$bundle/genba-tuner.desktop" || fail "the .desktop file's Exec= is wrong"
if command -v desktop-file-validate > /dev/null; then
    desktop-file-validate "$bundle/genba-tuner.desktop" || fail "desktop-file-validate rejects genba-tuner.desktop"
    ok "menu entry, installer script and icon are in the bundle; the .desktop file validates"
else
    ok "menu entry, installer script and icon are in the bundle (desktop-file-validate not installed: not validated)"
fi

# --- 3. CLI: convert a tiny model, tune 3 steps, export ----------------------------------------------
(cd "$ROOT" && "$PY" -c 'import sys; from pathlib import Path; from tests.tiny_models import write_tiny_llama_gguf
write_tiny_llama_gguf(Path(sys.argv[1]))' "$work/case/tiny.gguf") || fail "could not write the tiny test model"
{
    echo "text,label"
    for i in $(seq 1 12); do
        echo "bucket cylinder $i leak on the bucket,bucket"
        echo "engine $i oil pump leak in the engine,engine"
    done
} > "$work/case/d.csv"

rc=0
run_bundle "$exe" tune --model tiny.gguf --data d.csv --out run --steps 3 --max-layers 1 --q 1 --json \
    > "$work/tune.jsonl" 2> "$work/tune.err" || rc=$?
[[ "$rc" == 0 ]] || { tail -20 "$work/tune.err" >&2; fail "tune exited $rc"; }
[[ -f "$work/case/run/report.json" ]] || fail "tune wrote no run/report.json"
[[ -s "$work/case/run/model/model.onnx" ]] || fail "tune exported no run/model/model.onnx"
grep -q '"event": "summary"' "$work/tune.jsonl" || fail "tune printed no summary"
ls "$home/.local/share/genba-tuner/models/"* > /dev/null 2>&1 \
    || fail "the converted model is not in the default data folder ~/.local/share/genba-tuner/models"
ok "tune: converted, $(grep -c '"event": "step"' "$work/tune.jsonl") steps, exported run/model/model.onnx"

# --- 4. predict; a user error in Japanese --------------------------------------------------------------
run_bundle "$exe" predict --model run/model/model.onnx "engine oil leak" > "$work/predict.txt" \
    || fail "predict exited non-zero"
grep -Eq "^(bucket|engine)" "$work/predict.txt" || fail "predict printed no label: $(cat "$work/predict.txt")"
ok "predict with the exported model: $(cut -f1,2 "$work/predict.txt" | tr '\t' ' ')"

rc=0
run_bundle "$exe" --lang ja eval --model tiny.gguf --data missing.csv > /dev/null 2> "$work/error.txt" || rc=$?
[[ "$rc" == 2 ]] || fail "a missing examples file exited $rc, expected 2: $(cat "$work/error.txt")"
grep -q "^エラー: " "$work/error.txt" || fail "the error is not in Japanese: $(cat "$work/error.txt")"
ok "a user error is reported in Japanese (C locale) with exit code 2"

if [[ "${GENBA_SMOKE_DEFAULT_MODEL:-0}" == "1" ]]; then
    run_bundle "$exe" eval --model default --data d.csv --json > "$work/eval.json" \
        || fail "eval with the bundled default model exited non-zero"
    ok "the bundled default model converts and evaluates offline"
fi

# --- 5. the window ---------------------------------------------------------------------------------------
# Plant-wide defaults as an administrator would install them (installer/README.md), here in the stand-in
# for /etc/xdg; the user's own file points the start-up model check at the tiny model (converted above),
# so it does not spend half a minute converting the default one.
cp "$HERE/linux/plant-defaults.conf" "$work/etc-xdg/GenbaTuner/GenbaTuner.conf"
mkdir -p "$home/.config/GenbaTuner"
printf '[model]\nlast=%s\n' "$work/case/tiny.gguf" > "$home/.config/GenbaTuner/GenbaTuner.conf"
rc=0
run_bundle "$exe" --quit-after 8 > "$work/gui.log" 2>&1 || rc=$?
[[ "$rc" == 0 ]] || { cat "$work/gui.log" >&2; fail "the window run exited $rc"; }
if grep -q "Traceback" "$work/gui.log"; then cat "$work/gui.log" >&2; fail "the window logged a traceback"; fi
grep -qF "window: code from $bundle/_internal/app" "$work/gui.log" \
    || { cat "$work/gui.log" >&2; fail "the app's code was not loaded from the bundle"; }
grep -q "title '現場チューナー'" "$work/gui.log" \
    || { cat "$work/gui.log" >&2; fail "the plant-wide language (ja) was not applied to the window"; }
shown=$(sed -n 's/^window: shown \([0-9.]*\) s.*/\1/p' "$work/gui.log")
ok "window opened offscreen (plant defaults: Japanese; icon set; code from the bundle) in ${shown} s and closed"
measure window_shown_s "$shown"

# --- 6. the bundle stays as it was unpacked (plant PCs install it read-only in /opt) ---------------------
written="$(find "$bundle" -newer "$work/unpacked.stamp" | head -5)"
[[ -z "$written" ]] || fail "the bundle's folder was written to: $written"
ok "nothing was written into the bundle's folder"

echo "smoke: PASS"
echo "smoke: $passed passed, 0 failed"
