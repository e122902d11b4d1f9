"""Retention: which stories go, which always stay, the search index after a purge, and purged stories
staying purged when their feed still carries them."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time

import pytest

from tests.loopback import LoopbackServer
from tidings.core import retention
from tidings.core.library import Library
from tidings.core.retention import TOMBSTONES_MIGRATION, has_tombstones, purge, purge_old_stories
from tidings.core.storage import feeds as feed_store
from tidings.core.storage import stories as story_store
from tidings.core.storage.schema import statements
from tidings.core.storage.stories import StoryFilter
from tidings.core.update import StoryRow

DAY = 86_400
NOW = time.time()


@pytest.fixture
def lib(library: Library) -> Library:
    """The test library with the tombstone migration, whether or not schema.py has it yet."""
    if not library.write(has_tombstones):
        library.write(lambda c: [c.execute(s) for s in statements(TOMBSTONES_MIGRATION)])
    return library


def row(n: int, word: str = "") -> StoryRow:
    text = f"story {n} {word}".strip()
    return StoryRow(
        f"g:{n}", f"https://example.org/{n}", f"Story {n} {word}".strip(), None, "", f"<p>{text}</p>", text,
        None, 1_700_000_000 + n, None, hashlib.sha1(text.encode()).hexdigest(),
    )  # fmt: skip


def stock(library: Library, count: int, *, url: str = "https://example.org/feed") -> tuple[int, list[int]]:
    """A feed with `count` stories; returns the feed id and the story ids, oldest first."""
    feed_id = library.write(lambda c: feed_store.add_feed(c, url))
    library.write(lambda c: story_store.insert(c, feed_id, [row(n) for n in range(count)]))
    return feed_id, story_ids(library, feed_id)


def story_ids(library: Library, feed_id: int) -> list[int]:
    return sorted(s.id for s, _key in library.stories(StoryFilter((feed_id,)), limit=1000))


def age(library: Library, ids: list[int], days: float) -> None:
    marks = ",".join("?" * len(ids))
    when = int(NOW - days * DAY)
    library.write(lambda c: c.execute(f"UPDATE stories SET added_at = ? WHERE id IN ({marks})", [when, *ids]))


def purge_now(library: Library, keep_days: int, **options: bool) -> int:
    return library.write(lambda c: purge_old_stories(c, keep_days, now=NOW, **options))


def check_index(library: Library) -> None:
    """FTS5 checks its index against the stories table (rank 1: the external content too)."""
    check = "INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)"
    library.write(lambda c: c.execute(check))
    docs = library.reader().execute("SELECT count(*) FROM stories_fts_docsize").fetchone()[0]
    assert docs == library.count()


def test_keeping_forever_purges_nothing(lib: Library) -> None:
    _feed, ids = stock(lib, 3)
    lib.mark_read(ids)
    age(lib, ids, 1000)
    assert purge_now(lib, 0) == 0
    assert lib.count() == 3


def test_old_read_stories_go_recent_unread_and_starred_ones_stay(lib: Library) -> None:
    feed_id, (old_read, old_unread, old_starred, recent_read) = stock(lib, 4)
    lib.mark_read([old_read, old_starred, recent_read])
    lib.star([old_starred])
    age(lib, [old_read, old_unread, old_starred], 31)
    age(lib, [recent_read], 29)
    assert purge_now(lib, 30) == 1
    assert story_ids(lib, feed_id) == [old_unread, old_starred, recent_read]


def test_unread_stories_go_too_when_asked_but_starred_ones_never(lib: Library) -> None:
    feed_id, (unread, starred_unread, starred_read) = stock(lib, 3)
    lib.star([starred_unread, starred_read])
    lib.mark_read([starred_read])
    age(lib, [unread, starred_unread, starred_read], 400)
    assert purge_now(lib, 30, unread=True) == 1
    assert story_ids(lib, feed_id) == [starred_unread, starred_read]


def test_stories_that_protective_tables_refer_to_stay(lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "PROTECTIVE_TABLES", ("test_notes",))
    feed_id, (marked, filed, noted, plain) = stock(lib, 4)
    lib.write(lambda c: [c.execute(s) for s in statements(PROTECTIVE_SCHEMA)])
    lib.write(lambda c: c.execute("INSERT INTO test_marks (story_id) VALUES (?)", (marked,)))
    lib.write(lambda c: c.execute("INSERT INTO test_members (topic, story) VALUES (1, ?)", (filed,)))
    lib.write(lambda c: c.execute("INSERT INTO test_notes (story_id) VALUES (?)", (noted,)))
    ids = [marked, filed, noted, plain]
    lib.mark_read(ids)
    age(lib, ids, 90)
    assert purge_now(lib, 30) == 1
    assert story_ids(lib, feed_id) == [marked, filed, noted]


PROTECTIVE_SCHEMA = """
-- found by their foreign key to stories, whatever the table and the column are called
CREATE TABLE test_marks (id INTEGER PRIMARY KEY, story_id INTEGER REFERENCES stories(id) ON DELETE CASCADE);
CREATE TABLE test_members (topic INTEGER, story INTEGER REFERENCES stories ON DELETE CASCADE);
-- no foreign key: protects because retention.PROTECTIVE_TABLES names it
CREATE TABLE test_notes (id INTEGER PRIMARY KEY, story_id INTEGER NOT NULL);
"""


def test_saved_annotated_and_filed_stories_are_protected_once_their_tables_exist(lib: Library) -> None:
    tables = {name for (name,) in lib.reader().execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    found = lib.write(retention.protective_references)
    expected = {("saved", "story_id"), ("annotations", "story_id"), ("story_topics", "story_id")}
    assert expected <= set(found) and expected <= {(t, "story_id") for t in tables}
    assert not any(
        table in retention.DISPOSABLE_TABLES for table, _column in found
    )  # articles go with a story


def test_a_saved_story_stays(lib: Library) -> None:
    feed_id, (saved, plain) = stock(lib, 2)
    lib.write(lambda c: c.execute("INSERT INTO saved (story_id, saved_at) VALUES (?, 0)", (saved,)))
    lib.mark_read([saved, plain])
    age(lib, [saved, plain], 400)
    assert lib.purge_old(30, unread=True) == 1
    assert story_ids(lib, feed_id) == [saved]


def test_a_purged_story_takes_its_extracted_article_with_it(lib: Library) -> None:
    _feed, [story] = stock(lib, 1)
    lib.write(
        lambda c: c.execute(
            "INSERT INTO articles (story_id, url, fetched_at, html) VALUES (?, 'https://example.org/0', 0, 'x')",
            (story,),
        )
    )
    lib.mark_read([story])
    age(lib, [story], 60)
    assert purge_now(lib, 30) == 1
    assert lib.article(story) is None


def test_the_search_index_follows_a_purge(lib: Library) -> None:
    feed_id = lib.write(lambda c: feed_store.add_feed(c, "https://example.org/feed"))
    words = ["aardvark", "bison", "cormorant", "dugong"]
    lib.write(lambda c: story_store.insert(c, feed_id, [row(n, w) for n, w in enumerate(words)]))
    ids = story_ids(lib, feed_id)
    lib.mark_read(ids[:3])
    age(lib, ids, 45)
    assert purge_now(lib, 30) == 3
    check_index(lib)
    assert lib.search("aardvark") == []
    assert [hit.story.id for hit in lib.search("dugong")] == [ids[3]]
    lib.write(lambda c: story_store.insert(c, feed_id, [row(9, "eland")]))  # ids are reused after a purge
    check_index(lib)
    assert [hit.story.title for hit in lib.search("eland")] == ["Story 9 eland"]


def test_batches_add_up_and_cancel_stops_between_them(lib: Library) -> None:
    _feed, ids = stock(lib, 7)
    lib.mark_read(ids)
    age(lib, ids, 100)
    cancel = threading.Event()
    cancel.set()
    assert purge(lib.write, 30, now=NOW, cancel=cancel, batch=2) == 0
    assert purge(lib.write, 30, now=NOW, batch=2) == 7
    assert lib.count() == 0
    check_index(lib)


def test_the_library_method_uses_the_clock(lib: Library) -> None:
    _feed, ids = stock(lib, 2)
    lib.mark_read(ids)
    age(lib, ids[:1], 8)
    assert lib.purge_old(7) == 1
    assert lib.purge_old(-1) == 0
    assert [s.id for s, _key in lib.stories()] == ids[1:]


def test_purging_refuses_without_tombstones(library: Library) -> None:
    """Deleting without a tombstone would bring the story back, unread, on the next refresh."""

    def drop(conn: sqlite3.Connection) -> None:
        conn.execute("DROP TRIGGER IF EXISTS stories_skip_purged")
        conn.execute("DROP TABLE IF EXISTS purged_stories")

    _feed, ids = stock(library, 1)
    library.mark_read(ids)
    age(library, ids, 100)
    library.write(drop)
    with pytest.raises(RuntimeError, match="TOMBSTONES_MIGRATION"):
        library.purge_old(30)
    assert library.count() == 1


def rss(*items: str) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><guid isPermaLink='false'>{title}</guid>"
        f"<description>{title} text</description></item>"
        for title in items
    )
    channel = f"<channel><title>T</title>{entries}</channel>"
    return f"<?xml version='1.0'?><rss version='2.0'>{channel}</rss>".encode()


def test_a_purged_story_still_in_the_feed_does_not_come_back(lib: Library, server: LoopbackServer) -> None:
    server.serve("/f.xml", rss("alpha", "beta"))
    feed_id = lib.write(lambda c: feed_store.add_feed(c, server.url("/f.xml")))
    assert lib.refresh().new == 2
    alpha = next(s.id for s, _key in lib.stories() if s.title == "alpha")
    lib.mark_read([alpha])
    age(lib, [alpha], 60)
    assert lib.purge_old(30) == 1

    # a new body: every entry is parsed and decided again
    server.serve("/f.xml", rss("gamma", "alpha", "beta"))
    lib.refresh(force=True)
    assert sorted(s.title for s, _key in lib.stories()) == ["beta", "gamma"]
    assert lib.count(StoryFilter((feed_id,), unread=True)) == 2
    check_index(lib)


def test_removing_a_feed_removes_its_tombstones(lib: Library) -> None:
    feed_id, ids = stock(lib, 2)
    lib.mark_read(ids)
    age(lib, ids, 60)
    assert purge_now(lib, 30) == 2
    lib.remove_feed(feed_id)
    assert lib.reader().execute("SELECT count(*) FROM purged_stories").fetchone()[0] == 0
