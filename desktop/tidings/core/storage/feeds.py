"""Feeds and folders in the store."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from tidings.core.errors import NotFoundError, UserInputError
from tidings.core.models import Feed, FeedError, Folder
from tidings.core.textclean import clean_line, clean_url


@dataclass(frozen=True, slots=True)
class FeedState:
    """What a refresh needs to know about one feed."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    next_check: int | None
    error_count: int
    auth: str | None


def when(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


FOLDER_SEPARATOR = " / "
Attrs = tuple[tuple[str, str], ...]


def folder_path(name: str | None) -> list[str]:
    """A folder path from what a person wrote: "News / World" is World inside News."""
    parts = (clean_line(part) for part in (name or "").split(FOLDER_SEPARATOR))
    return [part for part in parts if part]


def folder_id(conn: sqlite3.Connection, name: str | None, levels: list[Attrs] | None = None) -> int | None:
    """The id of the folder at path `name`, created as needed (after everything so far); None for none.

    `levels` are the OPML attributes of each level of the path, kept for a faithful export."""
    parent: int | None = None
    for depth, part in enumerate(folder_path(name)):
        attrs = levels[depth] if levels and depth < len(levels) else None
        parent = _child_folder(conn, parent, part, attrs)
    return parent


def _child_folder(conn: sqlite3.Connection, parent: int | None, name: str, attrs: Attrs | None) -> int:
    row = conn.execute(
        "SELECT id FROM folders WHERE coalesce(parent_id, 0) = ? AND name = ?", (parent or 0, name)
    ).fetchone()
    if row:
        return int(row[0])
    cur = conn.execute(
        "INSERT INTO folders (name, parent_id, position, opml_attrs)"
        " VALUES (?, ?, (SELECT coalesce(max(position), 0) + 1 FROM feeds), ?)",
        (name, parent, _attrs_json(attrs)),
    )
    return int(cur.lastrowid or 0)


_FOLDER_PATHS = """
WITH RECURSIVE tree(id, path, position) AS (
    SELECT id, name, position FROM folders WHERE parent_id IS NULL
    UNION ALL
    SELECT f.id, tree.path || ' / ' || f.name, f.position FROM folders f JOIN tree ON f.parent_id = tree.id
)
"""


@dataclass(frozen=True, slots=True)
class FolderRow:
    id: int
    name: str
    parent_id: int | None
    position: int
    attrs: Attrs


def folder_rows(conn: sqlite3.Connection) -> list[FolderRow]:
    rows = conn.execute("SELECT id, name, parent_id, position, opml_attrs FROM folders ORDER BY position, id")
    return [FolderRow(r[0], r[1], r[2], r[3], _attrs_from(r[4])) for r in rows]


@dataclass(frozen=True, slots=True)
class FeedPlace:
    """Where a feed sits, for the OPML export, and what was imported with it."""

    feed_id: int
    folder_id: int | None
    position: int
    attrs: Attrs


def feed_places(conn: sqlite3.Connection) -> list[FeedPlace]:
    rows = conn.execute("SELECT id, folder_id, position, opml_attrs FROM feeds ORDER BY position, id")
    return [FeedPlace(r[0], r[1], r[2], _attrs_from(r[3])) for r in rows]


def _attrs_from(raw: str | None) -> Attrs:
    return tuple((str(k), str(v)) for k, v in json.loads(raw)) if raw else ()


def _prune_folders(conn: sqlite3.Connection) -> None:
    """Drop folders left with no feeds and no folders inside."""
    while conn.execute(
        "DELETE FROM folders WHERE id NOT IN (SELECT folder_id FROM feeds WHERE folder_id IS NOT NULL)"
        " AND id NOT IN (SELECT parent_id FROM folders WHERE parent_id IS NOT NULL)"
    ).rowcount:
        pass


def list_folders(conn: sqlite3.Connection) -> list[Folder]:
    """Every folder by its full path ("News / World"), in the user's order."""
    rows = conn.execute(_FOLDER_PATHS + "SELECT id, path FROM tree ORDER BY position, path")
    return [Folder(r[0], r[1]) for r in rows]


def add_feed(
    conn: sqlite3.Connection,
    url: str,
    *,
    title: str = "",
    folder: str | None = None,
    site_url: str | None = None,
    opml_attrs: tuple[tuple[str, str], ...] | None = None,
    auth: str | None = None,
    user_title: str | None = None,
    folder_attrs: list[Attrs] | None = None,
    images: bool = False,
) -> int:
    """Subscribe to `url`; raises UserInputError when it is already in the list.

    A new feed downloads no images until the person allows it (`images`, or later `set_images`): an image
    request tells a site who reads what and when."""
    existing = conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()
    if existing:
        raise UserInputError(f"You are already subscribed to {url} (feed {existing[0]}).")
    cur = conn.execute(
        "INSERT INTO feeds (url, title, user_title, site_url, folder_id, position, added_at, opml_attrs, auth,"
        " images) VALUES (?, ?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM feeds), ?, ?, ?, ?)",
        (
            url,
            clean_line(title),  # feed titles are cleaned here, as they are stored (see core.textclean)
            clean_line(user_title or "") or None,
            clean_url(site_url),
            folder_id(conn, folder, folder_attrs),
            int(time.time()),
            _attrs_json(opml_attrs),
            auth,
            int(images),
        ),
    )
    return int(cur.lastrowid or 0)


def _attrs_json(attrs: tuple[tuple[str, str], ...] | None) -> str | None:
    return json.dumps([list(a) for a in attrs], ensure_ascii=False) if attrs else None


_FEED_SELECT = (
    _FOLDER_PATHS
    + """
SELECT f.id, f.url, coalesce(f.user_title, nullif(f.title, ''), f.url) AS title, d.path AS folder,
       f.site_url, f.description, f.icon_url, f.last_checked, f.next_check, f.error_message, f.error_at,
       f.error_count, f.auth, f.show,
       coalesce(c.unread, 0) AS unread, coalesce(c.total, 0) AS total
FROM feeds f LEFT JOIN tree d ON d.id = f.folder_id
LEFT JOIN (SELECT feed_id, count(*) AS total, sum(is_read = 0) AS unread FROM stories GROUP BY feed_id) c
       ON c.feed_id = f.id
"""
)


def list_feeds(conn: sqlite3.Connection) -> list[Feed]:
    rows = conn.execute(_FEED_SELECT + " ORDER BY d.path IS NOT NULL, d.position, d.path, f.position, f.id")
    return [_feed(r) for r in rows]


def get_feed(conn: sqlite3.Connection, feed_id: int) -> Feed:
    row = conn.execute(_FEED_SELECT + " WHERE f.id = ?", (feed_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"There is no feed {feed_id}.")
    return _feed(row)


def find_feed(conn: sqlite3.Connection, ref: str) -> int:
    """A feed id from an id, an exact address or an exact title (case-insensitive)."""
    if ref.isdigit() and conn.execute("SELECT 1 FROM feeds WHERE id = ?", (int(ref),)).fetchone():
        return int(ref)
    rows = conn.execute(
        "SELECT id FROM feeds WHERE url = ? OR lower(coalesce(user_title, title)) = lower(?)", (ref, ref)
    ).fetchall()
    if len(rows) == 1:
        return int(rows[0][0])
    if len(rows) > 1:
        raise UserInputError(f"“{ref}” names {len(rows)} feeds; use the feed's number instead.")
    raise NotFoundError(f"There is no feed “{ref}” (see `tidings feeds`).")


def _feed(r: sqlite3.Row) -> Feed:
    error = None
    if r["error_message"]:
        error = FeedError(r["error_message"], when(r["error_at"]) or datetime.now(UTC), r["error_count"])
    return Feed(
        id=r["id"],
        url=r["url"],
        title=r["title"],
        folder=r["folder"],
        site_url=r["site_url"],
        description=r["description"],
        icon_url=r["icon_url"],
        unread=r["unread"],
        total=r["total"],
        last_checked=when(r["last_checked"]),
        next_check=when(r["next_check"]),
        error=error,
        auth=r["auth"],
        show=r["show"],
    )


def rename_feed(conn: sqlite3.Connection, feed_id: int, title: str) -> None:
    title = clean_line(title)
    _touch(conn.execute("UPDATE feeds SET user_title = ? WHERE id = ?", (title or None, feed_id)), feed_id)


def move_feed(conn: sqlite3.Connection, feed_id: int, folder: str | None) -> None:
    fid = folder_id(conn, folder)
    _touch(conn.execute("UPDATE feeds SET folder_id = ? WHERE id = ?", (fid, feed_id)), feed_id)
    _prune_folders(conn)


def remove_feed(conn: sqlite3.Connection, feed_id: int) -> None:
    _touch(conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,)), feed_id)
    _prune_folders(conn)


