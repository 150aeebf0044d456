#!/usr/bin/env bash
# Refresh the Japanese translation file from the GUI's tr() strings, then compile it.
# After running: fill every <translation type="unfinished"> in resources/i18n/genba_ja.ts (plain Japanese, no
# jargon) and run this again so that the .qm the app loads has them. tests/gui checks none are left unfinished.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t sources < <(git ls-files 'app/gui/*.py' 'app/gui/**/*.py')
.venv/bin/pyside6-lupdate -no-obsolete "${sources[@]}" -ts resources/i18n/genba_ja.ts
.venv/bin/pyside6-lrelease resources/i18n/genba_ja.ts -qm resources/i18n/genba_ja.qm
grep -c 'type="unfinished"' resources/i18n/genba_ja.ts | sed 's/^/unfinished translations: /' || true
