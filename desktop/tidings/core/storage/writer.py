"""The one writer: a thread that owns the only writing connection and commits work in batches.

Work is a callable taking the connection. Queued work runs in one transaction per batch, each item
inside its own savepoint, so one failing item is rolled back alone and the others still commit. A
future resolves only after its batch committed: what was acknowledged is on disk.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from tidings.core.errors import StoreBusyError, StoreCorruptError, StoreError

from .checkpoint import Checkpointer
from .db import connect, is_corrupt, suspect

T = TypeVar("T")
_STOP = object()
MAX_BATCH = 64
# SQLite's answers about the disk or the file, not about the work (BUSY, LOCKED, NOMEM, READONLY, IOERR,
# CORRUPT, FULL, CANTOPEN, NOTADB): the item failed, in words; any other sqlite3 error in work is a bug.
_ENVIRONMENT = frozenset({5, 6, 7, 8, 10, 11, 13, 14, 26})


class Writer:
    def __init__(self, path: Path, before_commit: Callable[[sqlite3.Connection], None] | None = None):
        self.path = path
        self._before_commit = before_commit
        self._queue: queue.Queue[Any] = queue.Queue()
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, name="tidings-writer", daemon=True)
        self._thread.start()
        self._ready.result()  # raises if the store cannot be opened

    def submit(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = False) -> Future[T]:
        """Queue `work`. A `durable` item commits in a transaction of its own with synchronous=FULL: when
        its future resolves it has reached the disk, so even a power cut a moment later keeps it."""
        future: Future[T] = Future()
        if not self._thread.is_alive():
            future.set_exception(StoreError("The library is closed."))
            return future
        self._queue.put((work, future, durable))
        return future

    def call(self, work: Callable[[sqlite3.Connection], T], *, durable: bool = False) -> T:
        """Run `work` in the writer and wait for its commit."""
        return self.submit(work, durable=durable).result()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = connect(self.path)
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        checkpointer = Checkpointer(self.path)
        try:
            while self._batch(conn):
                pass
        finally:
            checkpointer.close()
            conn.close()

    def _batch(self, conn: sqlite3.Connection) -> bool:
        items = [self._queue.get()]
        while len(items) < MAX_BATCH:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        keep_going = _STOP not in items
        work = [(item[0], item[1]) for item in items if item is not _STOP and not item[2]]
        durable = [(item[0], item[1]) for item in items if item is not _STOP and item[2]]
        if work:
            _commit(conn, work, self._before_commit)
        for one in durable:
            conn.execute("PRAGMA synchronous = FULL")
            try:
                _commit(conn, [one], self._before_commit)
            finally:
                conn.execute("PRAGMA synchronous = NORMAL")
        return keep_going


def _commit(
    conn: sqlite3.Connection,
    items: list[tuple[Callable[[sqlite3.Connection], Any], Future[Any]]],
    before_commit: Callable[[sqlite3.Connection], None] | None,
) -> None:
    results: list[tuple[Future[Any], Any, BaseException | None]] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        for work, future in items:
            results.append((future, *_one(conn, work)))
        if before_commit is not None:
            before_commit(conn)
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _rollback(conn)
        failure = _store_error(exc, conn)
        for _work, future in items:
            future.set_exception(failure)
        return
    for future, value, error in results:
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)


def _one(
    conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], Any]
) -> tuple[Any, BaseException | None]:
    conn.execute("SAVEPOINT work")
    try:
        value = work(conn)
    except Exception as exc:  # this item fails alone; the batch goes on
        if isinstance(exc, sqlite3.Error) and not conn.in_transaction:
            raise  # SQLite rolled the whole transaction back (a full disk, an I/O error): the batch fails
        conn.execute("ROLLBACK TO work")
        conn.execute("RELEASE work")
        return None, _in_words(exc, conn)
    conn.execute("RELEASE work")
    return value, None


def _rollback(conn: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.Error):
        conn.execute("ROLLBACK")


def _in_words(exc: Exception, conn: sqlite3.Connection) -> Exception:
    if isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _ENVIRONMENT:
        return _store_error(exc, conn)
    return exc


def _store_error(exc: sqlite3.Error, conn: sqlite3.Connection) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreBusyError("Another program kept the library locked for too long; nothing was changed.")
    if "full" in text:
        return StoreError("The disk is full: Tidings could not save; nothing already stored was lost.")
    if is_corrupt(exc):
        suspect(conn)
        return StoreCorruptError(
            f"The library file is damaged ({text}); nothing more was written. Quit Tidings: the next start "
            "checks the file and says what to do."
        )
    return StoreError(f"The library could not be written ({text}); nothing already stored was lost.")
