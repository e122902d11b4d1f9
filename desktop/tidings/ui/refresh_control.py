"""Refreshing from the window: all feeds or the selected ones, "N of M feeds" with a progress bar and a stop
button in the status bar, counts kept current while it runs, full articles fetched afterwards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressBar, QToolButton

from tidings.core.library import Library
from tidings.core.models import FeedOutcome, RefreshReport
from tidings.jobs.runner import CANCEL, PROGRESS, Job, JobFailure, JobRunner
from tidings.jobs.tasks import refresh_feeds

from .text import plural

if TYPE_CHECKING:
    from tidings.core.articles import ArticleReport  # the network stack: not loaded at start

    from .main_window import MainWindow

COUNTS_EVERY_MS = 500


def describe_refresh(report: RefreshReport) -> str:
    """The status-bar summary of a finished refresh."""
    if not report.outcomes:
        return "Every feed is up to date; none is due for a refresh yet."
    errors = len(report.errors)
    failed = f", {errors} with errors (see the marked feeds)" if errors else ""
    feeds, new = plural(len(report.outcomes), "feed", "feeds"), plural(report.new, "new story", "new stories")
    return f"Refreshed {feeds}: {new}{failed}."


class RefreshControl(QObject):
    started = Signal()
    finished = Signal(object)  # the RefreshReport, or None when it failed
    articles_fetched = Signal(object)

    def __init__(self, window: MainWindow, library: Library, runner: JobRunner):
        super().__init__(window)
        self._window = window
        self._library = library
        self._runner = runner
        self._job: Job | None = None
        self._newest = 0
        # During a refresh, counts are reloaded at most twice a second: reloading per feed (1,000 times)
        # kept the GUI thread busy for seconds.
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_EVERY_MS)
        self._counts_timer.timeout.connect(window.reload_feeds_later)
        self.progress = QProgressBar(window)
        self.progress.setAccessibleName("Refresh progress")
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.stop_button = QToolButton(window)
        self.stop_button.setDefaultAction(window.window_actions.cancel_refresh)
        self.stop_button.setAccessibleName("Stop refreshing")
        bar = window.statusBar()
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.stop_button)
        self._show_progress(False)

    @property
    def running(self) -> bool:
        return self._job is not None

    def _show_progress(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.stop_button.setVisible(on)
        self._window.window_actions.cancel_refresh.setEnabled(on)
        self._window.window_actions.refresh.setEnabled(not on)
        self._window.window_actions.refresh_feed.setEnabled(not on)

    @Slot()
    def on_refresh_all(self) -> None:
        self.refresh(None)

    @Slot()
    def on_refresh_selected(self) -> None:
        flt = self._window.stories_model.story_filter
        if flt.feed_ids:
            self.refresh(list(flt.feed_ids))

    def refresh(self, ids: list[int] | None) -> None:
        """Refresh the due feeds (or the named ones, due or not) in the background."""
        if self._job is not None:
            return
        if self._window.feeds_model.feed_count() == 0:
            self._window.statusBar().showMessage("There is nothing to refresh yet: add a feed first.")
            return
        self._show_progress(True)
        self.progress.setRange(0, 0)
        self._window.statusBar().showMessage("Refreshing…")
        self._newest = self._library.newest_story_id()
        self._job = self._runner.submit(
            refresh_feeds, self._library, ids, cancel=CANCEL, progress=PROGRESS,
            on_done=self.on_refreshed, on_error=self.on_failed, on_progress=self.on_progressed,
        )  # fmt: skip
        self.started.emit()

    @Slot()
    def on_cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._window.statusBar().showMessage("Stopping the refresh…")

    def on_progressed(self, outcome: FeedOutcome, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self._window.statusBar().showMessage(f"Refreshing… {done} of {total} feeds")
        if outcome.status in ("updated", "error") and not self._counts_timer.isActive():
            self._counts_timer.start()

    def on_refreshed(self, report: RefreshReport) -> None:
        self._ended()
        self._window.statusBar().showMessage(describe_refresh(report))
        self._window.reload_feeds()
        if report.new or any(o.changed for o in report.outcomes):
            self._window.reload_stories()
        self.finished.emit(report)
        self._runner.submit(self._library.fetch_icons, cancel=CANCEL, on_done=self.on_icons_fetched)
        if report.new:  # the same story from several feeds, grouped offline
            self._runner.submit(
                self._library.collection.group_recent, cancel=CANCEL, on_done=self.on_grouped,
                on_error=self._window.on_background_failed,
            )  # fmt: skip
        if report.new:  # the pages of new stories of full-article feeds, in the background
            self._runner.submit(
                self._library.fetch_articles, after_id=self._newest, cancel=CANCEL,
                on_done=self.on_articles_fetched, on_error=self._window.on_background_failed,
            )  # fmt: skip

    def on_grouped(self, grouped: int) -> None:
        if grouped:
            self._window.reload_stories()

    def on_icons_fetched(self, count: int) -> None:
        if count:
            self._window.load_icons()

    def on_articles_fetched(self, report: ArticleReport) -> None:
        if report.extracted or report.failed:
            self._window.statusBar().showMessage(
                f"Fetched {plural(report.extracted, 'full article', 'full articles')}.", 5000
            )
        self.articles_fetched.emit(report)

    def on_failed(self, failure: JobFailure) -> None:
        self._ended()
        self._window.statusBar().showMessage(failure.message)
        self.finished.emit(None)

    def _ended(self) -> None:
        self._counts_timer.stop()
        self._job = None
        self._show_progress(False)