def _touch(cursor: sqlite3.Cursor, feed_id: int) -> None:
    if cursor.rowcount == 0:
        raise NotFoundError(f"There is no feed {feed_id}.")


def states(conn: sqlite3.Connection, ids: list[int] | None = None) -> list[FeedState]:
    sql = "SELECT id, url, etag, last_modified, body_hash, next_check, error_count, auth FROM feeds"
    rows = conn.execute(sql + " ORDER BY id").fetchall()
    wanted = set(ids) if ids is not None else None
    return [FeedState(*r) for r in rows if wanted is None or r[0] in wanted]


_SUCCESS = (
    "UPDATE feeds SET etag = ?, last_modified = ?, body_hash = coalesce(?, body_hash), last_checked = ?,"
    " last_success = ?, next_check = ?, error_message = NULL, error_at = NULL, error_count = 0 WHERE id = ?"
)


@dataclass(frozen=True, slots=True)
class Success:
    """A fetch that worked: the validators and body hash to keep, and when to look again."""

    feed_id: int
    etag: str | None
    last_modified: str | None
    next_check: int | None
    body_hash: str | None = None


def record_success(
    conn: sqlite3.Connection,
    feed_id: int,
    *,
    etag: str | None,
    last_modified: str | None,
    next_check: int | None,
    body_hash: str | None = None,
) -> None:
    record_successes(conn, [Success(feed_id, etag, last_modified, next_check, body_hash)])


