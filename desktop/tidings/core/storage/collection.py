"""The reader's own collection in the store: saved stories (with a snapshot of the page) and topics."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from tidings.core.errors import NotFoundError, UserInputError

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_TOPIC_NAME = 80


@dataclass(frozen=True, slots=True)
class Topic:
    id: int
    name: str
    color: str | None
    stories: int = 0
    unread: int = 0


# -- saved ---------------------------------------------------------------------------------------------
def save(conn: sqlite3.Connection, story_id: int, snapshot: bytes | None, snapshot_type: str | None) -> bool:
    """Keep a story for good; returns False when it was saved already (its first snapshot is kept, unless
    it had none)."""
    _require_story(conn, story_id)
    cur = conn.execute(
        "INSERT OR IGNORE INTO saved (story_id, saved_at, snapshot, snapshot_type) VALUES (?, ?, ?, ?)",
        (story_id, int(time.time()), snapshot, snapshot_type),
    )
    if cur.rowcount == 0 and snapshot is not None:
        conn.execute(
            "UPDATE saved SET snapshot = ?, snapshot_type = ? WHERE story_id = ? AND snapshot IS NULL",
            (snapshot, snapshot_type, story_id),
        )
    return cur.rowcount > 0


def unsave(conn: sqlite3.Connection, story_id: int) -> bool:
    return conn.execute("DELETE FROM saved WHERE story_id = ?", (story_id,)).rowcount > 0


def is_saved(conn: sqlite3.Connection, story_id: int) -> bool:
    return conn.execute("SELECT 1 FROM saved WHERE story_id = ?", (story_id,)).fetchone() is not None


def saved_ids(conn: sqlite3.Connection) -> list[int]:
    return [r[0] for r in conn.execute("SELECT story_id FROM saved ORDER BY saved_at DESC, story_id DESC")]


def snapshot(conn: sqlite3.Connection, story_id: int) -> tuple[bytes, str | None] | None:
    row = conn.execute("SELECT snapshot, snapshot_type FROM saved WHERE story_id = ?", (story_id,)).fetchone()
    return (bytes(row[0]), row[1]) if row is not None and row[0] is not None else None


def saved_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM saved").fetchone()[0])


# -- topics --------------------------------------------------------------------------------------------
def create_topic(conn: sqlite3.Connection, name: str, color: str | None = None) -> int:
    name = _topic_name(name)
    if find_topic(conn, name, missing_ok=True) is not None:
        raise UserInputError(f"There is a topic “{name}” already.")
    cur = conn.execute(
        "INSERT INTO topics (name, color, created) VALUES (?, ?, ?)", (name, _color(color), int(time.time()))
    )
    return int(cur.lastrowid or 0)


def rename_topic(conn: sqlite3.Connection, topic_id: int, name: str) -> None:
    name = _topic_name(name)
    other = find_topic(conn, name, missing_ok=True)
    if other is not None and other != topic_id:
        raise UserInputError(f"There is a topic “{name}” already.")
    _changed(conn.execute("UPDATE topics SET name = ? WHERE id = ?", (name, topic_id)), topic_id)


def set_topic_color(conn: sqlite3.Connection, topic_id: int, color: str | None) -> None:
    _changed(conn.execute("UPDATE topics SET color = ? WHERE id = ?", (_color(color), topic_id)), topic_id)


def delete_topic(conn: sqlite3.Connection, topic_id: int) -> None:
    """The topic goes; its stories stay where they were."""
    _changed(conn.execute("DELETE FROM topics WHERE id = ?", (topic_id,)), topic_id)


def list_topics(conn: sqlite3.Connection) -> list[Topic]:
    rows = conn.execute(
        "SELECT t.id, t.name, t.color, count(st.story_id), coalesce(sum(s.is_read = 0), 0) FROM topics t"
        " LEFT JOIN story_topics st ON st.topic_id = t.id LEFT JOIN stories s ON s.id = st.story_id"
        " GROUP BY t.id ORDER BY t.name COLLATE NOCASE"
    )
    return [Topic(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def find_topic(conn: sqlite3.Connection, ref: str, *, missing_ok: bool = False) -> int | None:
    """A topic id from its name (any case) or its number."""
    row = conn.execute("SELECT id FROM topics WHERE name = ? COLLATE NOCASE", (ref.strip(),)).fetchone()
    if row is None and ref.strip().isdigit():
        row = conn.execute("SELECT id FROM topics WHERE id = ?", (int(ref),)).fetchone()
    if row is None and not missing_ok:
        raise NotFoundError(f"There is no topic “{ref}” (see `tidings topic list`).")
    return int(row[0]) if row is not None else None


def add_to_topic(conn: sqlite3.Connection, topic_id: int, story_ids: list[int]) -> int:
    _changed(conn.execute("SELECT 1 FROM topics WHERE id = ?", (topic_id,)), topic_id, select=True)
    for story_id in story_ids:
        _require_story(conn, story_id)
    now = int(time.time())
    cur = conn.executemany(
        "INSERT OR IGNORE INTO story_topics (story_id, topic_id, added_at) VALUES (?, ?, ?)",
        [(story_id, topic_id, now) for story_id in story_ids],
    )
    return cur.rowcount


def remove_from_topic(conn: sqlite3.Connection, topic_id: int, story_ids: list[int]) -> int:
    cur = conn.executemany(
        "DELETE FROM story_topics WHERE story_id = ? AND topic_id = ?", [(s, topic_id) for s in story_ids]
    )
    return cur.rowcount


def topics_of(conn: sqlite3.Connection, story_id: int) -> list[Topic]:
    rows = conn.execute(
        "SELECT t.id, t.name, t.color FROM topics t JOIN story_topics st ON st.topic_id = t.id"
        " WHERE st.story_id = ? ORDER BY t.name COLLATE NOCASE",
        (story_id,),
    )
    return [Topic(r[0], r[1], r[2]) for r in rows]


def training_examples(conn: sqlite3.Connection, per_topic: int = 200) -> list[tuple[dict[str, object], str]]:
    """The stories the reader filed, as (article, topic name) pairs to learn from (newest first)."""
    rows = conn.execute(
        "SELECT name, id, title, text FROM (SELECT t.name, s.id, s.title, s.text, row_number() OVER"
        " (PARTITION BY t.id ORDER BY st.added_at DESC) AS n FROM story_topics st"
        " JOIN topics t ON t.id = st.topic_id JOIN stories s ON s.id = st.story_id) WHERE n <= ?",
        (per_topic,),
    )
    return [({"id": r[1], "title": r[2] or "", "text": r[3] or ""}, r[0]) for r in rows]


def _topic_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise UserInputError("A topic needs a name.")
    if len(name) > MAX_TOPIC_NAME:
        raise UserInputError(f"A topic's name has at most {MAX_TOPIC_NAME} characters.")
    return name


def _color(color: str | None) -> str | None:
    if color is None or color == "":
        return None
    if not COLOR.fullmatch(color):
        raise UserInputError(f"A colour is written #rrggbb, not “{color}”.")
    return color.lower()


def _changed(cur: sqlite3.Cursor, topic_id: int, *, select: bool = False) -> None:
    found = cur.fetchone() is not None if select else cur.rowcount > 0
    if not found:
        raise NotFoundError(f"There is no topic {topic_id}.")


def _require_story(conn: sqlite3.Connection, story_id: int) -> None:
    if conn.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is None:
        raise NotFoundError(f"There is no story {story_id}.")


# -- same-story groups -----------------------------------------------------------------------------------
def groups_of(conn: sqlite3.Connection, story_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(group id, number of stories in the group) of those of `story_ids` in a group of two or more."""
    if not story_ids:
        return {}
    rows = conn.execute(
        "SELECT g.story_id, g.group_id, (SELECT count(*) FROM story_groups h WHERE h.group_id = g.group_id)"
        " FROM story_groups g WHERE g.story_id IN (SELECT value FROM json_each(?))",
        (json.dumps(story_ids),),
    )
    return {r[0]: (r[1], r[2]) for r in rows if r[2] > 1}


