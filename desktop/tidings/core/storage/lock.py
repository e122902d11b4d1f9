"""Advisory file locks between Tidings processes sharing one data folder.

SQLite already serialises writers and never corrupts on concurrent access; these locks only stop two
processes from doing the same long job at once (two refreshes, two windows) and let us say so in words.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from tidings.core.errors import StoreBusyError

if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False


class FileLock:
    """An exclusive lock on `path`, released on close or when the process dies (even by kill -9)."""

    def __init__(self, path: Path, purpose: str):
        self.path = path
        self.purpose = purpose
        self._fd: int | None = None

    def acquire(self, timeout: float = 0.0, on_wait: Callable[[str], None] | None = None) -> None:
        """Take the lock, waiting up to `timeout` seconds; `on_wait` hears once why we wait."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        told = False
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise StoreBusyError(self._busy_message())
            if on_wait and not told:
                on_wait(f"Waiting for {self._holder()} to finish {self.purpose}…")
                told = True
            time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None

    def _holder(self) -> str:
        try:
            pid = self.path.read_text().strip()
        except OSError:
            pid = ""
        return f"another Tidings process (pid {pid})" if pid.isdigit() else "another Tidings process"

    def _busy_message(self) -> str:
        return f"{self._holder().capitalize()} is {self.purpose} in {self.path.parent}; try again when it is done."

    def __enter__(self) -> FileLock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