def record_successes(conn: sqlite3.Connection, successes: list[Success]) -> None:
    """Many at once: a refresh of unchanged feeds is a thousand of these."""
    now = int(time.time())
    conn.executemany(
        _SUCCESS,
        [(s.etag, s.last_modified, s.body_hash, now, now, s.next_check, s.feed_id) for s in successes],
    )


def record_metadata(
    conn: sqlite3.Connection,
    feed_id: int,
    *,
    title: str,
    site_url: str | None,
    description: str,
    icon_url: str | None,
) -> None:
    conn.execute(
        "UPDATE feeds SET title = coalesce(nullif(?, ''), title), site_url = coalesce(?, site_url),"
        " description = ?, icon_url = coalesce(?, icon_url) WHERE id = ?",
        (clean_line(title), clean_url(site_url), clean_line(description), clean_url(icon_url), feed_id),
    )


def record_error(conn: sqlite3.Connection, feed_id: int, message: str, *, next_check: int | None) -> None:
    now = int(time.time())
    conn.execute(
        "UPDATE feeds SET last_checked = ?, error_message = ?, error_at = ?, error_count = error_count + 1,"
        " next_check = ? WHERE id = ?",
        (now, clean_line(message), now, next_check, feed_id),  # may quote a server's words
    )


def move_address(conn: sqlite3.Connection, feed_id: int, new_url: str) -> bool:
    """Follow a permanent redirect; False when another feed already has that address."""
    try:
        conn.execute("UPDATE feeds SET url = ? WHERE id = ?", (new_url, feed_id))
    except sqlite3.IntegrityError:
        return False
    return True


def set_auth(conn: sqlite3.Connection, feed_id: int, kind: str | None) -> None:
    """Remember that the keyring holds a secret of `kind` for the feed (never the secret itself).

    A new login makes the feed due at once: the back-off after its 401s is over."""
    cursor = conn.execute("UPDATE feeds SET auth = ?, next_check = NULL WHERE id = ?", (kind, feed_id))
    _touch(cursor, feed_id)
