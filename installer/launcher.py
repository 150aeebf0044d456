"""Entry script of the frozen app: the same ``app.cli:main`` as the ``genba-tuner`` console script."""

import multiprocessing
import sys

from app.cli import main

if __name__ == "__main__":
    # A frozen app must call this before anything else in case a library ever spawns worker processes;
    # without it each worker would re-run the app instead. Cheap no-op otherwise.
    multiprocessing.freeze_support()
    sys.exit(main())
