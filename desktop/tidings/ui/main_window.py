"""The main window: feeds on the left, their stories in the middle, the story on the right."""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QByteArray, QModelIndex, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QMainWindow,
    QSplitter,
    QTreeView,
    QWidget,
)

from tidings.core.articles import ArticleReport
from tidings.core.errors import TidingsError
from tidings.core.library import ImportReport, Library
from tidings.core.models import Feed, FeedLink, FeedOutcome, RefreshReport
from tidings.core.storage.stories import StoryFilter
from tidings.jobs.runner import CANCEL, PROGRESS, Job, JobFailure, JobRunner
from tidings.jobs.tasks import export_opml_file, import_opml_file, refresh_feeds

from .actions import WindowActions, build_actions
from .feeds_model import FILTER_ROLE, KEY_ROLE, NAME_COLUMN, UNREAD_COLUMN, FeedsModel, NodeKey
from .messages import show_error
from .reader_view import ReaderView
from .stories_model import DATE_COLUMN, FEED_COLUMN, TITLE_COLUMN, StoriesModel
from .text import as_rich_text, plural

OPML_FILTER = "OPML files (*.opml *.xml);;All files (*)"
ALL_KEY: NodeKey = ("all", None)
FIRST_RUN = ("No feeds yet", "Add a feed (Ctrl+N) or Import OPML (File menu) to start reading.")


def describe_refresh(report: RefreshReport) -> str:
    """The status-bar summary of a finished refresh."""
    if not report.outcomes:
        return "Every feed is up to date; none is due for a refresh yet."
    errors = len(report.errors)
    failed = f", {errors} with errors (see the marked feeds)" if errors else ""
    feeds, new = plural(len(report.outcomes), "feed", "feeds"), plural(report.new, "new story", "new stories")
    return f"Refreshed {feeds}: {new}{failed}."


