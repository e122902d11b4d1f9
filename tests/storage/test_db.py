"""The store: pragmas, migrations, foreign keys, FTS5, the writer, locks between processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tidings.core.errors import StoreBusyError, StoreError
from tidings.core.storage import feeds, stories
from tidings.core.storage.db import APPLICATION_ID, connect, migrate
from tidings.core.storage.lock import FileLock
from tidings.core.storage.schema import MIGRATIONS
from tidings.core.storage.writer import Writer
from tidings.core.update import StoryRow


def row(
    uid: str, title: str = "A title", text: str = "some words", published: int | None = 1_700_000_000
) -> StoryRow:
    return StoryRow(
        uid,
        f"https://example.org/{uid}",
        title,
        None,
        "",
        f"<p>{text}</p>",
        text,
        None,
        published,
        None,
        "h-" + uid + title + text,
    )


def test_a_new_store_is_ours_migrated_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.sqlite3")
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == max(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    reader = connect(tmp_path / "t.sqlite3", readonly=True)
    assert reader.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("INSERT INTO folders (name) VALUES ('x')")


def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.sqlite3")
    assert migrate(conn) == max(MIGRATIONS)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'stories'").fetchone()[0] == 1


def test_a_newer_schema_is_refused_in_words(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.sqlite3")
    conn.execute(f"PRAGMA user_version = {max(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer Tidings"):
        connect(tmp_path / "t.sqlite3")


def test_someone_elses_database_is_not_touched(tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("PRAGMA application_id = 1234")
    other.execute("CREATE TABLE mine (x)")
    other.commit()
    other.close()
    with pytest.raises(StoreError, match="not a Tidings library"):
        connect(tmp_path / "other.db")


def test_a_file_that_is_not_a_database_is_an_error_in_words(tmp_path: Path) -> None:
    (tmp_path / "junk.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot be opened"):
        connect(tmp_path / "junk.db")


def test_deleting_a_feed_deletes_its_stories_and_their_index(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.sqlite3")
    fid = feeds.add_feed(conn, "https://example.org/feed", title="Example")
    stories.insert(conn, fid, [row("a", text="zebra crossing"), row("b", text="lion")])
    assert len(stories.search(conn, "zebra", stories.StoryFilter())) == 1
    feeds.remove_feed(conn, fid)
    assert conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 0
    assert stories.search(conn, "zebra", stories.StoryFilter()) == []
    conn.execute("INSERT INTO stories_fts (stories_fts) VALUES ('integrity-check')")


def test_search_ranks_title_matches_first_and_updates_follow_edits(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.sqlite3")
    fid = feeds.add_feed(conn, "https://example.org/feed")
    stories.insert(
        conn, fid, [row("a", "Nothing here", "the volcano erupted"), row("b", "Volcano erupts", "lava")]
    )
    hits = stories.search(conn, "volcano", stories.StoryFilter())
    assert [h.story.title for h in hits] == ["Volcano erupts", "Nothing here"]
    assert "[volcano]" in hits[1].snippet
    stories.update(conn, fid, [row("a", "Nothing here", "a quiet day")])
    assert [h.story.title for h in stories.search(conn, "volcano", stories.StoryFilter())] == [
        "Volcano erupts"
    ]


@pytest.mark.parametrize("query", ['"unbalanced', "AND OR NOT", "col:umn", "*", "(", "NEAR(a b"])
def test_search_never_passes_syntax_through(tmp_path: Path, query: str) -> None:
    conn = connect(tmp_path / "t.sqlite3")
    fid = feeds.add_feed(conn, "https://example.org/feed")
    stories.insert(conn, fid, [row("a", "AND OR NOT", "column unbalanced near")])
    try:
        stories.search(conn, query, stories.StoryFilter())
    except Exception as exc:  # only the one sentence for an empty query
        assert "Type a word" in str(exc)


def test_keyset_pages_cover_everything_once(tmp_path: Path) -> None:
    conn = connect(tmp_path / "t.sqlite3")
    fid = feeds.add_feed(conn, "https://example.org/feed")
    stories.insert(conn, fid, [row(str(i), published=1_700_000_000 + i % 7) for i in range(250)])
    seen: list[int] = []
    after = None
    while True:
        page = stories.page(conn, stories.StoryFilter(), after=after, limit=40)
        if not page:
            break
        seen += [s.id for s, _ in page]
        after = page[-1][1]
    assert sorted(seen) == list(range(1, 251)) and len(seen) == 250


def test_writer_rolls_back_a_failing_item_alone(tmp_path: Path) -> None:
    writer = Writer(tmp_path / "t.sqlite3")
    try:
        ok = writer.submit(lambda c: feeds.add_feed(c, "https://a.example/feed"))
        bad = writer.submit(lambda c: (feeds.add_feed(c, "https://b.example/feed"), 1 / 0))
        assert ok.result() == 1
        with pytest.raises(ZeroDivisionError):
            bad.result()
        urls = writer.call(lambda c: [r[0] for r in c.execute("SELECT url FROM feeds")])
        assert urls == ["https://a.example/feed"]
    finally:
        writer.close()


def test_readers_do_not_wait_for_a_long_write(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    writer = Writer(path)
    writer.call(lambda c: feeds.add_feed(c, "https://a.example/feed"))
    inside, release = threading.Event(), threading.Event()

    def long_write(c: sqlite3.Connection) -> None:
        feeds.add_feed(c, "https://b.example/feed")
        inside.set()
        release.wait(5)

    pending = writer.submit(long_write)
    assert inside.wait(5)
    reader = connect(path, readonly=True, timeout=0.5)
    assert reader.execute("SELECT count(*) FROM feeds").fetchone()[0] == 1  # the committed state, at once
    release.set()
    pending.result()
    assert reader.execute("SELECT count(*) FROM feeds").fetchone()[0] == 2
    writer.close()


def test_a_second_process_cannot_take_a_held_lock(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "refresh.lock", "refreshing feeds")
    lock.acquire()
    code = (
        "import sys; from pathlib import Path; from tidings.core.storage.lock import FileLock\n"
        "from tidings.core.errors import StoreBusyError\n"
        f"l = FileLock(Path({str(tmp_path / 'refresh.lock')!r}), 'refreshing feeds')\n"
        "try:\n    l.acquire(timeout=0.3)\nexcept StoreBusyError as e:\n    print(e); sys.exit(3)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.returncode == 3
    assert "is refreshing feeds" in out.stdout and "pid" in out.stdout
    lock.release()
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert again.returncode == 0


def test_waiting_for_a_lock_says_why(tmp_path: Path) -> None:
    holder = FileLock(tmp_path / "x.lock", "refreshing feeds")
    holder.acquire()
    heard: list[str] = []
    threading.Timer(0.3, holder.release).start()
    FileLock(tmp_path / "x.lock", "refreshing feeds").acquire(timeout=5, on_wait=heard.append)
    assert heard and heard[0].startswith("Waiting for another Tidings process")
    with pytest.raises(StoreBusyError):
        FileLock(tmp_path / "x.lock", "x").acquire(timeout=0)


def test_processes_creating_the_library_at_once_all_open_it(tmp_path: Path) -> None:
    """Found by a CLI test: SQLite may answer "locked" at once (no busy wait) while another process
    switches a new file to WAL. The processes wait for a common instant, and there are several rounds."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tidings.core.storage.db import connect\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "connect(Path(sys.argv[1])).close()\n"
    )
    for round_ in range(6):
        path, start = tmp_path / f"{round_}.sqlite3", str(time.time() + 0.4)
        procs = [
            subprocess.Popen([sys.executable, "-c", code, str(path), start], stderr=subprocess.PIPE)
            for _ in range(3)
        ]
        errors = [p.communicate(timeout=60)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], errors
