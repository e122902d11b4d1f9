"""kill -9 at random moments, over three workloads, and what must hold after every kill.

The workloads, each in a child process killed with SIGKILL (its whole process group: a refresh's parse
workers die with it, as they would in a crash):

- refresh: many feeds from the loopback server, every fetch a new document of new stories, refreshed over
  and over. The child prints the number of stories after each refresh returns (all of it committed).
- annotations: highlights and notes of 20 B to 20 KB (each starting with a SHA-256 of its text), and every
  seventh write an edit of an earlier one; durable writes, each printed with its id once it returned.
- migration: a store at an older schema (1 to the one before the latest, with feeds, stories, pages and
  notes) opened by `Library(folder)`: the check, the copy before migrating, the migrations. The kill lands
  within the time an open takes (measured on the first, unkilled run), or just after.

After every kill: the store opens (`Library`, which finishes a migration and checks a store whose last
session did not close), `PRAGMA integrity_check` is ok, the FTS index passes its 'integrity-check' against
the stories table, and no acknowledged write is missing. Also: a refreshed feed's document is stored whole
or not at all, no annotation is torn, at most one unacknowledged annotation per kill landed, a migration
leaves the old schema or the new one with every row, and a copy made before migrating is complete.

CI runs 50 kills while annotating (the library issue asks for 50 there) and 50 more shared by the refresh and
the migration (25 + 25); about a minute on a 2-core machine. A longer run:

    TIDINGS_KILLS=500 pytest tests/storage/test_crash.py -s

`-s` shows a line per workload (kills, where they landed, acknowledged writes); TIDINGS_KILL_SEED=N gives
the same random delays again (each run prints its seed).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.loopback import LoopbackServer, Response
from tests.storage.test_recovery import assert_sound, content, old_store, schema_version
from tidings.core.library import Library
from tidings.core.storage import feeds as feed_store
from tidings.core.storage import stories as story_store
from tidings.core.storage.db import DB_NAME
from tidings.core.storage.schema import MIGRATIONS, backup_path
from tidings.core.update import StoryRow

KILLS = int(os.environ.get("TIDINGS_KILLS", "50"))
SEED = int(os.environ.get("TIDINGS_KILL_SEED", str(time.time_ns() % 1_000_000)))
LATEST = max(MIGRATIONS)
FEEDS, ITEMS = 16, 25  # a refresh: 16 feeds (parsed in worker processes), 25 new stories each

CHILD = r"""
import hashlib, random, sys, time
from pathlib import Path

workload, folder = sys.argv[1], Path(sys.argv[2])
if workload == "migration":
    from tidings.core.library import Library
    print("opening", flush=True)
    started = time.perf_counter()
    Library(folder).close()
    print(f"opened {time.perf_counter() - started:.4f}", flush=True)
    sys.exit(0)

from tidings.core.library import Library
from tidings.core.models import FetchPolicy

library = Library(folder, policy=FetchPolicy(connect_timeout=2, read_timeout=2, deadline=10, per_host=16))
print("ready", flush=True)
if workload == "refresh":
    while True:
        library.refresh(force=True)
        print(f"ack {library.count()}", flush=True)

rng = random.Random(int(sys.argv[3]))
stories = [story.id for story, _key in library.stories()]
mine = []
for n in range(10**9):
    size = rng.choice((20, 200, 2_000, 20_000))
    words = "n" + "".join(rng.choice("abcdefghij klmnopqrstuvwxyz") for _ in range(size - 2)) + "."
    digest = hashlib.sha256(words.encode()).hexdigest()[:16]
    note = f"{digest} {words}"
    if n % 7 == 6 and mine:
        uuid = rng.choice(mine)
        print(f"try-edit {uuid} {digest}", flush=True)
        library.annotations.edit(uuid, note=note)
        print(f"edit {uuid} {digest}", flush=True)
        continue
    story = rng.choice(stories)
    if n % 2:
        placed = library.annotations.highlight(story, f"sentence {rng.randrange(12)} of story", note=note)
    else:
        placed = library.annotations.note(story, note)
    mine.append(placed.annotation.id)
    print(f"ack {placed.annotation.id} {digest}", flush=True)
