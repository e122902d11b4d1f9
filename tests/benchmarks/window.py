"""Window benchmark: a library of 100,000 stories over 500 feeds in folders, then

- from process start to a painted window with the story list filled: a fresh `python -m tidings` in
  screenshot mode, which prints one JSON line when it is ready (TIDINGS_REPORT_READY=1): wall time, CPU time
  and memory (peak RSS and PSS then; PSS sampled over the whole run), beside a bare PySide6 window (the floor);
- in the benchmark's own process: scrolling the story list to the bottom (each step loads a page),
  selecting a story (the reader painted), the read mark landing (a job writes it, another reads the counts,
  the rows repaint), and switching to feeds, a folder, All stories, Unread and Starred.

Every step is timed until the window has painted it. On a shared machine the wall time includes waiting for a
CPU; the "without waits for a CPU" rows subtract the GUI thread's run-queue wait (Linux schedstat), which is
about what an idle machine would show. Prints a table of targets and medians; asserts nothing. Stories the
benchmark reads are marked unread again, so the cached library stays as built.

    python tests/benchmarks/window.py [--runs 5] [--stories 100000] [--feeds 500] [--cache DIR] [--rebuild]

The library is built once (about 30 s, ~480 MB) and kept in the cache folder under a name that carries
STORE_VERSION and the sizes: change the generator, bump the version.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # `tests.benchmarks.refresh` when run as a script

from tests.benchmarks.refresh import compile_bytecode, pss, rss, tree  # noqa: E402

if TYPE_CHECKING:
    from tidings.core.update import StoryRow

STORE_VERSION = 1
NOW = 1_767_000_000  # a fixed clock (late December 2025): the same library on every machine
SPAN = 2 * 365 * 86400  # stories from the last two years
READY_ENV = "TIDINGS_REPORT_READY"  # screenshot mode prints one JSON line when the window is ready

STARTUP_S, STARTUP_MB, STEP_MS = 0.6, 150.0, 50.0


# -- the library ----------------------------------------------------------------------------------
def main() -> int:
    args = parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    data = ensure_store(Path(args.cache), args.stories, args.feeds, rebuild=args.rebuild)
    compile_bytecode()
    rows: list[tuple[str, str, str]] = []
    startup = [measure_startup(data, run) for run in range(args.runs)]
    rows += startup_rows(startup)
    if not args.startup_only:
        rows += in_process_rows(data, args.runs)
    print_table(rows, args)
    return 0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="repetitions of every measure (median printed)")
    p.add_argument("--stories", type=int, default=100_000)
    p.add_argument("--feeds", type=int, default=500)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tidings-bench"
    p.add_argument("--cache", default=str(cache), help=f"where the library is kept (default {cache})")
    p.add_argument("--rebuild", action="store_true", help="build the library again")
    p.add_argument("--startup-only", action="store_true", help="only the fresh-process measure")
    return p.parse_args()


def ensure_store(cache: Path, stories: int, feeds: int, *, rebuild: bool = False) -> Path:
    """The data folder of a library of that size, built on first use (in a scratch folder, then renamed:
    an interrupted build is never mistaken for a finished one)."""
    data = cache / f"window-v{STORE_VERSION}-{stories}x{feeds}"
    if rebuild and data.exists():
        shutil.rmtree(data)
    if data.exists():
        return migrated(data)
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="building-", dir=cache))
    started = time.perf_counter()
    print(f"building a library of {stories} stories over {feeds} feeds in {data} …", file=sys.stderr)
    build_store(scratch, stories, feeds)
    scratch.rename(data)
    size = (data / "tidings.sqlite3").stat().st_size / 1e6
    print(f"built in {time.perf_counter() - started:.0f} s ({size:.0f} MB)", file=sys.stderr)
    return data


def migrated(data: Path) -> Path:
    """The library brought to this version's schema first: a migration is not what is measured."""
    from tidings.core.library import Library

    Library(data).close()
    return data


