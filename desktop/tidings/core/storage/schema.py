"""The schema as numbered migrations. Never edit a released migration: add the next number."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

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

MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _script(_V1),
    2: _script(_V2),  # articles: the page behind a story, kept so a better extractor can re-extract it
}