"""


# -- a child, killed ------------------------------------------------------------------------------------
class Child:
    """A workload in a process group of its own; stdout read line by line, as it is acknowledged."""

    def __init__(self, folder: Path, workload: str, *args: str):
        self.errors = folder.with_name(folder.name + ".stderr")
        with self.errors.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", CHILD, workload, str(folder), *args],
                stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True,
            )  # fmt: skip
        self.lines: list[str] = []
        self.started = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.endswith("\n"):  # a line cut by the kill was never acknowledged
                self.lines.append(line.rstrip("\n"))
                if line.startswith(("ready", "opening")):
                    self.started.set()
        self.started.set()

    def kill(self) -> bool:
        """SIGKILL the whole group; True when the child was still running."""
        running = self.proc.poll() is None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        _wait_until_gone(self.proc.pid)
        return running

    def failure(self) -> str:
        return self.errors.read_text()


def _wait_until_gone(group: int) -> None:
    """No process of the group is left running (the parse workers, the forkserver)."""
    deadline = time.monotonic() + 10
    while _running_in(group):
        if time.monotonic() > deadline:
            raise AssertionError(f"processes of group {group} outlived the kill")
        time.sleep(0.01)


def _running_in(group: int) -> bool:
    """Whether a process of the group still runs. The dead workers of a killed child are zombies until
    init reaps them (here up to ~1.5 s later): dead all the same, so they do not count."""
    if not Path("/proc/self/stat").exists():  # not Linux: any process of the group, zombie or not
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            state, _parent, pgid = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(pgid) == group and state not in ("Z", "X"):
                return True
    return False


@dataclass
class Tally:
    name: str
    kills: int = 0
    landed: Counter[str] = field(default_factory=Counter)
    acked: int = 0
    unacked: int = 0  # writes that landed although the kill came before their acknowledgement

    def report(self, seconds: float) -> None:
        where = ", ".join(f"{k} {v}" for k, v in sorted(self.landed.items()))
        print(f"\n{self.name}: {self.kills} kills in {seconds:.1f} s ({where}); ", end="")
        unacked = f", {self.unacked} landed unacknowledged" if self.name == "annotations" else ""
        print(f"{self.acked} writes acknowledged{unacked}; seed {SEED}")


def share(workload: int) -> int:
    """This workload's kills: KILLS for the annotations (workload 1), half of KILLS each for the others."""
    if workload == 1:
        return KILLS
    return KILLS // 2 + (1 if workload == 0 and KILLS % 2 else 0)


def opened_sound(folder: Path) -> sqlite3.Connection:
    """The checks after every kill: it opens, and both integrity checks pass."""
    Library(folder).close()
    assert_sound(folder / DB_NAME)
    return sqlite3.connect(folder / DB_NAME)


# -- refresh ----------------------------------------------------------------------------------------------
def serve_feeds(server: LoopbackServer) -> list[str]:
    """Every fetch of a feed is a new document: ITEMS new stories, whose guids say which fetch they came in."""
    urls = []
    for feed in range(FEEDS):
        fetches = itertools.count()

        def route(_h: object, feed: int = feed, fetches: itertools.count[int] = fetches) -> Response:
            n = next(fetches)
            items = "".join(
                f"<item><guid>{feed}-{n}-{i}</guid><title>Story {i} of fetch {n}</title>"
                f"<description>&lt;p&gt;Words {feed} {n} {i} about the harbour wall and the storms.&lt;/p&gt;"
                "</description></item>"
                for i in range(ITEMS)
            )
            body = f"<rss version='2.0'><channel><title>Feed {feed}</title>{items}</channel></rss>"
            return Response(200, body.encode(), {"Content-Type": "application/rss+xml"})

        server.routes[f"/feed{feed}.xml"] = route
        urls.append(server.url(f"/feed{feed}.xml"))
    return urls


def test_kill_9_during_refreshes(tmp_path: Path, server: LoopbackServer) -> None:
    started, tally, rng = time.monotonic(), Tally("refresh"), random.Random(SEED)
    folder = tmp_path / "data"
    with Library(folder) as library:
        for url in serve_feeds(server):
            library.write(lambda c, u=url: feed_store.add_feed(c, u))
    acked = 0
    for kill in range(share(0)):
        child = Child(folder, "refresh")
        tally.landed[_sleep_then_kill(child, rng, tally, window=1.5)] += 1
        counts = [int(line.split()[1]) for line in child.lines if line.startswith("ack ")]
        acked = max([acked, *counts])
        tally.acked = acked
        conn = opened_sound(folder)
        stored = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
        assert stored >= acked, (kill, stored, acked, child.failure())
        per_fetch = Counter(uid.rsplit("-", 1)[0] for (uid,) in conn.execute("SELECT uid FROM stories"))
        assert set(per_fetch.values()) <= {ITEMS}, "a feed's document was stored in part"
        conn.close()
    tally.report(time.monotonic() - started)


# -- annotations --------------------------------------------------------------------------------------------
def annotated_library(folder: Path) -> None:
    text = " ".join(f"This is sentence {k} of story N, about the harbour wall." for k in range(12))
    rows = [
        StoryRow(f"s{n}", f"https://x.example/{n}", f"Story {n}", None, "", f"<p>{text.replace('N', str(n))}</p>",
                 text, None, 1_700_000_000 + n, None, f"h{n}")
        for n in range(5)
    ]  # fmt: skip
    with Library(folder) as library:
        feed = library.write(lambda c: feed_store.add_feed(c, "https://x.example/feed", title="X"))
        library.write(lambda c: story_store.insert(c, feed, rows))