def build_store(folder: Path, total: int, feed_count: int) -> None:
    from tidings.core.library import Library
    from tidings.core.storage import feeds as feed_store
    from tidings.core.storage import stories as story_store

    text = TextMaker(random.Random(STORE_VERSION))
    with Library(folder) as library:
        for n, (url, title, folder_name, count) in enumerate(feed_plan(text, total, feed_count)):
            add = functools.partial(feed_store.add_feed, url=url, title=title, folder=folder_name)
            feed_id = library.write(add)
            rows = [text.story(feed_id, i, count) for i in range(count)]
            library.write(functools.partial(story_store.insert, feed_id=feed_id, rows=rows))
            if n % 37 == 5:  # a few feeds whose last refresh failed: the error badge
                fail = functools.partial(feed_store.record_error, feed_id=feed_id, message=FAILURE)
                library.write(functools.partial(fail, next_check=None))
        # Most stories read, the newest mostly not, a few starred: a library in use.
        library.write(
            lambda c: c.execute(f"UPDATE stories SET is_read = 1 WHERE sort_time < {NOW - 7 * 86400}")
        )
        library.write(lambda c: c.execute("UPDATE stories SET is_read = 0 WHERE id % 23 = 0"))
        library.write(lambda c: c.execute("UPDATE stories SET is_starred = 1 WHERE id % 97 = 0"))


FAILURE = "The server answered 503 (Service Unavailable)."
FOLDERS = (
    "News", "World", "Technology", "Science", "Programming", "Python", "Linux", "Design", "Business",
    "Economy", "Climate", "Space", "Health", "Books", "Music", "Film", "Games", "Food", "Travel",
    "Photography", "Security", "Open Source", "Local", "Sports", "Blogs",
)  # fmt: skip


def feed_plan(text: TextMaker, total: int, count: int) -> Iterator[tuple[str, str, str | None, int]]:
    """(url, title, folder, stories) per feed: a few busy feeds and a long tail of quiet ones, 80% of
    them in folders."""
    weights = [1 / (rank + 1) ** 0.8 for rank in range(count)]
    text.rng.shuffle(weights)
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[sizes.index(max(sizes))] += total - sum(sizes)  # exactly `total`
    for n, size in enumerate(sizes):
        folder = FOLDERS[n % len(FOLDERS)] if n % 5 else None
        yield f"https://feeds{n % 40}.example.net/{n}/feed.xml", text.feed_title(), folder, size


class TextMaker:
    """Titles and bodies of realistic sizes from a Zipf-distributed vocabulary of made-up words (the
    search index sees a natural spread of common and rare terms)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        syllables = [c + v for c in "bcdfghklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
        words = {"".join(rng.choices(syllables, k=rng.choice((1, 2, 2, 3, 3, 4)))) for _ in range(30_000)}
        self.words = sorted(words)
        rng.shuffle(self.words)
        self.cum_weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.words))))
        self.paragraphs = [self._paragraph() for _ in range(4000)]

    def _words(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum_weights, k=n)

    def _paragraph(self) -> str:
        sentences = []
        for _ in range(self.rng.randint(2, 6)):
            words = self._words(self.rng.randint(8, 24))
            sentences.append(" ".join(words).capitalize() + ".")
        return " ".join(sentences)

    def feed_title(self) -> str:
        return " ".join(self._words(self.rng.randint(1, 4))).title()

    def title(self) -> str:
        return " ".join(self._words(self.rng.randint(5, 14))).capitalize()

    def story(self, feed_id: int, n: int, count: int) -> StoryRow:
        from tidings.core.update import StoryRow

        paras = self.rng.sample(self.paragraphs, self.rng.choice((1, 2, 3, 4, 6, 9)))
        summary = f"<p>{paras[0][:400]}</p>"
        full = self.rng.random() < 0.6  # most feeds carry the whole text, some only a summary
        content = "".join(f"<p>{p}</p>" for p in paras) if full else ""
        published = NOW - int(SPAN * (n + self.rng.random()) / count)
        return StoryRow(
            uid=f"{feed_id}-{n}",
            url=f"https://site{feed_id}.example.net/{NOW - published}/story-{n}",
            title=self.title(),
            author=self.rng.choice((None, "Ada Lovelace", "Grace Hopper", "Alan Turing")),
            summary=summary,
            content=content,
            text="\n\n".join(paras if full else paras[:1]),
            image_url=None,
            published=published,
            updated=None,
            content_hash=hashlib.sha256(f"{feed_id}-{n}".encode()).hexdigest(),
        )


# -- from process start ---------------------------------------------------------------------------
FLOOR = """
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTreeView
class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, app.quit)
        return False
