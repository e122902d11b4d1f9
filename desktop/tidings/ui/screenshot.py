"""Screenshot mode: `tidings --screenshot FILE.png [--theme light|dark] [--story ID] [--size 1280x800]`.

Opens the window on a library, selects the story (or keeps the window's own start selection), waits until
the story list is filled, the reader shows what was selected, background jobs have settled and the window
has painted, then saves the window as PNG. For documentation and checks, so it is deterministic: the window
gets blank settings of its own (the person's geometry, selection and preferences are neither read nor
written), and it runs offscreen unless QT_QPA_PLATFORM says otherwise (cli.py sets that).

Readiness is watched from outside the window, through its public parts (models, views, reader, the job
runner): every relevant signal and every paint of a pane re-checks it; nothing polls or sleeps.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, Qt, QTimer, SignalInstance, Slot
from PySide6.QtWidgets import QApplication, QWidget

from tidings.core.errors import TidingsError
from tidings.core.library import Library
from tidings.core.models import Story
from tidings.jobs.runner import JobRunner

from .feeds_model import FILTER_ROLE, KEY_ROLE
from .main_window import MainWindow
from .preferences import Preferences, Theme
from .stories_model import TITLE_COLUMN
from .text import UNTITLED

if TYPE_CHECKING:
    from .app import WarningRelay

DEFAULT_SIZE = (1280, 800)
TIMEOUT_S = 10.0
SHUTDOWN_MS = 3000
READY_ENV = "TIDINGS_REPORT_READY"  # benchmarks: print one JSON line (time, memory) when ready


@dataclass(frozen=True, slots=True)
class ScreenshotRequest:
    path: Path
    theme: str | None = None  # "light", "dark", or None for Qt's default
    story: int | None = None
    size: tuple[int, int] = DEFAULT_SIZE
    timeout: float = TIMEOUT_S


def take_screenshot(
    app: QApplication, library: Library, relay: WarningRelay, request: ScreenshotRequest
) -> tuple[int, bool]:
    """Shows the window, saves it once ready; returns the exit code and whether every job stopped."""
    try:
        story = library.story(request.story) if request.story is not None else None
    except TidingsError as exc:
        return _fail(str(exc)), True
    runner = JobRunner()
    try:
        with tempfile.TemporaryDirectory(prefix="tidings-screenshot-") as scratch:
            settings = blank_settings(Path(scratch), request.theme)
            window = MainWindow(library, runner, settings=settings, preferences=Preferences(settings))
            relay.warned.connect(window.on_warning_received, Qt.ConnectionType.QueuedConnection)
            window.resize(*request.size)
            window.show()
            code = _capture(window, runner, library, story, request)
            window.close()
    finally:
        clean = runner.shutdown(SHUTDOWN_MS)
        if story is not None and not story.read:
            _mark_unread_again(library, story)
    return code, clean


def blank_settings(folder: Path, theme: str | None) -> QSettings:
    """Settings of the screenshot's own, at their defaults but the theme: the person's window geometry,
    selection and preferences are neither read nor changed, and the picture is the same everywhere. The
    theme goes through the preferences, so the window applies it as it applies a person's choice."""
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    if theme:
        Preferences(settings).update(theme=Theme(theme))
    return settings


def _mark_unread_again(library: Library, story: Story) -> None:
    """Showing a story marks it read (and the picture shows that); the library is left as it was found."""
    with contextlib.suppress(TidingsError):
        library.mark_read([story.id], False)


def _capture(
    window: MainWindow, runner: JobRunner, library: Library, story: Story | None, request: ScreenshotRequest
) -> int:
    watch = ReadinessWatch(window, runner, library, story)
    if not watch.wait(request.timeout):
        return _fail(f"The window was not ready after {request.timeout:g} s: {watch.waiting_for}.")
    if _report_ready():
        print(json.dumps(ready_report()), flush=True)
    return save(window, request)


def save(window: QWidget, request: ScreenshotRequest) -> int:
    pixmap = window.grab()
    wanted = request.size
    if (pixmap.width(), pixmap.height()) != wanted and pixmap.devicePixelRatio() == 1:
        got = f"{pixmap.width()}x{pixmap.height()}"
        print(f"tidings: the window could only be made {got}, not {wanted[0]}x{wanted[1]}.", file=sys.stderr)
    if not pixmap.save(str(request.path), "PNG"):
        return _fail(f"The screenshot could not be written to {request.path}.")
    return 0


def _fail(message: str) -> int:
    print(f"tidings: {message}", file=sys.stderr)
    return 1


