"""Retention: forget old stories the reader is done with, and keep them forgotten.

A story is purged when it arrived more than `keep_days` ago, is read (unread ones too only when asked),
is not starred, and no table that protects stories refers to it (saved, annotated, filed in a topic...).

A purged story leaves a tombstone, its feed and uid, in `purged_stories`: the feed may still carry the
entry, and the refresh decides "new" by uid, so without it the story would come back as new and unread the
next time the feed changes. A trigger skips inserting a story that has a tombstone, whichever code path
inserts it. The tombstone table and trigger are a schema migration (`TOMBSTONES_MIGRATION`) that belongs
in storage/schema.py as the next number; until it is there, purging refuses to run.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable

from .storage.schema import TOMBSTONES

DAY = 86_400
PURGE_BATCH = 500  # stories per writer transaction: other writes (marking read) never wait long behind one

TOMBSTONES_MIGRATION = TOMBSTONES  # migration 5 in storage/schema.py

# Tables whose rows are a story's own data, deleted with it (ON DELETE CASCADE), never a reason to keep it.
DISPOSABLE_TABLES = frozenset({"articles", "story_images"})
# Tables that protect the stories they name even without a declared foreign key (by a `story_id` column).
PROTECTIVE_TABLES = ("saved", "annotations")

Write = Callable[[Callable[[sqlite3.Connection], int]], int]


def purge_old_stories(
    conn: sqlite3.Connection,
    keep_days: int,
    *,
    now: float | None = None,
    unread: bool = False,
    limit: int | None = None,
) -> int:
    """Delete up to `limit` stories older than `keep_days` (by arrival); returns how many went.

    `keep_days <= 0` keeps everything. Starred stories and stories referred to by a protective table are
    never deleted; unread ones only with `unread=True`. Each deleted story leaves a tombstone. Call it on the
    writing connection, inside a transaction (`Library.write`): the search index follows through the
    delete trigger of storage/schema.py."""
    if keep_days <= 0:
        return 0
    if not has_tombstones(conn):
        raise RuntimeError("purged_stories is missing: add retention.TOMBSTONES_MIGRATION to the schema")
    moment = time.time() if now is None else now
    sql = _candidates_sql(protective_references(conn), unread=unread)
    cutoff = int(moment - keep_days * DAY)
    ids = [row[0] for row in conn.execute(sql, (cutoff, -1 if limit is None else limit))]
    for start in range(0, len(ids), PURGE_BATCH):
        _bury(conn, ids[start : start + PURGE_BATCH], int(moment))
    return len(ids)


def purge(
    write: Write,
    keep_days: int,
    *,
    now: float | None = None,
    unread: bool = False,
    cancel: threading.Event | None = None,
    batch: int = PURGE_BATCH,
) -> int:
    """Purge in batches, each its own writer transaction, until nothing is left or `cancel` is set.

    `write` runs a callable on the writing connection and returns its result (`Library.write`)."""
    moment = time.time() if now is None else now
    total = 0
    while cancel is None or not cancel.is_set():
        done = write(lambda conn: purge_old_stories(conn, keep_days, now=moment, unread=unread, limit=batch))
        total += done
        if done < batch:
            break
    return total


def has_tombstones(conn: sqlite3.Connection) -> bool:
    """Whether the schema has the tombstone table (TOMBSTONES_MIGRATION applied)."""
    return _table_exists(conn, "purged_stories")


def protective_references(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, column) pairs whose rows keep a story: every column with a foreign key to `stories` outside
    the disposable tables, and the `story_id` column of the named protective tables that exist.

    Found in the schema each time, so tables added by later migrations protect their stories at once."""
    found: set[tuple[str, str]] = set()
    rows = conn.execute(
        'SELECT m.name, f."from" FROM sqlite_master m, pragma_foreign_key_list(m.name) f'
        " WHERE m.type = 'table' AND lower(f.\"table\") = 'stories'"
    )
    found.update((table, column) for table, column in rows if table.lower() not in DISPOSABLE_TABLES)
    for table in PROTECTIVE_TABLES:
        if _table_exists(conn, table) and "story_id" in _columns(conn, table):
            found.add((table, "story_id"))
    return sorted(found)


def _candidates_sql(protective: Iterable[tuple[str, str]], *, unread: bool) -> str:
    where = ["s.added_at < ?", "s.is_starred = 0"]
    if not unread:
        where.append("s.is_read = 1")
    where += [
        f"NOT EXISTS (SELECT 1 FROM {_quote(table)} p WHERE p.{_quote(column)} = s.id)"
        for table, column in protective
    ]
    return "SELECT s.id FROM stories s WHERE " + " AND ".join(where) + " ORDER BY s.id LIMIT ?"


def _bury(conn: sqlite3.Connection, ids: list[int], now: int) -> None:
    marks = ",".join("?" * len(ids))
    conn.execute(
        "INSERT OR REPLACE INTO purged_stories (feed_id, uid, content_hash, purged_at)"
        f" SELECT feed_id, uid, content_hash, ? FROM stories WHERE id IN ({marks})",
        [now, *ids],
    )
    conn.execute(f"DELETE FROM stories WHERE id IN ({marks})", ids)


def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return row is not None


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table)})")}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
