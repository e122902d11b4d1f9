"""The main window: feeds on the left, their stories in the middle, the story on the right.

The window builds the panes and the actions and handles reading; subscribing and feed housekeeping live in
`feed_commands`, refreshing in `refresh_control`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPoint, QSettings, Qt, QUrl, Slot
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
    QFontMetrics,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMainWindow,
    QMenu,
    QSplitter,
    QTreeView,
    QWidget,
)

from tidings.core.errors import TidingsError
from tidings.core.library import Library
from tidings.core.models import Feed, Story
from tidings.jobs.runner import JobFailure, JobRunner

from .actions import WindowActions, build_actions
from .annotations_panel import AnnotationControl, AnnotationsPanel
from .feed_commands import FeedCommands
from .feeds_model import (
    FILTER_ROLE,
    KEY_ROLE,
    NAME_COLUMN,
    UNREAD_COLUMN,
    FeedsModel,
    NodeKey,
    Tree,
    load_tree,
)
from .menus import add_annotation_menus, build_menus, build_toolbar
from .navigation import Navigation
from .preferences import Preferences
from .reader_pane import ReaderPane
from .refresh_control import RefreshControl
from .search_bar import SearchBar, SnippetDelegate
from .stories_model import (
    DATE_COLUMN,
    FEED_COLUMN,
    MATCH_COLUMN,
    TITLE_COLUMN,
    StoriesModel,
)
from .story_images import StoryImages
from .style import bold_font
from .text import plural
from .topic_commands import TopicCommands
from .window_services import WindowServices
from .window_state import WindowState

ALL_KEY: NodeKey = ("all", None)


class MainWindow(QMainWindow):
    def __init__(
        self,
        library: Library,
        runner: JobRunner,
        *,
        settings: QSettings | None = None,
        preferences: Preferences | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self._library = library
        self._runner = runner
        self._settings = settings
        self._state = WindowState(settings)
        self.shown_story: int | None = None
        self._undo: list[tuple[str, Callable[[], None]]] = []  # (what, how to undo it), newest last
        self._restored = False
        self.setWindowTitle("Tidings")
        self.feeds_model = FeedsModel(library, self)
        self.stories_model = StoriesModel(library, parent=self)
        self.feeds_view = self._build_feeds_view()
        self.stories_view = self._build_stories_view()
        self.reader_pane = ReaderPane(self)
        self.reader = self.reader_pane.reader
        self.search_bar = SearchBar(self)
        self.splitter = self._build_splitter()
        self.window_actions = build_actions(self)
        self.feed_commands = FeedCommands(self, library, runner)
        self.refresh_control = RefreshControl(self, library, runner)
        self.topic_commands = TopicCommands(self, library, runner)
        self.refresh_control.finished.connect(self.feed_commands.on_refreshed)
        self.navigation = Navigation(self)
        self.images = StoryImages(self, library, runner)
        self.annotations_panel = AnnotationsPanel(self)
        self.splitter.addWidget(self.annotations_panel)
        self.annotations_panel.hide()
        self.annotation_control = AnnotationControl(self, library, runner, self.annotations_panel)
        self._build_menus(self.window_actions)
        self._add_annotation_menus()
        self._build_toolbar(self.window_actions)
        self._connect(self.window_actions)
        self._set_tab_order()
        self.statusBar().setAccessibleName("Status")
        self.services = (
            WindowServices(self, preferences, library, runner) if preferences is not None else None
        )
        self._restore_geometry()
        self.reload_feeds()
        self.load_icons()

    # -- building ---------------------------------------------------------------------------------
    def _build_feeds_view(self) -> QTreeView:
        view = QTreeView(self)
        view.setModel(self.feeds_model)
        view.setAccessibleName("Feeds")
        view.setHeaderHidden(True)
        view.setUniformRowHeights(True)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)  # stories dropped on a topic
        view.setDropIndicatorShown(True)
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
        view.header().setAccessibleName("Story columns")
        view.setRootIsDecorated(True)  # a story several feeds carry expands to its other sources
        view.setUniformRowHeights(True)  # the view never measures every row: lists stay fast when long
        view.setAlternatingRowColors(True)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.setItemDelegateForColumn(MATCH_COLUMN, SnippetDelegate(view))
        view.setDragEnabled(True)
        view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.stories_model.modelReset.connect(self._size_story_columns)
        self._size_story_columns(view)
        return view

    def _size_story_columns(self, view: QTreeView | None = None) -> None:
        view = view or self.stories_view
        header = view.header()
        header.setStretchLastSection(False)
        stretch = MATCH_COLUMN if self.stories_model.searching else TITLE_COLUMN
        for column in range(self.stories_model.columnCount()):
            mode = QHeaderView.ResizeMode.Stretch if column == stretch else QHeaderView.ResizeMode.Interactive
            header.setSectionResizeMode(column, mode)  # never ResizeToContents: see the unread column
        bold = QFontMetrics(bold_font())
        header.resizeSection(DATE_COLUMN, bold.horizontalAdvance("  2026-12-31 23:59  ") + 8)
        header.resizeSection(FEED_COLUMN, 120)
        searching = self.stories_model.searching
        header.setSectionHidden(
            DATE_COLUMN, searching
        )  # the snippet needs the room; the reader shows the date
        if searching:
            header.resizeSection(TITLE_COLUMN, max(160, view.width() // 3))
            header.resizeSection(FEED_COLUMN, 100)

    def _build_splitter(self) -> QSplitter:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        for widget in (self.feeds_view, self.stories_view, self.reader_pane):
            splitter.addWidget(widget)
        splitter.setStretchFactor(2, 1)
        # the story list wide enough for its titles; the reader keeps its ~70-character measure
        splitter.setSizes([220, 540, 520])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)
        return splitter

    def _build_menus(self, a: WindowActions) -> None:
        self._menus = build_menus(self.menuBar(), a)
        self.feed_commands.add_show_menu(self._menus["F&eeds"])

    def _add_annotation_menus(self) -> None:
        self.panel_action = add_annotation_menus(self._menus, self.annotation_control.actions())
        self.panel_action.toggled.connect(self.annotations_panel.setVisible)

    def _build_toolbar(self, a: WindowActions) -> None:
        self.addToolBar(build_toolbar(self, a, self.search_bar))

    def _connect(self, a: WindowActions) -> None:
        self.feeds_model.modelReset.connect(self.feeds_view.expandAll)  # new rows: folders open
        self.feeds_view.selectionModel().currentRowChanged.connect(self.on_feed_selected)
        self.stories_view.selectionModel().currentRowChanged.connect(self.on_story_selected)
        self.feeds_view.customContextMenuRequested.connect(self.feed_commands.on_context_menu)
        self.feeds_model.stories_dropped.connect(self.topic_commands.file_in)
        self.stories_view.customContextMenuRequested.connect(self.on_stories_context_menu)
        self.reader_pane.welcome.add_feed_requested.connect(a.add_feed.trigger)
        self.reader_pane.welcome.import_requested.connect(a.import_opml.trigger)
        self.reader_pane.images_offer.allow_requested.connect(self.images.on_allow_requested)
        self.reader.link_hovered.connect(lambda url: self.statusBar().showMessage(url, 4000) if url else None)
        self.search_bar.search_requested.connect(self.navigation.on_search_requested)
        self.search_bar.cleared.connect(self.navigation.on_search_cleared)
        a.search.setShortcuts([QKeySequence(QKeySequence.StandardKey.Find), QKeySequence("/")])
        for action in a.reading():  # single keys: not while typing in the search field or a dialog
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.splitter.addAction(action)
        handlers = {
            a.add_feed: self.feed_commands.on_add_feed, a.import_opml: self.feed_commands.on_import_opml,
            a.export_opml: self.feed_commands.on_export_opml, a.rename_feed: self.feed_commands.on_rename,
            a.move_feed: self.feed_commands.on_move, a.delete_feed: self.feed_commands.on_delete,
            a.copy_feed_address: self.feed_commands.on_copy_address, a.quit: self.close,
            a.log_in: self.feed_commands.on_log_in,
            a.refresh: self.refresh_control.on_refresh_all, a.refresh_feed: self.refresh_control.on_refresh_selected,
            a.cancel_refresh: self.refresh_control.on_cancel, a.mark_feed_read: self.on_mark_all_read,
            a.undo: self.on_undo, a.toggle_read: self.on_toggle_read, a.toggle_star: self.on_toggle_star,
            a.open_in_browser: self.on_open_in_browser, a.copy_link: self.on_copy_link,
            a.next_story: functools.partial(self.navigation.step_story, 1),
            a.previous_story: functools.partial(self.navigation.step_story, -1),
            a.next_unread: self.navigation.on_next_unread,
            a.toggle_article: self.on_toggle_article, a.search: self.search_bar.focus,
            a.zoom_in: functools.partial(self.reader.zoom_by, 1),
            a.zoom_out: functools.partial(self.reader.zoom_by, -1),
            a.zoom_reset: functools.partial(self.reader.zoom_by, 0),
            a.save_story: self.topic_commands.on_toggle_saved, a.add_to_topics: self.topic_commands.on_add_to_topics,
            a.new_topic: self.topic_commands.on_new_topic, a.rename_topic: self.topic_commands.on_rename_topic,
            a.topic_color: self.topic_commands.on_topic_color, a.delete_topic: self.topic_commands.on_delete_topic,
            a.export_stories: self.topic_commands.on_export_stories,
            a.export_annotations: self.topic_commands.on_export_annotations,
            a.import_annotations: self.topic_commands.on_import_annotations,
        }  # fmt: skip
        for action, handler in handlers.items():
            action.triggered.connect(handler)
        a.undo.setEnabled(False)
        a.cancel_refresh.setEnabled(False)
        self._enable_story_actions(None)

    def _set_tab_order(self) -> None:
        chain = (
            self.feeds_view,
            self.stories_view,
            self.reader,
            self.search_bar.field,
            self.search_bar.scope,
        )
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- feeds ------------------------------------------------------------------------------------
    def reload_feeds(self) -> None:
        """Read the feed list again, keeping the selected row (All stories when it is gone)."""
        self.on_feeds_loaded(load_tree(self._library))

    def reload_feeds_later(self) -> None:
        """The same, read by a job: while a refresh writes, the GUI thread never queues for the store."""
        self._runner.submit(load_tree, self._library, on_done=self.on_feeds_loaded)

    def load_icons(self) -> None:
        """Feed icons from the store, read by a job (a few KB each) and made into icons here."""
        self._runner.submit(self._library.feed_icons, on_done=self.on_icons_loaded)

    def on_icons_loaded(self, stored: dict[int, bytes]) -> None:
        icons = {}
        for feed_id, data in stored.items():
            pixmap = QPixmap()
            if pixmap.loadFromData(data):
                icons[feed_id] = QIcon(pixmap)
        self.feeds_model.set_icons(icons)

    def on_feeds_loaded(self, tree: Tree) -> None:
        feeds = tree.feeds
        key = self._selected_feed_key() or self._saved_feed_key()
        self.feeds_model.apply(tree)
        index = self.feeds_model.index_of(key) if key else QModelIndex()
        if not index.isValid():
            index = self.feeds_model.index_of(ALL_KEY)
        if index != self.feeds_view.currentIndex():
            self.feeds_view.setCurrentIndex(index)
        if self.feeds_model.feed_count() == 0:
            self.reader_pane.show_welcome()
        elif self.reader_pane.stack.currentWidget() is self.reader_pane.welcome:
            self.show_summary()
        self.setWindowTitle(f"Tidings ({total_unread(feeds)} unread)" if feeds else "Tidings")

    def _selected_feed_key(self) -> NodeKey | None:
        key: NodeKey | None = self.feeds_view.currentIndex().data(KEY_ROLE)
        return key

    def selected_feed(self) -> Feed | None:
        node = self.feeds_model.node(self.feeds_view.currentIndex())
        return node.feed if node is not None else None

    @Slot(QModelIndex, QModelIndex)
    def on_feed_selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not current.isValid():
            return
        if self.stories_model.searching:
            self.search_bar.field.clear()
        self.stories_model.set_filter(current.data(FILTER_ROLE))
        self.shown_story = None
        self._enable_story_actions(None)
        feed = self.selected_feed()
        for action in (
            self.window_actions.rename_feed,
            self.window_actions.move_feed,
            self.window_actions.delete_feed,
            self.window_actions.copy_feed_address,
        ):
            action.setEnabled(feed is not None)  # fmt: skip
        self.window_actions.refresh_feed.setEnabled(current.data(FILTER_ROLE).feed_ids is not None)
        topic = self.topic_commands.selected_topic()
        for action in (
            self.window_actions.rename_topic,
            self.window_actions.topic_color,
            self.window_actions.delete_topic,
        ):
            action.setEnabled(topic is not None)  # fmt: skip
        if self.feeds_model.feed_count():
            self.show_summary()
        if not self._restored:
            self._restore_story()

    def show_summary(self) -> None:
        node = self.feeds_model.node(self.feeds_view.currentIndex())
        if node is None:
            return
        kind = node.key[0]
        if kind in ("starred", "saved"):
            text = f"{plural(node.unread, kind + ' story', kind + ' stories')}. Select a story to read it."
        else:
            text = f"{node.unread} unread. Select a story to read it, or press Space for the next unread."
        self.reader_pane.show_message(node.title, text)

    # -- stories ----------------------------------------------------------------------------------
    def reload_stories(self) -> None:
        """Read the list again from the newest story, keeping the shown story selected if it is loaded."""
        shown = self.shown_story
        self.stories_model.reload()
        row = self.stories_model.row_of(shown) if shown is not None else None
        if row is not None:
            self.stories_view.setCurrentIndex(self.stories_model.index(row, TITLE_COLUMN))

    def current_story(self) -> Story | None:
        return self.stories_model.story_of(self.stories_view.currentIndex())

    @Slot(QModelIndex, QModelIndex)
    def on_story_selected(self, current: QModelIndex, previous: QModelIndex) -> None:
        listed = self.stories_model.story_of(current)
        self._enable_story_actions(listed)
        if listed is None or listed.id == self.shown_story:
            return
        self.shown_story = listed.id
        try:
            story, article = self._library.story(listed.id), self._library.article(listed.id)
        except TidingsError as exc:  # removed meanwhile (by the command line, say)
            self.reader_pane.show_message("This story cannot be shown", str(exc))
            return
        allowed = self.images.allowed(story.feed_id, story.id)
        self.reader.image_source = self.images.stored if allowed else None
        self.reader_pane.show_story(story, article, self._show_mode(story.feed_id))
        self.images.offer(story, article, allowed)
        self.annotation_control.show_story(story.id)
        self.window_actions.toggle_article.setEnabled(self.reader_pane.article_button.isEnabled())
        if not listed.read:
            self._set_read([listed.id], True)

    def redisplay_story(self) -> None:
        """Show the current story again (its annotations changed), keeping the scroll position."""
        bar = self.reader.verticalScrollBar()
        where = bar.value()
        shown, self.shown_story = self.shown_story, None
        index = self.stories_view.currentIndex()
        if shown is not None and index.isValid():
            self.on_story_selected(index, index)
            bar.setValue(where)
        else:
            self.shown_story = shown

    def _show_mode(self, feed_id: int) -> str:
        feed = next((f for f in self.feeds_model.feeds() if f.id == feed_id), None)
        return feed.show if feed is not None else "auto"

    def _enable_story_actions(self, story: Story | None) -> None:
        a = self.window_actions
        for action in (
            a.toggle_read,
            a.toggle_star,
            a.copy_link,
            a.toggle_article,
            a.save_story,
            a.add_to_topics,
        ):
            action.setEnabled(story is not None)
        a.open_in_browser.setEnabled(bool(story and _web_url(story.url)))
        a.copy_link.setEnabled(bool(story and story.url))
        if story is not None:
            a.toggle_read.setText("&Mark Unread" if story.read else "&Mark Read")
            a.toggle_star.setText("Un&star" if story.starred else "&Star")
            saved = self._library.collection.is_saved(story.id)
            a.save_story.setText("Remove from Sa&ved" if saved else "Sa&ve for Offline")

    def refresh_story_state(self) -> None:
        """The shown story's saved state changed: its actions say so."""
        self._enable_story_actions(self.current_story())

    @Slot()
    def on_toggle_read(self) -> None:
        story = self.current_story()
        if story is not None:
            self._set_read([story.id], not story.read)

    @Slot()
    def on_toggle_star(self) -> None:
        story = self.current_story()
        if story is None:
            return
        starred = not story.starred
        self._runner.submit(
            self._library.star, [story.id], starred,
            on_done=lambda _n: self.on_star_changed(story.id, starred), on_error=self.on_background_failed,
        )  # fmt: skip

    def on_star_changed(self, story_id: int, starred: bool) -> None:
        self.stories_model.set_starred(story_id, starred)
        self._enable_story_actions(self.current_story())
        self.reload_feeds_later()

    def _set_read(self, story_ids: list[int], read: bool) -> None:
        self._runner.submit(
            self._library.mark_read, story_ids, read,
            on_done=lambda _n: self.on_read_changed(story_ids, read), on_error=self.on_background_failed,
        )  # fmt: skip

    def on_read_changed(self, story_ids: list[int], read: bool) -> None:
        self.stories_model.set_read_many(set(story_ids), read)
        self._enable_story_actions(self.current_story())
        self.reload_feeds_later()

    @Slot()
    def on_mark_all_read(self) -> None:
        flt = self.stories_model.story_filter
        if self.stories_model.searching:
            ids = [s.id for s in self.stories_model.loaded() if not s.read]
            self._runner.submit(
                self._library.mark_read, ids, True, on_done=lambda _n: self.on_all_marked(ids),
                on_error=self.on_background_failed,
            )  # fmt: skip
            return
        self._runner.submit(
            self._library.mark_all_read, flt, on_done=self.on_all_marked, on_error=self.on_background_failed
        )

    def on_all_marked(self, ids: list[int]) -> None:
        self.stories_model.set_read_many(set(ids), True)
        self.reload_feeds_later()
        if ids:
            what = f"Mark {plural(len(ids), 'Story', 'Stories')} Read"
            self.push_undo(what, functools.partial(self._mark_unread_again, ids))
        undo = " Undo with Ctrl+Z." if ids else ""
        self.statusBar().showMessage(f"Marked {plural(len(ids), 'story', 'stories')} read.{undo}", 8000)

    @Slot()
    def on_undo(self) -> None:
        if not self._undo:
            return
        _what, undo = self._undo.pop()
        self._label_undo()
        undo()

    def push_undo(self, what: str, undo: Callable[[], None]) -> None:
        """Something the person can take back with Ctrl+Z (mark all read, deleting or editing a note)."""
        self._undo.append((what, undo))
        self._undo = self._undo[-20:]
        self._label_undo()

    def _label_undo(self) -> None:
        self.window_actions.undo.setEnabled(bool(self._undo))
        self.window_actions.undo.setText(f"&Undo {self._undo[-1][0]}" if self._undo else "&Undo")

    def _mark_unread_again(self, ids: list[int]) -> None:
        self._set_read(ids, False)
        self.statusBar().showMessage(f"{plural(len(ids), 'story is', 'stories are')} unread again.", 5000)

    @Slot()
    def on_open_in_browser(self) -> None:
        story = self.current_story()
        url = _web_url(story.url if story else None)
        if url:
            QDesktopServices.openUrl(QUrl(url))

    @Slot()
    def on_copy_link(self) -> None:
        story = self.current_story()
        if story is not None and story.url:
            QGuiApplication.clipboard().setText(story.url)
            self.statusBar().showMessage("Copied the link.", 3000)

    @Slot()
    def on_toggle_article(self) -> None:
        if self.reader_pane.story is not None:
            self.reader_pane.set_showing_article(not self.reader_pane.article_button.isChecked())

    def _select_row(self, row: int) -> None:
        index = self.stories_model.index(row, TITLE_COLUMN)
        self.stories_view.setCurrentIndex(index)
        self.stories_view.scrollTo(index)

    # -- menus ----------------------------------------------------------------------------------------
    def on_stories_context_menu(self, pos: QPoint) -> None:
        if self.current_story() is None:
            return
        a = self.window_actions
        menu = QMenu(self)
        for action in (a.open_in_browser, a.copy_link, None, a.toggle_read, a.toggle_star, a.save_story):
            menu.addSeparator() if action is None else menu.addAction(action)
        story = self.current_story()
        if story is not None:
            self.topic_commands.add_topic_menu(menu, [story.id])
        menu.addAction(a.toggle_article)
        menu.exec(self.stories_view.viewport().mapToGlobal(pos))

    def on_background_failed(self, failure: JobFailure) -> None:
        self.statusBar().showMessage(failure.message)

    def on_warning_received(self, message: str) -> None:
        self.statusBar().showMessage(message)

    # -- window -----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.refresh_control.on_cancel()
        self._save_settings()
        super().closeEvent(event)

    def _restore_geometry(self) -> None:
        self._state.restore_geometry(self, self.splitter)

    def _saved_feed_key(self) -> NodeKey | None:
        return None if self._restored else self._state.view()

    def _restore_story(self) -> None:
        self._restored = True
        story = self._state.story()
        row = self.stories_model.row_of(story) if story is not None else None
        if row is not None:
            self._select_row(row)

    def _save_settings(self) -> None:
        self._state.save(self, self.splitter, self._selected_feed_key(), self.shown_story)


def total_unread(feeds: list[Feed]) -> int:
    return sum(f.unread for f in feeds)


def _web_url(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None
