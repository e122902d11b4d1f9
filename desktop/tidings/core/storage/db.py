"""SQLite connections, pragmas and numbered migrations.

Every connection: WAL, foreign keys on, a busy timeout. The schema version lives in `user_version`;
`application_id` marks the file as ours so we never migrate somebody else's database.

What a crash can leave behind, and how a start deals with it:

- A writing connection holds a session marker next to the store (`Session`). A marker nobody holds any
  more belongs to a session that ended without closing the store (a crash, kill -9, a power cut), and
  only then is the store checked with `PRAGMA quick_check` before anything is written: the check reads
  the whole file (0.47 s on a 100,000-story, 480 MB library), too slow for every start.
- A damaged file (quick_check, or SQLite saying "file is not a database" or "database disk image is
  malformed") raises StoreCorruptError, which names the file and says what to do. Tidings never writes
  to it, replaces it or deletes it: the check runs before the first write, and nothing is created in
  its place.
- Pending migrations run in one transaction, so a kill leaves the old schema or the new one; before
  them the store is checked and copied with SQLite's backup API (`schema.back_up`).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import sqlite3
import time
import weakref
from pathlib import Path

from tidings.core.errors import StoreBusyError, StoreCorruptError, StoreError

from .lock import FileLock
from .schema import MIGRATIONS, back_up, backups

APPLICATION_ID = 0x54494447  # "TIDG"
DB_NAME = "tidings.sqlite3"
_CORRUPT = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
_MARKER = ".session-"
_markers = itertools.count()


class StoreConnection(sqlite3.Connection):
    """A connection to the store; a writing one holds a `Session`, ended when it is closed."""

    session: Session | None = None

    def close(self) -> None:
        super().close()
        if self.session is not None:
            self.session.end()


def connect(path: Path, *, readonly: bool = False, timeout: float = 30.0) -> sqlite3.Connection:
    """Open the store at `path`, migrated to the latest schema (writers) or as it is (readers).

    A writer checks the store first when the last session did not close it (see `Session`); a damaged
    store raises StoreCorruptError and is left as it is."""
    try:
        conn = _open(path, readonly, timeout)
    except sqlite3.Error as exc:
        raise open_error(path, exc) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if readonly:
            _check_application_id(conn, path)
        else:
            _start_writing(conn, path, timeout)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise open_error(path, exc) from exc
        raise
    return conn


def _open(path: Path, readonly: bool, timeout: float) -> StoreConnection:
    if readonly:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(
            uri,
            uri=True,
            timeout=timeout,
            check_same_thread=False,
            isolation_level=None,
            factory=StoreConnection,
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=timeout, check_same_thread=False, isolation_level=None, factory=StoreConnection
        )
    conn.row_factory = sqlite3.Row
    return conn


def _start_writing(conn: StoreConnection, path: Path, timeout: float) -> None:
    conn.session = Session.start(conn, path)  # before the first write: a damaged store stays untouched
    weakref.finalize(conn, conn.session.end)  # a connection dropped unclosed ends its session too
    _use_wal(conn, timeout)
    conn.execute("PRAGMA synchronous = NORMAL")
    # The writer's checkpoints happen in storage.checkpoint's own thread; this is only the backstop.
    conn.execute("PRAGMA wal_autocheckpoint = 20000")
    migrate(conn)


def _use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL. Two processes creating the library at once can make SQLite answer "locked" here
    at once, without waiting on the busy handler: retry until the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _check_application_id(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id not in (0, APPLICATION_ID):
        raise StoreError(f"{path} is not a Tidings library (application_id {app_id:#x}).")


# -- damage ------------------------------------------------------------------------------------------
def is_corrupt(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is damaged or is not a database at all."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _CORRUPT
    return "malformed" in str(exc) or "not a database" in str(exc)


def open_error(path: Path, exc: sqlite3.Error) -> StoreError:
    if is_corrupt(exc):
        return corrupt_error(path, str(exc))
    return StoreError(f"The library at {path} cannot be opened: {exc}.")


def corrupt_error(path: Path, detail: str) -> StoreCorruptError:
    """The sentence for a damaged store: which file, that it was left alone, and what to do."""
    copies = backups(path)
    copy = f" The copy made before the last upgrade, {copies[0]}, may help too." if copies else ""
    detail = " ".join(detail.split())  # quick_check reports on several lines
    detail = detail if len(detail) <= 200 else detail[:199] + "…"
    return StoreCorruptError(
        f"The library at {path} cannot be opened: the file is damaged or is not a database ({detail}). "
        "Tidings has not changed it and will not write to it. Quit Tidings and move the file (with "
        f"{path.name}-wal and {path.name}-shm, if they are there) to a safe place: Tidings then starts a new, "
        f"empty library, and `sqlite3 FILE .recover` can often rescue what the damaged one holds.{copy}",
        str(path),
    )


def check(conn: sqlite3.Connection, path: Path) -> None:
    """`PRAGMA quick_check`: raises StoreCorruptError when the store is damaged."""
    try:
        rows = conn.execute("PRAGMA quick_check(3)").fetchall()
    except sqlite3.DatabaseError as exc:
        if is_corrupt(exc):
            raise corrupt_error(path, str(exc)) from exc
        raise
    problems = [str(row[0]) for row in rows]
    if problems != ["ok"]:
        raise corrupt_error(path, "; ".join(problems))


class Session:
    """This process has the store open for writing: a marker file next to it (`<store>.session-<pid>-<n>`),
    locked for as long as the session lasts. The OS drops the lock when the process dies, however it dies,
    so a marker that can be locked belongs to a session that never closed the store; the next start then
    checks the store before writing (`check`) and, if it is sound, removes the marker. When the check
    finds damage, the markers stay: every start checks again until the file is dealt with."""

    def __init__(self, lock: FileLock | None):
        self._lock = lock
        self.suspect = False  # damage was seen: keep the marker, so that the next start checks the store

    @classmethod
    def start(cls, conn: sqlite3.Connection, path: Path) -> Session:
        stale = _stale_markers(path)
        try:
            if stale:
                check(conn, path)
        finally:
            for lock in stale:
                lock.release()
        for lock in stale:
            with contextlib.suppress(OSError):
                lock.path.unlink()
        return cls(_new_marker(path))

    def end(self) -> None:
        """The store was closed: remove the marker."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()
            if not self.suspect:
                with contextlib.suppress(OSError):
                    lock.path.unlink()


