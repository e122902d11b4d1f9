"""The frozen app's entry point: the same `main` as the `tidings` command that pip installs."""

import multiprocessing
import sys

from tidings.__main__ import main

if __name__ == "__main__":
    # A frozen build refreshes with threads, not worker processes (core/refresh.py); should a process pool
    # ever start, this keeps a child on Windows/macOS from running the whole app again.
    multiprocessing.freeze_support()
    sys.exit(main())