app = QApplication(sys.argv[:1])
window = QMainWindow()
view = QTreeView(window)
window.setCentralWidget(view)
window.resize(1280, 800)
painted = Painted()
view.viewport().installEventFilter(painted)
window.show()
app.exec()
wait = int(open("/proc/thread-self/schedstat").read().split()[1]) / 1e9
print(json.dumps({"ready": time.time(), "cpu_s": time.process_time(), "cpu_wait_s": wait}))
"""


def measure_startup(data: Path, run: int) -> dict[str, float]:
    """A fresh `python -m tidings` in screenshot mode, which prints when the window is ready."""
    shot = data.parent / "window-benchmark.png"
    figures = run_ready([sys.executable, "-m", "tidings", "--data-dir", str(data), "--screenshot", str(shot)])
    floor = run_ready([sys.executable, "-c", FLOOR])
    figures["floor"], figures["floor_cpu"] = floor["wall"], floor["cpu_s"]
    figures["floor_unwaited"] = floor["wall"] - floor["cpu_wait_s"]
    figures["unwaited"] = figures["wall"] - figures["cpu_wait_s"]
    print(
        f"run {run + 1}: ready after {figures['wall']:.3f} s ({figures['unwaited']:.3f} s without the waits "
        f"for a CPU; CPU time {figures['cpu_s']:.3f} s), "
        f"peak RSS {figures['peak_rss_mb']:.0f} MB, PSS {figures['pss_mb']:.0f} MB; "
        f"bare PySide6 window {floor['wall']:.3f} s",
        file=sys.stderr,
    )
    return figures


def run_ready(cmd: list[str]) -> dict[str, float]:
    env = dict(os.environ, **{READY_ENV: "1"})
    started = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    sampler = Memory(proc.pid)
    sampler.start()
    out, err = proc.communicate(timeout=120)
    sampler.stop()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        raise SystemExit(f"benchmark: {' '.join(cmd[:4])} … failed ({proc.returncode}): {err.strip()}")
    figures: dict[str, float] = json.loads(lines[-1])
    figures["wall"] = figures.pop("ready") - started
    figures["sampled_pss_mb"], figures["sampled_rss_mb"] = sampler.peak_pss / 1e6, sampler.peak_rss / 1e6
    return figures


class Memory(threading.Thread):
    """The highest PSS and RSS seen over the process's whole life (start-up, the screenshot, leaving)."""

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_pss, self.peak_rss = pid, interval, 0, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            pids = tree(self.pid)
            self.peak_pss = max(self.peak_pss, sum(pss(p) for p in pids))
            self.peak_rss = max(self.peak_rss, sum(rss(p) for p in pids))

    def stop(self) -> None:
        self._halt.set()
        self.join()


def startup_rows(runs: list[dict[str, float]]) -> list[tuple[str, str, str]]:
    def mid(key: str, scale: float = 1.0, unit: str = "ms") -> str:
        values = [r[key] * scale for r in runs]
        return f"{median(values):.0f} {unit} ({min(values):.0f}–{max(values):.0f})"

    return [
        ("start → window painted, list filled: wall", f"≤ {STARTUP_S * 1000:.0f} ms", mid("wall", 1000)),
        (
            "  the same without the GUI thread's waits for a CPU",
            f"≤ {STARTUP_S * 1000:.0f} ms",
            mid("unwaited", 1000),
        ),
        ("  CPU time of the process by then", "", mid("cpu_s", 1000)),
        ("  peak RSS by then (VmHWM)", f"≤ {STARTUP_MB:.0f} MB", mid("peak_rss_mb", unit="MB")),
        ("  PSS then", f"≤ {STARTUP_MB:.0f} MB", mid("pss_mb", unit="MB")),
        ("  peak PSS of the whole run (sampled)", "", mid("sampled_pss_mb", unit="MB")),
        ("floor: bare PySide6 window painted: wall", "", mid("floor", 1000)),
        ("  without its waits for a CPU", "", mid("floor_unwaited", 1000)),
        ("  its CPU time", "", mid("floor_cpu", 1000)),
    ]