def suspect(conn: sqlite3.Connection) -> None:
    """SQLite said the store is damaged while it was in use: the next start checks it (`Session`)."""
    session = getattr(conn, "session", None)
    if isinstance(session, Session):
        session.suspect = True


def unclean_sessions(path: Path) -> list[Path]:
    """The markers of sessions that ended without closing the store (a crash): what makes a start check it."""
    locks = _stale_markers(path)
    for lock in locks:
        lock.release()
    return [lock.path for lock in locks]


def _stale_markers(path: Path) -> list[FileLock]:
    stale = []
    for marker in sorted(path.parent.glob(glob.escape(path.name) + _MARKER + "*")):
        lock = FileLock(marker, "using the library")
        try:
            lock.acquire()
        except (StoreBusyError, OSError):  # held: a session that is still going on
            continue
        stale.append(lock)
    return stale


def _new_marker(path: Path) -> FileLock | None:
    lock = FileLock(
        path.with_name(f"{path.name}{_MARKER}{os.getpid()}-{next(_markers)}"), "using the library"
    )
    try:
        lock.acquire()
    except (StoreBusyError, OSError):  # a folder we cannot write in: no marker, so no check after a crash
        return None
    return lock


# -- migrations --------------------------------------------------------------------------------------
def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to the latest version; returns it.

    Every pending migration runs in one transaction: a kill leaves the old schema or the new one, never a
    mix. A store that has a schema already is first checked (`check`) and copied (`schema.back_up`)."""
    path = _path_of(conn)
    _check_application_id(conn, path or Path(":memory:"))
    latest = max(MIGRATIONS)
    if _refuse_newer(conn, latest) == latest:
        return latest
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _refuse_newer(conn, latest)  # another process may have migrated meanwhile
        if version < latest:
            if version > 0 and path is not None:
                check(conn, path)
                back_up(path, before=latest)
            for number in range(version + 1, latest + 1):
                MIGRATIONS[number](conn)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {latest}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return latest


def _refuse_newer(conn: sqlite3.Connection, latest: int) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > latest:
        raise StoreError(
            f"This library was written by a newer Tidings (schema {version}, this one knows {latest}); "
            "update Tidings to open it."
        )
    return version


def _path_of(conn: sqlite3.Connection) -> Path | None:
    name = conn.execute("PRAGMA database_list").fetchone()[2]
    return Path(name) if name else None
