"""SQLite connections, pragmas and numbered migrations.

Every connection: WAL, foreign keys on, a busy timeout. The schema version lives in `user_version`;
`application_id` marks the file as ours so we never migrate somebody else's database.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from tidings.core.errors import StoreError

from .schema import MIGRATIONS

APPLICATION_ID = 0x54494447  # "TIDG"
DB_NAME = "tidings.sqlite3"


def connect(path: Path, *, readonly: bool = False, timeout: float = 30.0) -> sqlite3.Connection:
    """Open the store at `path`, migrated to the latest schema (writers) or as it is (readers)."""
    try:
        conn = _open(path, readonly, timeout)
    except sqlite3.Error as exc:
        raise StoreError(f"The library at {path} cannot be opened: {exc}.") from exc
    if not readonly:
        migrate(conn)
    else:
        _check_application_id(conn, path)
    return conn


def _open(path: Path, readonly: bool, timeout: float) -> sqlite3.Connection:
    if readonly:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False, isolation_level=None)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        _use_wal(conn, timeout)
        conn.execute("PRAGMA synchronous = NORMAL")
        # The writer's checkpoints happen in storage.checkpoint's own thread; this is only the backstop.
        conn.execute("PRAGMA wal_autocheckpoint = 20000")
    return conn


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


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to the latest version, one migration per transaction. Returns the version."""
    _check_application_id(conn, Path(conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:"))
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    latest = max(MIGRATIONS)
    if version > latest:
        raise StoreError(
            f"This library was written by a newer Tidings (schema {version}, this one knows {latest}); "
            "update Tidings to open it."
        )
    for number in range(version + 1, latest + 1):
        _apply(conn, number, MIGRATIONS[number])
    return latest


def _apply(conn: sqlite3.Connection, number: int, step: Callable[[sqlite3.Connection], None]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] >= number:  # another process did it
            conn.execute("ROLLBACK")
            return
        step(conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
