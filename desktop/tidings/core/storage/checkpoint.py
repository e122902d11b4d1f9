"""Copies the write-ahead log back into the database from its own thread.

SQLite's automatic checkpoint runs inside the COMMIT of whichever write fills the log, so during a big
refresh the one writer stalled on it, copying and syncing tens of megabytes. A PASSIVE checkpoint from
another connection never blocks the writer, and readers go on as before.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

WAL_THRESHOLD = 16 * 1024 * 1024


class Checkpointer:
    def __init__(self, path: Path, *, threshold: int = WAL_THRESHOLD, interval: float = 0.5):
        self._wal = path.with_name(path.name + "-wal")
        self._path = path
        self._threshold = threshold
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tidings-checkpoint", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=5, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")  # as on every connection, though this one writes no rows
        try:
            while not self._stop.wait(self._interval):
                if self._wal_size() > self._threshold:
                    with contextlib.suppress(sqlite3.Error):  # busy or locked: next time
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    def _wal_size(self) -> int:
        try:
            return self._wal.stat().st_size
        except OSError:
            return 0
