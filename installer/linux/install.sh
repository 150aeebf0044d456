#!/bin/sh
# Install Genba Tuner from this unpacked folder, with a menu entry and a `genba-tuner` command.
# As root: /opt/genba-tuner for every user. Otherwise: ~/.local/opt/genba-tuner for you only.
# Usage: ./install.sh            install (or upgrade)
#        ./install.sh --uninstall
# User data (converted models, runs) lives in ~/.local/share/genba-tuner or $GENBA_TUNER_HOME and is
# never touched by either.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ]; then
    prefix=/opt/genba-tuner
    apps=/usr/share/applications
    bin=/usr/local/bin
else
    prefix="$HOME/.local/opt/genba-tuner"
    apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
    bin="$HOME/.local/bin"
fi

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$prefix"
    rm -f "$apps/genba-tuner.desktop" "$bin/genba-tuner"
    echo "Removed $prefix. Converted models and runs (~/.local/share/genba-tuner or \$GENBA_TUNER_HOME) were kept."
    exit 0
fi

if [ "$src" != "$prefix" ]; then
    rm -rf "$prefix"
    mkdir -p "$(dirname "$prefix")"
    cp -a "$src" "$prefix"
fi
mkdir -p "$apps" "$bin"
sed -e "s|/opt/genba-tuner|$prefix|g" "$prefix/genba-tuner.desktop" > "$apps/genba-tuner.desktop"
ln -sf "$prefix/genba-tuner" "$bin/genba-tuner"
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database "$apps" >/dev/null 2>&1 || true
fi
echo "Installed to $prefix (menu: Genba Tuner / 現場チューナー; command: $bin/genba-tuner)."
