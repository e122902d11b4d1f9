"""The schema as numbered migrations, and the copy of the store made before migrating it.

Never edit a released migration: add the next number.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from tidings.core.errors import StoreError

_V1 = """
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    opml_attrs TEXT
);
CREATE UNIQUE INDEX folders_by_name ON folders (coalesce(parent_id, 0), name);
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    user_title TEXT,
    site_url TEXT,
    description TEXT NOT NULL DEFAULT '',
    icon_url TEXT,
    folder_id INTEGER REFERENCES folders(id) ON DELETE SET NULL,
    position INTEGER NOT NULL DEFAULT 0,
    added_at INTEGER NOT NULL,
    opml_attrs TEXT,
    auth TEXT,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,
    last_checked INTEGER,
    last_success INTEGER,
    next_check INTEGER,
    error_message TEXT,
    error_at INTEGER,
    error_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    url TEXT,
    title TEXT NOT NULL DEFAULT '',
    author TEXT,
    summary TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    image_url TEXT,
    published INTEGER,
    updated INTEGER,
    added_at INTEGER NOT NULL,
    sort_time INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    is_read INTEGER NOT NULL DEFAULT 0,
    is_starred INTEGER NOT NULL DEFAULT 0,
    UNIQUE (feed_id, uid)
);
CREATE INDEX stories_by_time ON stories (sort_time DESC, id DESC);
CREATE INDEX stories_by_feed ON stories (feed_id, sort_time DESC, id DESC);
CREATE INDEX stories_unread ON stories (feed_id, is_read);
CREATE INDEX stories_starred ON stories (is_starred) WHERE is_starred;