@dataclass
class Notes:
    """What the children acknowledged: the annotations, and the note each may hold now."""

    acked: set[str] = field(default_factory=set)
    allowed: dict[str, set[str]] = field(default_factory=dict)

    def read(self, lines: list[str]) -> None:
        for line in lines:
            kind, *rest = line.split()
            if kind == "ack":
                self.acked.add(rest[0])
                self.allowed[rest[0]] = {rest[1]}
            elif kind == "try-edit":  # may or may not have landed before the kill
                self.allowed[rest[0]] = self.allowed[rest[0]] | {rest[1]}
            elif kind == "edit":
                self.allowed[rest[0]] = {rest[1]}


def test_kill_9_while_annotating(tmp_path: Path) -> None:
    started, tally, rng = time.monotonic(), Tally("annotations"), random.Random(SEED + 1)
    folder = tmp_path / "data"
    annotated_library(folder)
    notes = Notes()
    for kill in range(share(1)):
        child = Child(folder, "annotations", str(rng.randrange(10**9)))
        tally.landed[_sleep_then_kill(child, rng, tally, window=1.0)] += 1
        notes.read(child.lines)
        tally.acked = len(notes.acked)
        conn = opened_sound(folder)
        stored = dict(conn.execute("SELECT uuid, note FROM annotations").fetchall())
        conn.close()
        for uuid, note in stored.items():
            digest, _, words = note.partition(" ")
            assert hashlib.sha256(words.encode()).hexdigest()[:16] == digest, f"annotation {uuid} is torn"
        missing = notes.acked - stored.keys()
        assert not missing, (kill, sorted(missing), child.failure())
        for uuid in notes.acked:
            assert stored[uuid].partition(" ")[0] in notes.allowed[uuid], f"the edit of {uuid} is lost"
        assert len(stored) <= len(notes.acked) + kill + 1  # at most one unacknowledged write per kill
        tally.unacked = len(stored) - len(notes.acked)
    tally.report(time.monotonic() - started)


# -- migration ----------------------------------------------------------------------------------------------
def test_kill_9_during_a_migration(tmp_path: Path) -> None:
    started, tally, rng = time.monotonic(), Tally("migration"), random.Random(SEED + 2)
    versions = list(range(1, LATEST))
    templates = {v: old_store(tmp_path / f"v{v}", v, stories=1500).parent for v in versions}
    expected = {v: content(t / DB_NAME) for v, t in templates.items()}
    notes = {v: _notes(t / DB_NAME) for v, t in templates.items()}
    takes = None
    for kill in range(share(2) + 1):  # the first run is not killed: it measures how long an open takes
        version = versions[kill % len(versions)]
        folder = tmp_path / f"run{kill}"
        shutil.copytree(templates[version], folder)
        path = folder / DB_NAME
        child = Child(folder, "migration")
        if takes is None:
            assert child.proc.wait(60) == 0, child.failure()
            child.kill()
            takes = float(child.lines[-1].split()[1])
        else:
            where = _sleep_then_kill(child, rng, tally, window=1.5 * takes)
            tally.landed[_where(path) if where == "working" else where] += 1
        conn = opened_sound(folder)
        conn.close()
        assert schema_version(path) == LATEST and content(path) == expected[version]
        assert _notes(path) == notes[version]
        copy = backup_path(path, LATEST)
        assert copy.exists() and not list(folder.glob("*.partial*"))
        assert schema_version(copy) == version and content(copy) == expected[version]
        assert_sound(copy)
        shutil.rmtree(folder)
    tally.report(time.monotonic() - started)
    print(f"an open with a migration takes {takes:.3f} s")


def _notes(path: Path) -> int:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        found = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'annotations'").fetchone()[0]
        return int(conn.execute("SELECT count(*) FROM annotations").fetchone()[0]) if found else 0
    finally:
        conn.close()


def _where(path: Path) -> str:
    """Where a kill landed in a migration, from what it left."""
    copy = backup_path(path, LATEST)
    if schema_version(path) == LATEST:
        return "after the commit"
    if copy.exists():
        return "after the copy"
    if list(path.parent.glob("*.partial")):
        return "during the copy"
    return "before the copy"


# -- shared ---------------------------------------------------------------------------------------------------
def _sleep_then_kill(child: Child, rng: random.Random, tally: Tally, *, window: float) -> str:
    """Kill at a random moment: mostly while the workload runs, one time in ten while the child starts.
    Returns where it landed: starting, working, or finished (the child was done before)."""
    if rng.random() < 0.1:
        time.sleep(rng.uniform(0, 0.4))
        where = "starting"
    else:
        assert child.started.wait(60), child.failure()
        time.sleep(rng.uniform(0, window))
        where = "working"
    running = child.kill()
    tally.kills += 1
    if not running:
        assert child.proc.returncode == 0, child.failure()
        where = "finished"
    return where


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIDINGS_DATA_DIR", raising=False)
