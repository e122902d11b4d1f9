"""Feed icons in the store: one row per feed once its icon was looked for (the bytes, or why there are none)."""

from __future__ import annotations

import sqlite3
import time


def missing(conn: sqlite3.Connection) -> list[int]:
    """Feeds with no icon row yet (never tried)."""
    rows = conn.execute("SELECT id FROM feeds WHERE id NOT IN (SELECT feed_id FROM feed_icons)")
    return [r[0] for r in rows]


def save(
    conn: sqlite3.Connection, feed_id: int, data: bytes | None, content_type: str | None, failure: str | None
) -> None:
    if conn.execute("SELECT 1 FROM feeds WHERE id = ?", (feed_id,)).fetchone() is None:
        return  # removed meanwhile
    conn.execute(
        "INSERT OR REPLACE INTO feed_icons (feed_id, data, content_type, fetched_at, failure) VALUES (?, ?, ?, ?, ?)",
        (feed_id, data, content_type, int(time.time()), failure),
    )


def stored(conn: sqlite3.Connection) -> dict[int, bytes]:
    """Every feed's icon bytes, by feed id (small: a few KB each)."""
    return {
        r[0]: bytes(r[1]) for r in conn.execute("SELECT feed_id, data FROM feed_icons WHERE data IS NOT NULL")
    }