CREATE VIRTUAL TABLE stories_fts USING fts5 (
    title, text, content='stories', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
-- Merge index segments in bigger, rarer steps: cheaper while a refresh adds thousands of rows at once.
INSERT INTO stories_fts (stories_fts, rank) VALUES ('automerge', 8);
INSERT INTO stories_fts (stories_fts, rank) VALUES ('crisismerge', 64);
-- New rows are indexed by storage.stories.insert in one statement per batch: a per-row trigger made
-- FTS5 three times slower on a first refresh.
CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
    INSERT INTO stories_fts (stories_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, text ON stories BEGIN
    INSERT INTO stories_fts (stories_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO stories_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
"""


def statements(sql: str) -> list[str]:
    """Split a script into complete statements (triggers keep their inner semicolons).

    `executescript` would COMMIT the migration's transaction first, so statements run one by one.
    """
    out, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    return out


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        for statement in statements(sql):
            conn.execute(statement)

    return run


_V2 = """
ALTER TABLE feeds ADD COLUMN show TEXT NOT NULL DEFAULT 'auto';
CREATE TABLE articles (
    story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    page BLOB,
    content_type TEXT,
    extractor_version TEXT,
    title TEXT,
    byline TEXT,
    published INTEGER,
    lead_image TEXT,
    canonical_url TEXT,
    language TEXT,
    html TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    is_article INTEGER NOT NULL DEFAULT 0,
    confidence REAL NOT NULL DEFAULT 0,
    failure TEXT
);
"""

_V3 = """
ALTER TABLE feeds ADD COLUMN images INTEGER NOT NULL DEFAULT 1;
ALTER TABLE articles ADD COLUMN etag TEXT;
ALTER TABLE articles ADD COLUMN last_modified TEXT;
-- failed fetches in a row; an unreachable page is fetched again on later runs while attempts < 3
ALTER TABLE articles ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN images_listed INTEGER NOT NULL DEFAULT 0;
UPDATE articles SET attempts = 1 WHERE page IS NULL;
CREATE TABLE image_data (
    sha256 TEXT PRIMARY KEY,
    bytes BLOB NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL
);
CREATE TABLE images (
    url TEXT PRIMARY KEY,
    sha256 TEXT REFERENCES image_data(sha256),
    content_type TEXT,
    fetched_at INTEGER NOT NULL,
    failure TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    CHECK ((sha256 IS NULL) != (failure IS NULL))
);
CREATE INDEX images_by_sha256 ON images (sha256) WHERE sha256 IS NOT NULL;
-- Refers to articles, not stories: a list is the article's own data, gone with it, and never a reason to
-- keep a story (retention treats a foreign key to stories as one).
CREATE TABLE article_images (
    story_id INTEGER NOT NULL REFERENCES articles(story_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (story_id, position)
) WITHOUT ROWID;
CREATE INDEX article_images_by_url ON article_images (url);
"""

_V4 = """
-- The reader's own collection. Every table that refers to stories keeps them from retention's purge.
CREATE TABLE saved (
    story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    saved_at INTEGER NOT NULL,
    snapshot BLOB,          -- the original page as fetched when saved (NULL: it could not be fetched)
    snapshot_type TEXT
);
CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    color TEXT,             -- NULL: a note on the whole story
    exact TEXT,             -- TextQuoteSelector
    prefix TEXT,
    suffix TEXT,
    start INTEGER,          -- TextPositionSelector over the normalised text of `source`
    end INTEGER,
    source TEXT NOT NULL DEFAULT 'article',   -- which text it is anchored in: the article or the feed's
    text_version TEXT,      -- the extractor version of that text
    status TEXT NOT NULL DEFAULT 'exact',     -- exact | moved | fuzzy | orphan, after the last re-anchoring
    note TEXT NOT NULL DEFAULT '',
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL
);
CREATE INDEX annotations_by_story ON annotations (story_id);
CREATE TABLE topics (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    color TEXT,
    created INTEGER NOT NULL
);
CREATE TABLE story_topics (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (story_id, topic_id)
) WITHOUT ROWID;
CREATE INDEX story_topics_by_topic ON story_topics (topic_id, story_id);
-- Same-story groups (computed, never a reason to keep a story: no foreign key, cleaned up by trigger).
CREATE TABLE story_groups (
    story_id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL
);
CREATE INDEX story_groups_by_group ON story_groups (group_id);
CREATE TRIGGER story_groups_gone AFTER DELETE ON stories BEGIN
    DELETE FROM story_groups WHERE story_id = old.id;
END;
-- A feed's icon, fetched once (a failure is kept too, so it is not asked for on every refresh).
CREATE TABLE feed_icons (
    feed_id INTEGER PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
    data BLOB,
    content_type TEXT,
    fetched_at INTEGER NOT NULL,
    failure TEXT
);
"""

# Retention's tombstones: a purged story never comes back with the next refresh (see core.retention).
TOMBSTONES = """
CREATE TABLE purged_stories (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    purged_at INTEGER NOT NULL,
    PRIMARY KEY (feed_id, uid)
) WITHOUT ROWID;
-- A purged story stays purged: the refresh (or anything else) inserting it again is silently skipped.
CREATE TRIGGER stories_skip_purged BEFORE INSERT ON stories
WHEN EXISTS (SELECT 1 FROM purged_stories p WHERE p.feed_id = new.feed_id AND p.uid = new.uid)
BEGIN
    SELECT RAISE(IGNORE);
END;
"""

_V6 = """
-- Images in the feed's own text (not only in extracted articles), for feeds that keep images.
ALTER TABLE stories ADD COLUMN images_listed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE story_images (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (story_id, position)
) WITHOUT ROWID;
CREATE INDEX story_images_by_url ON story_images (url);
"""

MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _script(_V1),
    2: _script(_V2),  # articles: the page behind a story, kept so a better extractor can re-extract it
    3: _script(_V3),  # article images for offline reading (see storage.images); page validators and retries
    4: _script(_V4),  # saved stories, annotations, topics, same-story groups, feed icons
    5: _script(TOMBSTONES),  # stories purged by retention stay purged
    6: _script(_V6),  # images of the feed's own text
}


# -- the copy made before migrating -------------------------------------------------------------------
BACKUPS_KEPT = 2  # the copies before the last two upgrades; older ones are deleted
_BACKUP = re.compile(r"\.before-v(\d+)\.bak$")


def backup_path(db: Path, before: int) -> Path:
    """Where the copy of `db` made before migrating it to schema `before` goes."""
    return db.with_name(f"{db.name}.before-v{before}.bak")


def backups(db: Path) -> list[Path]:
    """The copies made before migrations, newest schema first."""
    found = []
    for path in db.parent.glob(glob.escape(db.name) + ".before-v*.bak"):
        match = _BACKUP.search(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found, reverse=True)]


def back_up(db: Path, *, before: int) -> Path:
    """Copy the store to `backup_path(db, before)` and return that path; keep the newest BACKUPS_KEPT.

    SQLite's backup API copies what is committed (the WAL's content included) as one consistent snapshot,
    from a connection of its own: the migrating connection holds the write lock, so nothing changes
    meanwhile. The copy is written under a temporary name, synced, then renamed: a kill never leaves a
    partial copy under the final name. A copy already there is kept, not overwritten: it comes from an
    earlier try, made before anything was migrated. Raises StoreError (nothing migrated) when the copy
    cannot be written, a full disk say."""
    target = backup_path(db, before)
    if target.exists():
        return target
    partial = target.with_name(target.name + ".partial")
    try:
        _copy(db, partial)
        os.replace(partial, target)
        _sync_folder(target.parent)
    except (OSError, sqlite3.Error) as exc:
        _remove(partial)
        raise StoreError(
            f"Tidings could not copy the library to {target} before upgrading it ({exc}); nothing was changed. "
            "Make room on the disk and start Tidings again."
        ) from exc
    for old in backups(db)[BACKUPS_KEPT:]:
        _remove(old)
    return target


def _copy(db: Path, partial: Path) -> None:
    _remove(partial)  # left by a copy that was killed: never complete
    source = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)  # the target commits with synchronous=FULL: on disk when this returns
        finally:
            target.close()
    finally:
        source.close()


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-journal")):
        with contextlib.suppress(OSError):  # best effort: what cannot go makes the copy fail, in words
            leftover.unlink()


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory handles to sync)."""
    if sys.platform == "win32":  # pragma: no cover
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