# -- readiness ------------------------------------------------------------------------------------
class ReadinessWatch(QObject):
    """Selects the story once its feed is listed, and says when the window is ready to be captured:
    a feed selected and its stories listed, the reader showing the selection, no background job left,
    and every pane painted since."""

    def __init__(self, window: MainWindow, runner: JobRunner, library: Library, story: Story | None):
        super().__init__(window)
        self._window, self._runner, self._library, self._story = window, runner, library, story
        self._loop = QEventLoop(self)
        self._panes = [window.feeds_view.viewport(), window.stories_view.viewport(), window.reader.viewport()]
        self._painted: set[QWidget] = set()
        self._repaint_asked = False
        self._check_due = False
        self.failure: str | None = None
        self.waiting_for = "the window was never shown"
        self._connect()

    def wait(self, timeout: float) -> bool:
        """Runs the event loop until the window is ready (True) or `timeout` seconds passed (False)."""
        deadline = QTimer(self)
        deadline.setSingleShot(True)
        deadline.timeout.connect(lambda: self._loop.exit(1))
        deadline.start(int(timeout * 1000))
        self._schedule()
        ready = self._loop.exec() == 0
        deadline.stop()
        self._disconnect()  # a watch left listening would go on asking the panes to repaint
        if self.failure:
            self.waiting_for = self.failure
        return ready and self.failure is None

    def _signals(self) -> list[SignalInstance]:
        w = self._window
        models = (w.feeds_view.model(), w.stories_model)
        return [
            *(m.modelReset for m in models),
            *(m.rowsInserted for m in models),
            *(m.dataChanged for m in models),
            *(m.layoutChanged for m in models),
            w.feeds_view.selectionModel().currentChanged,
            w.stories_view.selectionModel().currentChanged,
            w.reader.textChanged,
            self._runner.job_finished,
            self._runner.job_failed,
        ]

    def _connect(self) -> None:
        self._connected = self._signals()
        for signal in self._connected:
            signal.connect(self._schedule)
        for pane in self._panes:
            pane.installEventFilter(self)

    def _disconnect(self) -> None:
        for signal in self._connected:
            signal.disconnect(self._schedule)
        self._connected = []
        for pane in self._panes:
            pane.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget):
            if self._repaint_asked:
                self._painted.add(watched)
            self._schedule()  # runs after this paint is done
        return False

    @Slot()
    def _schedule(self) -> None:
        """Check soon, once: signals come in bursts, and selecting from inside a signal would re-enter."""
        if not self._check_due:
            self._check_due = True
            QTimer.singleShot(0, self._check)

    @Slot()
    def _check(self) -> None:
        self._check_due = False
        if not self._loop.isRunning():
            return
        if self._story is not None:
            self._select_story(self._story)
        missing = self.failure or self._missing()
        if missing:
            self.waiting_for, self._repaint_asked = missing, False
            if self.failure:
                self._loop.exit(1)
            return
        if not self._repaint_asked:  # ready: ask every pane for a paint of this state
            self._repaint_asked, self._painted = True, set()
            self.waiting_for = "the window did not paint"
            for pane in self._panes:
                pane.update()
        elif self._painted.issuperset(self._panes):
            self._loop.exit(0)

    def _missing(self) -> str | None:
        """What the window still lacks, in words (None: nothing)."""
        w, story = self._window, self._story
        current = w.feeds_view.currentIndex()
        if not current.isValid():
            return "no feed was selected"
        if story is not None and current.data(KEY_ROLE) != ("feed", story.feed_id):
            return f"the feed of story {story.id} was not selected"
        model = w.stories_model
        if model.story_filter != current.data(FILTER_ROLE):
            return "the story list did not show the selected feed"
        if model.rowCount() == 0 and self._library.count(model.story_filter) > 0:
            return "the story list stayed empty"
        if story is not None and w.stories_view.currentIndex().data(Qt.ItemDataRole.UserRole) != story.id:
            return f"story {story.id} was not selected"
        if not self._reader_ready(story):
            return f"the reader did not show story {story.id}" if story else "the reader stayed empty"
        if self._runner.active():
            return f"{len(self._runner.active())} background jobs did not finish"
        return None

    def _reader_ready(self, story: Story | None) -> bool:
        shown = " ".join(self._window.reader.toPlainText().split())
        if story is None:
            return bool(shown)
        return " ".join((story.title or UNTITLED).split()) in shown

    def _select_story(self, story: Story) -> None:
        """Select the story's feed, then the story (loading pages until it is listed)."""
        w = self._window
        key = ("feed", story.feed_id)
        if w.feeds_view.currentIndex().data(KEY_ROLE) != key:
            index = w.feeds_model.index_of(key)
            if index.isValid():
                w.feeds_view.setCurrentIndex(index)
            return
        model = w.stories_model
        if w.stories_view.currentIndex().data(Qt.ItemDataRole.UserRole) == story.id:
            return
        if model.story_filter != w.feeds_view.currentIndex().data(FILTER_ROLE):
            return  # the list is still being filled for the feed
        row = model.row_of(story.id)
        while row is None and model.canFetchMore():
            model.fetchMore()
            row = model.row_of(story.id)
        if row is None:
            self.failure = f"story {story.id} is not in the list of its feed"
            return
        index = model.index(row, TITLE_COLUMN)
        w.stories_view.setCurrentIndex(index)
        w.stories_view.scrollTo(index)


def _report_ready() -> bool:
    return os.environ.get(READY_ENV) == "1"


def ready_report() -> dict[str, float]:
    """When the window was ready (Unix time), the CPU time used so far, how long this thread waited for a
    CPU (a busy machine), and the process's memory then: the peak resident size so far and the
    proportional set size (Linux; zeros elsewhere)."""
    report = {"ready": time.time(), "cpu_s": time.process_time(), "cpu_wait_s": 0.0}
    report |= {"peak_rss_mb": 0.0, "rss_mb": 0.0, "pss_mb": 0.0}
    with contextlib.suppress(OSError, IndexError, ValueError):
        report["cpu_wait_s"] = int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    fields = {"VmHWM:": "peak_rss_mb", "VmRSS:": "rss_mb", "Pss:": "pss_mb"}
    for name in ("/proc/self/status", "/proc/self/smaps_rollup"):
        try:
            lines = Path(name).read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts and parts[0] in fields:
                report[fields[parts[0]]] = int(parts[1]) / 1024
    return report