# -- in this process ------------------------------------------------------------------------------
Step = tuple[float, float, float]  # seconds: wall, wall without the GUI thread's waits for a CPU, its CPU


def cpu_wait() -> float:
    """Seconds this thread has waited for a CPU (Linux schedstat; 0 elsewhere)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def in_process_rows(data: Path, runs: int) -> list[tuple[str, str, str]]:
    """Scrolling, selecting and switching in a window over the library, each step until painted."""
    from PySide6.QtWidgets import QApplication

    from tidings.core.library import Library
    from tidings.jobs.runner import JobRunner
    from tidings.ui.main_window import MainWindow
    from tidings.ui.preferences import Preferences
    from tidings.ui.screenshot import ReadinessWatch, blank_settings

    _app = QApplication.instance() or QApplication(sys.argv[:1])
    with Library(data) as library, tempfile.TemporaryDirectory() as scratch:
        runner = JobRunner()
        settings = blank_settings(Path(scratch), None)  # built as the app builds it, at default preferences
        window = MainWindow(library, runner, settings=settings, preferences=Preferences(settings))
        window.resize(1280, 800)
        window.show()
        if not ReadinessWatch(window, runner, library, None).wait(30):
            raise SystemExit("benchmark: the window did not get ready")
        probe = Probe(window, runner)
        try:
            timings = probe.all(runs)
        finally:
            probe.restore(library)
            runner.shutdown(10_000)
            window.close()
    rows = []
    for name, steps in timings.items():
        rows.append((name + ": wall", f"≤ {STEP_MS:.0f} ms", _spread([step[0] for step in steps])))
        rows.append(
            ("  without waits for a CPU", f"≤ {STEP_MS:.0f} ms", _spread([step[1] for step in steps]))
        )
        rows.append(("  GUI thread CPU", "", _spread([step[2] for step in steps])))
    return rows


def _spread(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{median(ms):.1f} ms ({min(ms):.1f}–{max(ms):.1f})"


class Probe:
    """Drives the window as a person would and times each step until the window has painted it, waiting in
    an event loop (no polling: the CPU figure is the window's own work)."""

    def __init__(self, window: Any, runner: Any):
        from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

        self.window, self.runner = window, runner
        self.marked: list[int] = []  # stories the benchmark marked read: marked unread again afterwards
        self.paints = 0
        self.loop = QEventLoop()
        self.finished: Callable[[], bool] = lambda: True
        self.single_shot = QTimer.singleShot
        probe = self

        class Watch(QObject):
            def eventFilter(self, watched: object, event: Any) -> bool:
                if event.type() == QEvent.Type.Paint:
                    probe.paints += 1
                    QTimer.singleShot(0, probe.check)  # after this paint
                return False

        self.watch = Watch()
        for view in (window.feeds_view, window.stories_view, window.reader):
            view.viewport().installEventFilter(self.watch)
        runner.job_finished.connect(lambda *_: QTimer.singleShot(0, self.check))
        runner.job_failed.connect(lambda *_: QTimer.singleShot(0, self.check))

    def check(self) -> None:
        if self.loop.isRunning() and self.finished():
            self.loop.quit()

    def timed(self, action: Callable[[], object], done: Callable[[], bool] | None = None) -> Step:
        """From `action` until something was painted and `done()` holds."""
        before = self.paints
        self.finished = lambda: self.paints > before and (done is None or done())
        self.started, cpu, waited = time.perf_counter(), time.thread_time(), cpu_wait()
        action()
        self.single_shot(0, self.check)
        self.single_shot(30_000, self.loop.quit)
        self.loop.exec()
        if not self.finished():
            raise SystemExit("benchmark: the window did not finish a step in 30 s")
        wall = time.perf_counter() - self.started
        return wall, max(0.0, wall - (cpu_wait() - waited)), time.thread_time() - cpu

    def all(self, runs: int) -> dict[str, list[Step]]:
        timings: dict[str, list[Step]] = {}
        for run in range(runs):
            for name, steps in self.one_run(run):
                timings.setdefault(name, []).extend(steps)
        return timings

    def one_run(self, run: int) -> Iterator[tuple[str, list[Step]]]:
        w = self.window
        self.select_node(("all", None))
        model = w.stories_model
        steps = []
        for _ in range(5):
            rows = model.rowCount()
            steps.append(self.timed(w.stories_view.scrollToBottom, functools.partial(self.listed_more, rows)))
        yield "scroll: scrollToBottom, a page loaded", steps
        yield from self.select_stories(run)
        yield from self.switch_feeds()

    def listed_more(self, rows: int) -> bool:
        return int(self.window.stories_model.rowCount()) > rows

    def select_stories(self, run: int) -> Iterator[tuple[str, list[Step]]]:
        """Stories from the top of All stories (most unread): the reader, then the read mark landing (a job
        writes it, another reads the counts again, and the list and the counts are repainted)."""
        w = self.window
        self.timed(w.stories_view.scrollToTop)
        rendered, settled = [], []
        for row in range(run * 7 + 2, run * 7 + 9):
            story = w.stories_model.story_at(row)
            title = " ".join((story.title or "").split())
            select = functools.partial(w.stories_view.setCurrentIndex, w.stories_model.index(row, 0))
            rendered.append(self.timed(select, functools.partial(self.reads, title)))
            if story.read:
                continue
            self.marked.append(story.id)
            wall, unwaited, cpu = self.timed(lambda: None, lambda: not self.runner.active())
            first = rendered[-1]
            settled.append((first[0] + wall, first[1] + unwaited, first[2] + cpu))
        yield "select a story: reader painted", rendered
        yield "select an unread story: read mark and counts shown", settled

    def reads(self, title: str) -> bool:
        return title in " ".join(self.window.reader.toPlainText().split())

    def switch_feeds(self) -> Iterator[tuple[str, list[Step]]]:
        feeds = self.window.feeds_model.feeds()
        busiest = max(feeds, key=lambda f: f.total)
        quiet = min(feeds, key=lambda f: f.total)
        folder = self.window.feeds_model.folder_names()[0]
        for label, key in (
            (f"switch: the busiest feed ({busiest.total} stories)", ("feed", busiest.id)),
            (f"switch: a quiet feed ({quiet.total} stories)", ("feed", quiet.id)),
            ("switch: a folder", ("folder", folder)),
            ("switch: All stories", ("all", None)),
            ("switch: Unread", ("unread", None)),
            ("switch: Starred", ("starred", None)),
        ):
            self.select_node(("feed", quiet.id) if key[0] != "feed" else ("all", None))
            step = self.select_node(key)
            yield label, [step] if step else []

    def select_node(self, key: tuple[str, object]) -> Step | None:
        """Select a row of the feed list (timed, until painted); None when it was selected already."""
        w = self.window
        index = w.feeds_model.index_of(key)
        if not index.isValid():
            raise SystemExit(f"benchmark: no row {key} in the feed list")
        if index == w.feeds_view.currentIndex():
            return None
        return self.timed(lambda: w.feeds_view.setCurrentIndex(index))

    def restore(self, library: Any) -> None:
        """Leave the cached library as it was built."""
        if self.runner.active():
            self.timed(lambda: self.window.update(), lambda: not self.runner.active())
        if self.marked:
            library.mark_read(self.marked, False)


def print_table(rows: list[tuple[str, str, str]], args: argparse.Namespace) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\nWindow benchmark: {args.stories:,} stories over {args.feeds} feeds; median of {args.runs} runs "
        f"(min–max); QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM')}; {os.cpu_count()} CPUs, "
        f"load average {load:.1f} when done"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':{width}}  {'target':>9}  measured (min–max)")
    for name, target, measured in rows:
        print(f"{name:{width}}  {target:>9}  {measured}")


if __name__ == "__main__":
    sys.exit(main())
