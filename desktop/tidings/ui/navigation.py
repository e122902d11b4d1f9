"""Moving through stories from the keyboard (j/k, Space to the next unread, across feeds) and searching."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QAbstractButton, QApplication

from tidings.core.models import SearchHit
from tidings.core.storage.stories import StoryFilter

from .feeds_model import FILTER_ROLE
from .stories_model import SNIPPET_MARKS
from .text import plural

if TYPE_CHECKING:
    from .main_window import MainWindow

SEARCH_LIMIT = 200


class Navigation(QObject):
    def __init__(self, window: MainWindow):
        super().__init__(window)
        self._w = window

    def _top_row(self) -> int:
        """The current row, or its group's row when the current one is another source of a story."""
        index = self._w.stories_view.currentIndex()
        return index.parent().row() if index.parent().isValid() else index.row()

    # -- moving through stories ---------------------------------------------------------------------
    def step_story(self, step: int) -> None:
        row = self._top_row()
        target = row + step if row >= 0 else 0
        if target >= self._w.stories_model.rowCount() and self._w.stories_model.canFetchMore():
            self._w.stories_model.fetchMore()
        if 0 <= target < self._w.stories_model.rowCount():
            self._w._select_row(target)

    @Slot()
    def on_next_unread(self) -> None:
        focus = QApplication.focusWidget()
        if isinstance(focus, QAbstractButton):  # Space presses a focused button, as everywhere else
            focus.click()
            return
        bar = self._w.reader.verticalScrollBar()
        if self._w.shown_story is not None and bar.value() < bar.maximum():
            bar.setValue(min(bar.maximum(), bar.value() + bar.pageStep() - bar.singleStep() * 2))
            return
        row = self._w.stories_model.next_unread_row(self._top_row())
        if row is not None:
            self._w._select_row(row)
        elif not self._next_feed_with_unread():
            self._w.statusBar().showMessage("No unread stories left.", 4000)

    def _next_feed_with_unread(self) -> bool:
        current = self._w.feeds_model.node(self._w.feeds_view.currentIndex())
        feeds = [f for f in self._w.feeds_model.feeds()]
        start = next(
            (i for i, f in enumerate(feeds) if current and current.feed and f.id == current.feed.id), -1
        )
        for feed in feeds[start + 1 :] + feeds[: start + 1]:
            if feed.unread and (current is None or current.feed is None or feed.id != current.feed.id):
                self._w.feeds_view.setCurrentIndex(self._w.feeds_model.index_of(("feed", feed.id)))
                row = self._w.stories_model.next_unread_row(-1)
                if row is not None:
                    self._w._select_row(row)
                return True
        return False

    # -- search -------------------------------------------------------------------------------------
    @Slot(str, object)
    def on_search_requested(self, query: str, flt: StoryFilter | None) -> None:
        if flt is None:  # "this list": the selection in the tree (a topic, a folder, a feed, Saved…)
            flt = self._w.feeds_view.currentIndex().data(FILTER_ROLE) or StoryFilter()
        self._w._runner.submit(
            self._w._library.search, query, flt, limit=SEARCH_LIMIT, marks=SNIPPET_MARKS,
            on_done=functools.partial(self.on_search_done, query),
            on_error=lambda failure: self._w.statusBar().showMessage(failure.message, 6000),
        )  # fmt: skip

    def on_search_done(self, query: str, hits: list[SearchHit]) -> None:
        if self._w.search_bar.field.text().strip() != query:
            return  # typing went on: a newer search is on its way
        self._w.shown_story = None
        self._w.stories_model.show_hits(hits)
        found = plural(len(hits), "story matches", "stories match")
        self._w.statusBar().showMessage(f"{found} “{query}”.")
        if hits:
            self._w._select_row(0)
        else:
            self._w.reader_pane.show_message("Nothing found", f"No story matches “{query}”.")

    @Slot()
    def on_search_cleared(self) -> None:
        if self._w.stories_model.searching:
            self._w.stories_model.set_filter(self._w.stories_model.story_filter)
            self._w.shown_story = None
            self._w.show_summary()
            self._w.stories_view.setFocus()
