"""When the store is in trouble: a copy before every migration, a damaged file found at start and left as it
is, a full disk told in words with nothing stored lost, and the CLI and the window saying so."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.loopback import LoopbackServer
from tests.ui.stock import add_feed, add_stories, add_story
from tidings.core.errors import StoreCorruptError, StoreError
from tidings.core.library import Library
from tidings.core.storage import db
from tidings.core.storage.db import APPLICATION_ID, DB_NAME, connect, unclean_sessions
from tidings.core.storage.schema import BACKUPS_KEPT, MIGRATIONS, backup_path, backups

LATEST = max(MIGRATIONS)
WORDS = "the council voted to rebuild the old harbour wall before the winter storms " * 8


# -- old stores -----------------------------------------------------------------------------------------
def old_store(folder: Path, version: int, stories: int = 50) -> Path:
    """A library at schema `version` as an older Tidings left it: a feed, stories indexed for search, a page
    per story whose fetch failed (from 2: what migration 3 rewrites) and notes (from 4)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DB_NAME
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for number in range(1, version + 1):
        MIGRATIONS[number](conn)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO feeds (url, title, added_at) VALUES ('https://old.example/feed', 'Old', 1)")
    conn.executemany(
        "INSERT INTO stories (feed_id, uid, title, text, content, added_at, sort_time, content_hash)"
        " VALUES (1, ?, ?, ?, ?, 1, ?, 'h')",
        [
            (f"u{i}", f"Story {i}", f"{WORDS} {i}", f"<p>{WORDS} {i}</p>", 1_700_000_000 + i)
            for i in range(stories)
        ],
    )
    conn.execute("INSERT INTO stories_fts (rowid, title, text) SELECT id, title, text FROM stories")
    if version >= 2:
        conn.execute(
            "INSERT INTO articles (story_id, url, fetched_at) SELECT id, 'https://old.example/p', 1 FROM stories"
        )
    if version >= 4:
        conn.execute(
            "INSERT INTO annotations (uuid, story_id, note, created, modified)"
            " SELECT 'note-' || id, id, 'kept ' || id, 1, 1 FROM stories"
        )
    conn.execute("COMMIT")
    conn.close()
    return path


