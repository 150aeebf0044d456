"""Entry script of the frozen app: the same ``app.cli:main`` as the ``genba-tuner`` console script, plus two
options that only the bundle needs (handled here, before the CLI's own parser sees the arguments):

    --version             print "genba-tuner X.Y.Z" (app.__version__ = pyproject.toml's version) and exit 0
    --quit-after SECONDS  open the window as usual, close it after SECONDS and exit: 0 if it was shown
                          (visible, with a title and the app's icon), 1 if not. installer/smoke_test.sh uses
                          it to check that a bundle's window starts and stops cleanly, without a screen
                          (QT_QPA_PLATFORM=offscreen). It prints where the app's code was loaded from, so
                          the smoke test can tell that nothing came from a source tree or a venv.
"""

from __future__ import annotations

import multiprocessing
import sys
import time

STARTED = time.perf_counter()


def _process_age() -> float:
    """Seconds since this process was created (the interpreter's own start-up included), if known."""
    try:
        import psutil

        return time.time() - psutil.Process().create_time()
    except Exception:  # noqa: BLE001 (only a measurement)
        return time.perf_counter() - STARTED


def version_text() -> str:
    from app import __version__

    return f"genba-tuner {__version__}"


def run_window_for(seconds: float, argv: list[str]) -> int:
    """Open the window through the normal entry point, then close it after ``seconds``; see the docstring."""
    from pathlib import Path

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    import app
    from app.cli import main

    qt_app = QApplication(["genba-tuner"])  # app.gui.main.create_application reuses this instance
    qt_app.setQuitOnLastWindowClosed(False)  # the exit code is set by finish() below
    state: dict[str, object] = {}

    def first_tick() -> None:  # the event loop runs, so the window has been shown
        state["shown"] = _process_age()

    def finish() -> None:
        windows = [w for w in qt_app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
        window = windows[0] if windows else None
        problems = []
        if window is None:
            problems.append("no main window is visible")
        else:
            if not window.windowTitle():
                problems.append("the window has no title")
            if window.windowIcon().isNull():
                problems.append("the window has no icon")
        print(f"window: code from {Path(app.__file__).resolve().parent}", flush=True)
        if window is not None:
            print(
                f"window: shown {state.get('shown', float('nan')):.2f} s after the process started,"
                f" title {window.windowTitle()!r}, icon {'set' if not window.windowIcon().isNull() else 'MISSING'}",
                flush=True,
            )
            window.close()  # the real close path: saves the settings, waits for worker threads
        for problem in problems:
            print(f"window: FAIL: {problem}", file=sys.stderr, flush=True)
        state["result"] = 1 if problems else 0
        qt_app.exit(int(state["result"]))

    QTimer.singleShot(0, first_tick)
    QTimer.singleShot(int(seconds * 1000), finish)
    code = main(argv)
    if "result" not in state:
        print(f"window: FAIL: the event loop ended by itself (exit code {code})", file=sys.stderr)
        return 1
    return code


def launch(argv: list[str]) -> int:
    if argv[:1] == ["--version"]:
        print(version_text())
        return 0
    if argv[:1] == ["--quit-after"]:
        if len(argv) < 2:
            print("--quit-after needs a number of seconds", file=sys.stderr)
            return 2
        return run_window_for(float(argv[1]), argv[2:])
    from app.cli import main

    return main(argv)


if __name__ == "__main__":
    # A frozen app must call this before anything else in case a library ever spawns worker processes;
    # without it each worker would re-run the app instead. Cheap no-op otherwise.
    multiprocessing.freeze_support()
    sys.exit(launch(sys.argv[1:]))