def group_member_ids(conn: sqlite3.Connection, story_id: int) -> list[int]:
    """The other stories of `story_id`'s group, newest first."""
    rows = conn.execute(
        "SELECT h.story_id FROM story_groups g JOIN story_groups h ON h.group_id = g.group_id"
        " JOIN stories s ON s.id = h.story_id WHERE g.story_id = ? AND h.story_id != ?"
        " ORDER BY s.sort_time DESC, s.id DESC",
        (story_id, story_id),
    )
    return [r[0] for r in rows]


def set_groups(conn: sqlite3.Connection, labels: dict[int, int]) -> None:
    """Store story -> group id (replacing those stories' earlier groups)."""
    conn.executemany(
        "INSERT OR REPLACE INTO story_groups (story_id, group_id) VALUES (?, ?)", list(labels.items())
    )


def recent_for_grouping(conn: sqlite3.Connection, days: int) -> list[dict[str, object]]:
    """The stories of the last `days`, in the order they arrived, as the grouping takes them."""
    since = int(time.time()) - days * 86_400
    rows = conn.execute(
        "SELECT s.id, s.title, substr(s.text, 1, 2000), coalesce(s.published, s.added_at), s.feed_id FROM stories s"
        " WHERE s.sort_time >= ? ORDER BY s.added_at, s.id",
        (since,),
    )
    return [
        {"id": r[0], "title": r[1] or "", "text": r[2] or "", "date": _day(r[3]), "source": f"feed-{r[4]}"}
        for r in rows
    ]


def _day(seconds: int | None) -> str:
    return datetime.fromtimestamp(seconds or 0, UTC).date().isoformat()