def content(path: Path) -> tuple[int, int, int]:
    """Feeds, stories and search rows: what a migration must carry over."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("feeds", "stories", "stories_fts")
        )
    finally:
        conn.close()


def schema_version(path: Path) -> int:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def assert_sound(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        conn.close()


# -- a copy before migrating ----------------------------------------------------------------------------
@pytest.mark.parametrize("version", range(1, LATEST))
def test_a_migration_copies_the_store_first(tmp_path: Path, version: int) -> None:
    path = old_store(tmp_path, version)
    before = content(path)
    Library(tmp_path).close()
    copy = backup_path(path, LATEST)
    assert copy.name == f"{DB_NAME}.before-v{LATEST}.bak"
    assert schema_version(copy) == version and content(copy) == before  # the store as it was
    assert schema_version(path) == LATEST and content(path) == before
    stamp = digest(copy)
    Library(tmp_path).close()  # nothing to migrate: no new copy
    assert digest(copy) == stamp and backups(path) == [copy]
    assert_sound(path)
    assert_sound(copy)


def test_a_new_library_is_not_copied(tmp_path: Path) -> None:
    Library(tmp_path).close()
    assert backups(tmp_path / DB_NAME) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [DB_NAME]  # no marker left after a clean close


def test_the_two_newest_copies_are_kept(tmp_path: Path) -> None:
    path = old_store(tmp_path, LATEST - 1)
    for older in range(2, LATEST):  # copies made by earlier upgrades
        backup_path(path, older).write_bytes(b"an older copy")
    Library(tmp_path).close()
    kept = backups(path)
    assert BACKUPS_KEPT == 2 and kept == [backup_path(path, LATEST), backup_path(path, LATEST - 1)]


def test_a_copy_cut_short_is_never_taken_for_a_backup(tmp_path: Path) -> None:
    """A kill during the copy leaves only the `.partial` file; the next start copies again from scratch."""
    path = old_store(tmp_path, LATEST - 1)
    partial = backup_path(path, LATEST).with_name(backup_path(path, LATEST).name + ".partial")
    partial.write_bytes(b"SQLite format 3\x00 cut short")
    Library(tmp_path).close()
    assert not partial.exists() and schema_version(backup_path(path, LATEST)) == LATEST - 1


def test_when_the_copy_cannot_be_made_nothing_is_migrated(tmp_path: Path) -> None:
    path = old_store(tmp_path, LATEST - 1)
    blocker = backup_path(path, LATEST).with_name(backup_path(path, LATEST).name + ".partial")
    blocker.mkdir()
    (blocker / "x").write_text("in the way")  # a full disk behaves the same: the copy fails
    with pytest.raises(
        StoreError, match=r"could not copy the library to .*before upgrading it .*nothing was changed"
    ):
        Library(tmp_path)
    assert schema_version(path) == LATEST - 1 and not backup_path(path, LATEST).exists()
    (blocker / "x").unlink()
    blocker.rmdir()
    Library(tmp_path).close()
    assert schema_version(path) == LATEST


# -- a damaged store ------------------------------------------------------------------------------------
def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damaged_library(folder: Path) -> Path:
    """A library whose `stories` table has a damaged root page (a bad sector, a bad copy)."""
    with Library(folder) as library:
        feed = add_feed(library, "https://x.example/feed", "X")
        add_stories(library, feed, 300)
    path = folder / DB_NAME
    conn = sqlite3.connect(path)
    root, size = conn.execute(
        "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master WHERE name = 'stories'"
    ).fetchone()
    conn.close()
    with path.open("r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\xff" * 64)
    return path


def crashed_session(path: Path) -> None:
    """What a killed session leaves: its marker, no longer locked by anyone."""
    path.with_name(f"{path.name}.session-999999-0").write_text("999999")


def test_a_file_that_is_not_a_database_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    path.write_bytes(b"not a database at all " * 500)
    before = digest(path)
    for _ in range(2):
        with pytest.raises(StoreCorruptError) as raised:
            Library(tmp_path)
        message = str(raised.value)
        assert f"The library at {path} cannot be opened: the file is damaged or is not a database" in message
        assert "Tidings has not changed it" in message and "move the file" in message
        assert raised.value.path == str(path)
    with pytest.raises(StoreCorruptError):
        connect(path, readonly=True)
    assert digest(path) == before and not path.with_name(DB_NAME + "-wal").exists()


def test_damage_is_found_after_a_crash_and_the_file_is_kept(tmp_path: Path) -> None:
    path = damaged_library(tmp_path)
    crashed_session(path)
    before = digest(path)
    for _ in range(2):  # the marker stays while the file is damaged: every start checks and says so
        with pytest.raises(StoreCorruptError, match=r"the file is damaged .*btreeInitPage"):
            Library(tmp_path)
        assert digest(path) == before and len(unclean_sessions(path)) == 1


def test_damage_met_while_writing_is_told_and_checked_at_the_next_start(tmp_path: Path) -> None:
    path = damaged_library(tmp_path)  # closed cleanly: no check at start
    library = Library(tmp_path)
    with pytest.raises(StoreCorruptError, match=r"damaged .*Quit Tidings: the next start checks the file"):
        library.write(lambda c: c.execute("UPDATE stories SET is_read = 1"))
    library.close()
    assert len(unclean_sessions(path)) == 1
    with pytest.raises(StoreCorruptError, match="cannot be opened: the file is damaged"):
        Library(tmp_path)


def test_the_store_is_checked_only_after_a_session_that_did_not_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[Path] = []
    real_check = db.check
    monkeypatch.setattr(db, "check", lambda conn, path: (checks.append(path), real_check(conn, path))[1])
    Library(tmp_path).close()
    Library(tmp_path).close()
    assert checks == []  # quick_check reads the whole file: 0.47 s on a 100,000-story library
    killed = subprocess.Popen(
        [sys.executable, "-c", OPEN_AND_WAIT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert killed.stdout is not None and killed.stdout.readline().strip() == "open"
    assert unclean_sessions(tmp_path / DB_NAME) == []  # the other process is alive: its session is not over
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)
    killed.stdout.close()
    assert len(unclean_sessions(tmp_path / DB_NAME)) == 1
    Library(tmp_path).close()
    assert checks == [tmp_path / DB_NAME] and unclean_sessions(tmp_path / DB_NAME) == []
    Library(tmp_path).close()
    assert len(checks) == 1


OPEN_AND_WAIT = (
    "import sys, time\nfrom pathlib import Path\nfrom tidings.core.library import Library\n"
    "library = Library(Path(sys.argv[1]))\nprint('open', flush=True)\ntime.sleep(60)\n"
)


# -- a full disk ----------------------------------------------------------------------------------------
def fill_the_disk(library: Library) -> None:
    """SQLite's own limit on the writer's connection: any write that needs a page more fails SQLITE_FULL."""
    library.write(
        lambda c: c.execute(f"PRAGMA max_page_count = {c.execute('PRAGMA page_count').fetchone()[0]}")
    )


def free_the_disk(library: Library) -> None:
    library.write(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))


FULL = "The disk is full: Tidings could not save; nothing already stored was lost."


def test_a_full_disk_is_told_in_words_and_loses_nothing(library: Library) -> None:
    story = add_story(library, add_feed(library, "https://x.example/feed", "X"), 1, content=f"<p>{WORDS}</p>")
    kept = library.annotations.highlight(story, "harbour wall", note="first", prefix="old ")
    fill_the_disk(library)
    long_note = "A note that took a while to write. " * 600
    with pytest.raises(StoreError) as raised:
        library.annotations.highlight(story, "winter storms", note=long_note, prefix="before the ")
    assert str(raised.value) == FULL  # a known failure in words, not a raw sqlite3 error
    with pytest.raises(StoreError, match="The disk is full"):
        library.annotations.note(story, long_note)
    assert [p.annotation.id for p in library.annotations.of_story(story)] == [kept.annotation.id]
    free_the_disk(library)  # the caller kept the text: saving it again works
    again = library.annotations.highlight(story, "winter storms", note=long_note, prefix="before the ")
    assert {p.annotation.note for p in library.annotations.of_story(story)} == {
        "first",
        again.annotation.note,
    }
    library.close()
    assert_sound(library.path)


def test_a_full_disk_fails_the_whole_batch_and_nothing_half_written_is_acknowledged(library: Library) -> None:
    feed = add_feed(library, "https://x.example/feed", "X")
    fill_the_disk(library)
    small = library.writer.submit(
        lambda c: c.execute("UPDATE feeds SET description = 'small' WHERE id = ?", (feed,))
    )
    big = library.writer.submit(
        lambda c: c.execute("UPDATE feeds SET description = ? WHERE id = ?", ("x" * 400_000, feed))
    )
    with pytest.raises(StoreError, match="The disk is full"):
        big.result()
    try:  # in the same transaction or the next: committed, or told it was not; never a raw sqlite3 error
        small.result()
        assert library.feed(feed).description == "small"
    except StoreError as exc:
        assert str(exc) == FULL and library.feed(feed).description == ""


def test_a_full_disk_during_a_refresh_is_the_feeds_error(library: Library, server: LoopbackServer) -> None:
    items = "".join(
        f"<item><guid>{i}</guid><title>Story {i}</title><description>{WORDS}</description></item>"
        for i in range(200)
    )
    server.serve(
        "/feed.xml", f"<rss version='2.0'><channel><title>Full</title>{items}</channel></rss>".encode()
    )
    feed = add_feed(library, server.url("/feed.xml"), "Full")
    fill_the_disk(library)
    [outcome] = library.refresh([feed]).outcomes
    assert outcome.status == "error" and outcome.error == FULL
    assert library.count() == 0 and library.feed(feed).error is not None
    free_the_disk(library)
    [outcome] = library.refresh([feed]).outcomes
    assert outcome.status == "updated" and library.count() == 200


# -- what a person sees ---------------------------------------------------------------------------------
FULL_DISK_CLI = (
    "import sys\nimport tidings.core.storage.writer as writer\n"
    "opened = writer.connect\n"
    "def full(path, **kw):\n"
    "    conn = opened(path, **kw)\n"
    "    conn.execute('PRAGMA max_page_count = %d' % conn.execute('PRAGMA page_count').fetchone()[0])\n"
    "    return conn\n"
    "writer.connect = full\n"
    "from tidings.cli import run\nsys.exit(run(sys.argv[1:]))\n"
)


def test_the_cli_says_the_disk_is_full_in_words(tmp_path: Path) -> None:
    with Library(tmp_path) as library:
        story = add_story(
            library, add_feed(library, "https://x.example/feed", "X"), 1, content=f"<p>{WORDS}</p>"
        )
    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CLI, "--data-dir", str(tmp_path), "annotate", str(story),
         "--note", "A long note. " * 2000],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1 and out.stderr.strip() == f"tidings: {FULL}"


def test_the_cli_and_the_window_say_the_store_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    path.write_bytes(b"\x00garbage" * 1000)
    before = digest(path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for args in (["feeds"], []):  # a subcommand; then no subcommand: the window (ui.app.run_app)
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "tidings", "--data-dir", str(tmp_path), *args],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert out.returncode == 1, out.stderr
        assert out.stderr.startswith(f"tidings: The library at {path} cannot be opened: the file is damaged")
        assert "Traceback" not in out.stderr and time.monotonic() - started < 30
    assert digest(path) == before