class MainWindow(QMainWindow):
    def __init__(
        self,
        library: Library,
        runner: JobRunner,
        *,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self._library = library
        self._runner = runner
        self._settings = settings
        self._refresh_job: Job | None = None
        self._shown_story: int | None = None
        self._newest_story = 0
        # During a refresh, counts are reloaded at most twice a second: reloading per feed (1,000 times)
        # kept the GUI thread busy for seconds.
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(500)
        self._counts_timer.timeout.connect(self.on_counts_due)
        self.setWindowTitle("Tidings")
        self.feeds_model = FeedsModel(library, self)
        self.stories_model = StoriesModel(library, parent=self)
        self.feeds_view = self._build_feeds_view()
        self.stories_view = self._build_stories_view()
        self.reader = ReaderView(self)
        self.splitter = self._build_splitter()
        self.window_actions = build_actions(self)
        self._build_menus(self.window_actions)
        self._build_toolbar(self.window_actions)
        self._connect(self.window_actions)
        self.statusBar().setAccessibleName("Status")
        self._restore_settings()
        self.reload_feeds()

    # -- building ---------------------------------------------------------------------------------
    def _build_feeds_view(self) -> QTreeView:
        view = QTreeView(self)
        view.setModel(self.feeds_model)
        view.setAccessibleName("Feeds")
        view.setHeaderHidden(True)
        view.setUniformRowHeights(True)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.header().setStretchLastSection(False)
        view.header().setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        # A fixed width, never ResizeToContents: that measures every row on each change (1,000 feeds: ~90 ms).
        view.header().setSectionResizeMode(UNREAD_COLUMN, QHeaderView.ResizeMode.Fixed)
        view.header().resizeSection(UNREAD_COLUMN, view.fontMetrics().horizontalAdvance("  99999  "))
        return view

    def _build_stories_view(self) -> QTreeView:
        view = QTreeView(self)
        view.setModel(self.stories_model)
        view.setAccessibleName("Stories")
        view.setRootIsDecorated(False)
        view.setUniformRowHeights(True)  # the view never measures every row: lists stay fast when long
        view.setAlternatingRowColors(True)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(TITLE_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(FEED_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(DATE_COLUMN, QHeaderView.ResizeMode.Interactive)  # see the unread column
        header.resizeSection(DATE_COLUMN, view.fontMetrics().horizontalAdvance("  2026-12-31 23:59  "))
        header.resizeSection(FEED_COLUMN, 140)
        return view

    def _build_splitter(self) -> QSplitter:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        for widget in (self.feeds_view, self.stories_view, self.reader):
            splitter.addWidget(widget)
        splitter.setStretchFactor(2, 1)
        splitter.setSizes([220, 420, 560])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)
        return splitter

    def _build_menus(self, actions: WindowActions) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for action in (actions.add_feed, actions.import_opml, actions.export_opml):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(actions.quit)
        feeds_menu = self.menuBar().addMenu("&Stories")
        feeds_menu.addAction(actions.refresh)
        feeds_menu.addAction(actions.toggle_read)

    def _build_toolbar(self, actions: WindowActions) -> None:
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setAccessibleName("Main toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (actions.refresh, actions.add_feed, actions.toggle_read):
            toolbar.addAction(action)

    def _connect(self, actions: WindowActions) -> None:
        self.feeds_model.modelReset.connect(self.feeds_view.expandAll)  # new rows: folders open
        self.feeds_view.selectionModel().currentRowChanged.connect(self.on_feed_selected)
        self.stories_view.selectionModel().currentRowChanged.connect(self.on_story_selected)
        actions.refresh.triggered.connect(self.on_refresh_triggered)
        actions.add_feed.triggered.connect(self.on_add_feed_triggered)
        actions.import_opml.triggered.connect(self.on_import_opml_triggered)
        actions.export_opml.triggered.connect(self.on_export_opml_triggered)
        actions.toggle_read.triggered.connect(self.on_toggle_read_triggered)
        actions.quit.triggered.connect(self.close)

    # -- feeds ------------------------------------------------------------------------------------
    def reload_feeds(self) -> None:
        """Read the feed list again, keeping the selected row (All stories when it is gone)."""
        self.on_feeds_loaded(self._library.feeds())

    @Slot()
    def on_counts_due(self) -> None:
        """While a refresh runs, the counts are read by a job: the GUI thread never queues for the store
        (or for the interpreter) behind the refresh's threads."""
        self._runner.submit(self._library.feeds, on_done=self.on_feeds_loaded)

    def on_feeds_loaded(self, feeds: list[Feed]) -> None:
        key = self._selected_feed_key()
        self.feeds_model.apply(feeds)
        index = self.feeds_model.index_of(key) if key else QModelIndex()
        if not index.isValid():
            index = self.feeds_model.index_of(ALL_KEY)
        if index != self.feeds_view.currentIndex():
            self.feeds_view.setCurrentIndex(index)
        if self.feeds_model.feed_count() == 0:
            self.reader.show_message(*FIRST_RUN)

    def _selected_feed_key(self) -> NodeKey | None:
        key: NodeKey | None = self.feeds_view.currentIndex().data(KEY_ROLE)
        return key

    @Slot(QModelIndex, QModelIndex)
    def on_feed_selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not current.isValid():
            return
        self.stories_model.set_filter(current.data(FILTER_ROLE))
        self._shown_story = None
        if self.feeds_model.feed_count():
            title = current.siblingAtColumn(NAME_COLUMN).data()
            self.reader.show_message(title, self._count_text())

    def _count_text(self) -> str:
        flt = self.stories_model.story_filter
        total = self._library.count(flt)
        unread = self._library.count(StoryFilter(flt.feed_ids, unread=True))
        return f"{unread} unread of {plural(total, 'story', 'stories')}. Select a story to read it."

    # -- stories ----------------------------------------------------------------------------------
    def reload_stories(self) -> None:
        """Read the list again from the newest story, keeping the shown story selected if it is loaded."""
        shown = self._shown_story
        self.stories_model.reload()
        row = self.stories_model.row_of(shown) if shown is not None else None
        if row is not None:
            self.stories_view.setCurrentIndex(self.stories_model.index(row, TITLE_COLUMN))

    @Slot(QModelIndex, QModelIndex)
    def on_story_selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        listed = self.stories_model.story_at(current.row()) if current.isValid() else None
        if listed is None or listed.id == self._shown_story:
            return
        self._shown_story = listed.id
        try:
            self.reader.show_story(self._library.story(listed.id), self._library.article(listed.id))
        except TidingsError as exc:  # removed meanwhile (by the command line, say)
            self.reader.show_message("This story cannot be shown", str(exc))
            return
        if not listed.read:
            self._set_read(listed.id, True)

    @Slot()
    def on_toggle_read_triggered(self) -> None:
        story = self.stories_model.story_at(self.stories_view.currentIndex().row())
        if story is not None:
            self._set_read(story.id, not story.read)

    def _set_read(self, story_id: int, read: bool) -> None:
        self._runner.submit(
            self._library.mark_read,
            [story_id],
            read,
            on_done=functools.partial(self.on_story_read_changed, story_id, read),
            on_error=self.on_background_failed,
        )

    def on_story_read_changed(self, story_id: int, read: bool, _changed: int) -> None:
        self.stories_model.set_read(story_id, read)
        self.reload_feeds()

    def on_background_failed(self, failure: JobFailure) -> None:
        self.statusBar().showMessage(failure.message)

    # -- refreshing -------------------------------------------------------------------------------
    @Slot()
    def on_refresh_triggered(self) -> None:
        if self._refresh_job is not None:
            return
        if self.feeds_model.feed_count() == 0:
            self.statusBar().showMessage("There is nothing to refresh yet: add a feed first.")
            return
        self.window_actions.refresh.setEnabled(False)
        self.statusBar().showMessage("Refreshing…")
        self._newest_story = self._library.newest_story_id()
        self._refresh_job = self._runner.submit(
            refresh_feeds,
            self._library,
            cancel=CANCEL,
            progress=PROGRESS,
            on_done=self.on_refreshed,
            on_error=self.on_refresh_failed,
            on_progress=self.on_refresh_progressed,
        )

    def on_refresh_progressed(self, outcome: FeedOutcome, done: int, total: int) -> None:
        self.statusBar().showMessage(f"Refreshing… {done} of {total} feeds")
        if outcome.status in ("updated", "error") and not self._counts_timer.isActive():
            self._counts_timer.start()

    def on_refreshed(self, report: RefreshReport) -> None:
        self._counts_timer.stop()
        self._refresh_ended()
        self.statusBar().showMessage(describe_refresh(report))
        self.reload_feeds()
        if report.new or any(o.changed for o in report.outcomes):
            self.reload_stories()
        if report.new:  # the pages of new stories of full-article feeds, in the background
            self._runner.submit(
                self._library.fetch_articles, after_id=self._newest_story, cancel=CANCEL,
                on_done=self.on_articles_fetched, on_error=self.on_background_failed,
            )  # fmt: skip

    def on_articles_fetched(self, report: ArticleReport) -> None:
        if report.extracted or report.failed:
            self.statusBar().showMessage(f"Fetched {report.extracted} full articles.", 5000)

    def on_refresh_failed(self, failure: JobFailure) -> None:
        self._refresh_ended()
        self.statusBar().showMessage(failure.message)

    def _refresh_ended(self) -> None:
        self._refresh_job = None
        self.window_actions.refresh.setEnabled(True)

    # -- subscribing ------------------------------------------------------------------------------
    @Slot()
    def on_add_feed_triggered(self) -> None:
        url, ok = QInputDialog.getText(self, "Add Feed", "Address of a feed or a website:")
        if ok and url.strip():
            self.add_feed(url.strip())

    def add_feed(self, url: str, pick: int | None = None) -> None:
        self.statusBar().showMessage(f"Looking for the feed at {url}…")
        self._runner.submit(
            self._library.add_feed,
            url,
            pick=pick,
            on_done=self.on_feed_added,
            on_error=functools.partial(self.on_add_feed_failed, url),
        )

    def on_feed_added(self, feed: Feed) -> None:
        self.reload_feeds()
        self.feeds_view.setCurrentIndex(self.feeds_model.index_of(("feed", feed.id)))
        self.statusBar().showMessage(f"Added “{feed.title}” with {plural(feed.total, 'story', 'stories')}.")

    def on_add_feed_failed(self, url: str, failure: JobFailure) -> None:
        # imported here: add_feed loaded it already, and the window starts faster without the network stack
        from tidings.core.subscribe import ChoiceNeeded

        self.statusBar().clearMessage()
        if isinstance(failure.error, ChoiceNeeded):
            pick = self._choose_feed(url, failure.error.links)
            if pick is not None:
                self.add_feed(url, pick)
            return
        show_error(self, "Add Feed", failure.message)

    def _choose_feed(self, url: str, links: list[FeedLink]) -> int | None:
        items = [f"{n}. {link.title or link.url} — {link.url}" for n, link in enumerate(links, 1)]
        label = as_rich_text(f"{url} offers several feeds. Which one do you want?")
        item, ok = QInputDialog.getItem(self, "Choose a Feed", label, items, 0, False)
        return items.index(item) + 1 if ok and item in items else None

    @Slot()
    def on_import_opml_triggered(self) -> None:
        path, _kind = QFileDialog.getOpenFileName(self, "Import OPML", "", OPML_FILTER)
        if path:
            self.statusBar().showMessage(f"Importing {path}…")
            self._runner.submit(
                import_opml_file,
                self._library,
                Path(path),
                on_done=self.on_opml_imported,
                on_error=functools.partial(self.on_job_failed, "Import OPML"),
            )

    def on_opml_imported(self, report: ImportReport) -> None:
        self.reload_feeds()
        fetch = " Refresh (F5) to fetch their stories." if report.added else ""
        added = plural(report.added, "feed", "feeds")
        done = f"Imported {added} ({report.already} already subscribed).{fetch}"
        self.statusBar().showMessage(done)
        if report.errors:
            skipped = f"{len(report.errors)} entries were not imported."
            show_error(self, "Import OPML", skipped, "\n".join(report.errors))

    @Slot()
    def on_export_opml_triggered(self) -> None:
        path, _kind = QFileDialog.getSaveFileName(self, "Export OPML", "subscriptions.opml", OPML_FILTER)
        if path:
            self._runner.submit(
                export_opml_file,
                self._library,
                Path(path),
                on_done=self.on_opml_exported,
                on_error=functools.partial(self.on_job_failed, "Export OPML"),
            )

    def on_opml_exported(self, path: Path) -> None:
        self.statusBar().showMessage(f"Saved the subscription list to {path}.")

    def on_job_failed(self, title: str, failure: JobFailure) -> None:
        self.statusBar().clearMessage()
        show_error(self, title, failure.message)

    # -- window -----------------------------------------------------------------------------------
    def on_warning_received(self, message: str) -> None:
        self.statusBar().showMessage(message)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._refresh_job is not None:
            self._refresh_job.cancel()
        self._save_settings()
        super().closeEvent(event)

    def _restore_settings(self) -> None:
        if self._settings is None:
            return
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self._settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)

    def _save_settings(self) -> None:
        if self._settings is not None:
            self._settings.setValue("window/geometry", self.saveGeometry())
            self._settings.setValue("window/splitter", self.splitter.saveState())
