"""The story list: a lazy table over `Library.stories`, a page at a time, newest first.

Pages are keyset pages (the `PageKey` of the last row), so scrolling deep never costs an OFFSET scan.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from tidings.core.library import Library
from tidings.core.models import Story
from tidings.core.storage.stories import PageKey, StoryFilter

from .style import bold_font
from .text import UNTITLED, as_rich_text, format_time

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()

PAGE_SIZE = 200
STORY_ID_ROLE = Qt.ItemDataRole.UserRole
TITLE_COLUMN, FEED_COLUMN, DATE_COLUMN = 0, 1, 2
HEADERS = ("Title", "Feed", "Date")
UNREAD_MARK = "● "
STARRED_MARK = "★ "
LONG_TIME = "%A %d %B %Y, %H:%M %Z"


def marked_title(story: Story) -> str:
    """The title with text marks for unread and starred, so the state is not shown by the font alone."""
    marks = (UNREAD_MARK if not story.read else "") + (STARRED_MARK if story.starred else "")
    return marks + (story.title or UNTITLED)


def spoken(story: Story) -> str:
    state = "unread" if not story.read else "read"
    starred = ", starred" if story.starred else ""
    when = format_time(story.published)
    return f"{story.title or UNTITLED}, {state}{starred}, from {story.feed_title}, {when}"


class StoriesModel(QAbstractTableModel):
    def __init__(self, library: Library, *, page_size: int = PAGE_SIZE, parent: QObject | None = None):
        super().__init__(parent)
        self._library = library
        self._page_size = page_size
        self._filter = StoryFilter(feed_ids=())
        self._stories: list[Story] = []
        self._last: PageKey | None = None
        self._exhausted = True

    # -- loading ----------------------------------------------------------------------------------
    @property
    def story_filter(self) -> StoryFilter:
        return self._filter

    def set_filter(self, flt: StoryFilter) -> None:
        """Show the stories matching `flt`, starting again from the newest page."""
        self.beginResetModel()
        self._filter = flt
        self._stories, self._last, self._exhausted = [], None, False
        self._stories.extend(self._next_page())
        self.endResetModel()

    def reload(self) -> None:
        self.set_filter(self._filter)

    def _next_page(self) -> list[Story]:
        page = self._library.stories(self._filter, after=self._last, limit=self._page_size)
        if len(page) < self._page_size:
            self._exhausted = True
        if page:
            self._last = page[-1][1]
        return [story for story, _key in page]

    def canFetchMore(self, parent: Index = ROOT) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = ROOT) -> None:
        if parent.isValid() or self._exhausted:
            return
        stories = self._next_page()
        if not stories:
            return
        first = len(self._stories)
        self.beginInsertRows(QModelIndex(), first, first + len(stories) - 1)
        self._stories.extend(stories)
        self.endInsertRows()

    # -- lookups and changes ----------------------------------------------------------------------
    def story_at(self, row: int) -> Story | None:
        return self._stories[row] if 0 <= row < len(self._stories) else None

    def row_of(self, story_id: int) -> int | None:
        return next((row for row, s in enumerate(self._stories) if s.id == story_id), None)

    def set_read(self, story_id: int, read: bool) -> None:
        """Show a change already written to the store."""
        row = self.row_of(story_id)
        if row is None or self._stories[row].read == read:
            return
        self._stories[row] = dataclasses.replace(self._stories[row], read=read)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    # -- QAbstractTableModel ----------------------------------------------------------------------
    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self._stories)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._stories):
            return None
        story = self._stories[index.row()]
        match role:
            case Qt.ItemDataRole.DisplayRole:
                return _cell(story, index.column())
            case Qt.ItemDataRole.FontRole:
                return bold_font() if not story.read else None
            case Qt.ItemDataRole.ToolTipRole:
                return as_rich_text(_tip(story, index.column()))
            case Qt.ItemDataRole.AccessibleTextRole:
                return spoken(story)
            case Qt.ItemDataRole.UserRole:
                return story.id
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return None


def _cell(story: Story, column: int) -> str:
    if column == TITLE_COLUMN:
        return marked_title(story)
    if column == FEED_COLUMN:
        return story.feed_title
    return format_time(story.published)


def _tip(story: Story, column: int) -> str:
    if column == FEED_COLUMN:
        return story.feed_title
    if column == DATE_COLUMN:
        return story.published.astimezone().strftime(LONG_TIME) if story.published else "Undated"
    return story.title or UNTITLED
