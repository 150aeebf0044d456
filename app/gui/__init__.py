"""The desktop face of Genba Tuner: Qt widgets only; every computation is the engine's (app/engine)."""

from app.gui import pyside_fixes

pyside_fixes.apply()
