"""The story list: a lazy list over `Library.stories`, a page at a time, newest first.

Pages are keyset pages (the `PageKey` of the last row), so scrolling deep never costs an OFFSET scan.
The same story from several feeds (a same-story group) is one row, the newest, saying "N sources"; its other
sources are its children, read when the row is expanded. Grouping hides nothing: every story stays a row.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from tidings.core.library import Library
from tidings.core.models import SearchHit, Story
from tidings.core.storage.stories import PageKey, StoryFilter

from .style import bold_font
from .text import UNTITLED, as_rich_text, format_time
from .two_level import parent_of

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()

PAGE_SIZE = 100  # a screenful and more: the view asks for the next page as it scrolls
STORY_ID_ROLE = Qt.ItemDataRole.UserRole
SNIPPET_ROLE = Qt.ItemDataRole.UserRole + 1
STORIES_MIME = "application/x-tidings-story-ids"
TITLE_COLUMN, FEED_COLUMN, DATE_COLUMN, MATCH_COLUMN = 0, 1, 2, 3
HEADERS = ("Title", "Feed", "Date")
SEARCH_HEADERS = ("Title", "Feed", "Date", "Match")
SNIPPET_MARKS = ("\x02", "\x03")  # around the matched words in a snippet; never in stored text
UNREAD_MARK = "● "
STARRED_MARK = "★ "
LONG_TIME = "%A %d %B %Y, %H:%M %Z"
# Computed once: a view asks for the flags of every cell it paints, and OR-ing Python enum flags on each call
# made the list about 10% slower to paint.
HANDLED_ROLES = frozenset(
    int(r)
    for r in (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.UserRole,
        Qt.ItemDataRole.UserRole + 1,  # SNIPPET_ROLE
    )
)
GROUP_FLAGS = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsDragEnabled
STORY_FLAGS = GROUP_FLAGS | Qt.ItemFlag.ItemNeverHasChildren


def marked_title(story: Story) -> str:
    """The title with text marks for unread and starred, so the state is not shown by the font alone."""
    marks = (UNREAD_MARK if not story.read else "") + (STARRED_MARK if story.starred else "")
    return marks + (story.title or UNTITLED)


def spoken(story: Story) -> str:
    state = "unread" if not story.read else "read"
    starred = ", starred" if story.starred else ""
    when = format_time(story.published)
    return f"{story.title or UNTITLED}, {state}{starred}, from {story.feed_title}, {when}"


class StoriesModel(QAbstractItemModel):
    def __init__(self, library: Library, *, page_size: int = PAGE_SIZE, parent: QObject | None = None):
        super().__init__(parent)
        self._library = library
        self._page_size = page_size
        self._filter = StoryFilter(feed_ids=())
        self._stories: list[Story] = []
        self._last: PageKey | None = None
        self._exhausted = True
        self._snippets: dict[int, str] | None = None  # search results: the snippet of each story
        self._groups: dict[int, tuple[int, int]] = {}  # a listed story's (group id, sources) when grouped
        self._seen_groups: set[int] = set()
        self._members: dict[int, list[Story]] = {}  # a group row's other sources, once expanded

    # -- loading ----------------------------------------------------------------------------------
    @property
    def story_filter(self) -> StoryFilter:
        return self._filter

    def set_filter(self, flt: StoryFilter) -> None:
        """Show the stories matching `flt`, starting again from the newest page."""
        self.beginResetModel()
        self._filter, self._snippets = flt, None
        self._stories, self._last, self._exhausted = [], None, False
        self._groups, self._seen_groups, self._members = {}, set(), {}
        self._stories.extend(self._next_page())
        self.endResetModel()

    def show_hits(self, hits: list[SearchHit]) -> None:
        """Show search results (best first) instead of a feed's stories, with a snippet column."""
        self.beginResetModel()
        self._stories, self._last, self._exhausted = [h.story for h in hits], None, True
        self._snippets = {h.story.id: h.snippet for h in hits}
        self._groups, self._seen_groups, self._members = {}, set(), {}
        self.endResetModel()

    @property
    def searching(self) -> bool:
        return self._snippets is not None

    def reload(self) -> None:
        if self._snippets is None:
            self.set_filter(self._filter)

    def _next_page(self) -> list[Story]:
        page = self._library.stories(self._filter, after=self._last, limit=self._page_size)
        if len(page) < self._page_size:
            self._exhausted = True
        if page:
            self._last = page[-1][1]
        return self._grouped([story for story, _key in page])

    def _grouped(self, stories: list[Story]) -> list[Story]:
        """The page with each same-story group shown once, at its newest listed story."""
        groups = self._library.collection.groups_of([s.id for s in stories])
        listed = []
        for story in stories:
            group = groups.get(story.id)
            if group is not None and group[0] in self._seen_groups:
                continue  # an older source of a group already listed: it is that row's child
            if group is not None:
                self._seen_groups.add(group[0])
                self._groups[story.id] = group
            listed.append(story)
        return listed

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
    def loaded(self) -> list[Story]:
        return list(self._stories)

    def story_at(self, row: int) -> Story | None:
        return self._stories[row] if 0 <= row < len(self._stories) else None

    def story_of(self, index: Index) -> Story | None:
        """The story of a row, a group's row or one of its sources."""
        if not index.isValid():
            return None
        if index.internalId() == 0:
            row = index.row()
            return self._stories[row] if row < len(self._stories) else None
        members = self._children(index.internalId() - 1)
        return members[index.row()] if 0 <= index.row() < len(members) else None

    def sources(self, row: int) -> int:
        """How many feeds carry the story of a top-level row (1: it is not in a group)."""
        story = self.story_at(row)
        return self._groups[story.id][1] if story is not None and story.id in self._groups else 1

    def _children(self, row: int) -> list[Story]:
        story = self.story_at(row)
        if story is None or story.id not in self._groups:
            return []
        if story.id not in self._members:
            self._members[story.id] = self._library.collection.group_members(story.id)
        return self._members[story.id]

    def row_of(self, story_id: int) -> int | None:
        return next((row for row, s in enumerate(self._stories) if s.id == story_id), None)

    def set_read(self, story_id: int, read: bool) -> None:
        """Show a change already written to the store."""
        self._change(story_id, read=read)

    def set_starred(self, story_id: int, starred: bool) -> None:
        self._change(story_id, starred=starred)

    def set_read_many(self, story_ids: set[int], read: bool) -> None:
        for parent_row, story in enumerate(self._stories):
            members = self._members.get(story.id, [])
            for row, member in enumerate(members):
                if member.id in story_ids and member.read != read:
                    members[row] = dataclasses.replace(member, read=read)
                    parent = self.index(parent_row, 0)
                    self.dataChanged.emit(
                        self.index(row, 0, parent), self.index(row, self.columnCount() - 1, parent)
                    )
        rows = [row for row, s in enumerate(self._stories) if s.id in story_ids and s.read != read]
        for row in rows:
            self._stories[row] = dataclasses.replace(self._stories[row], read=read)
        # Only the rows that changed: a range over every row repainted the whole list (~15 ms a story read).
        runs = row_runs(rows)
        for first, last in runs if len(runs) <= 20 else [(rows[0], rows[-1])]:
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    def _change(self, story_id: int, **changes: bool) -> None:
        row = self.row_of(story_id)
        if row is None:
            return
        self._stories[row] = dataclasses.replace(self._stories[row], **changes)  # type: ignore[arg-type]
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def next_unread_row(self, after: int) -> int | None:
        """The first unread row below `after`, loading further pages as needed (None: there is none)."""
        row = after + 1
        while True:
            while row < len(self._stories):
                if not self._stories[row].read:
                    return row
                row += 1
            if not self.canFetchMore():
                return None
            self.fetchMore()

    # -- QAbstractItemModel -----------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = ROOT) -> QModelIndex:
        # bounds checked here rather than by hasIndex(): a view asks for thousands of indexes a paint
        if row < 0 or not 0 <= column < self.columnCount():
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, id=0) if row < len(self._stories) else QModelIndex()
        if parent.internalId() != 0 or row >= len(self._children(parent.row())):
            return QModelIndex()
        return self.createIndex(row, column, id=parent.row() + 1)

    def parent(self, index: Index = ROOT) -> QModelIndex:  # type: ignore[override]
        return parent_of(self, index)

    def rowCount(self, parent: Index = ROOT) -> int:
        if not parent.isValid():
            return len(self._stories)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return len(self._children(parent.row()))

    def hasChildren(self, parent: Index = ROOT) -> bool:
        if not parent.isValid():
            return bool(self._stories)
        return parent.internalId() == 0 and parent.column() == 0 and self.sources(parent.row()) > 1

    def columnCount(self, parent: Index = ROOT) -> int:
        return len(SEARCH_HEADERS if self._snippets is not None else HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in HANDLED_ROLES:  # a view asks each cell for a dozen roles; most have no answer here
            return None
        story = self.story_of(index)
        if story is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole and index.column() == FEED_COLUMN and index.internalId() == 0:
            sources = self.sources(index.row())
            return f"{sources} sources · {story.feed_title}" if sources > 1 else story.feed_title
        if (
            role == Qt.ItemDataRole.AccessibleTextRole
            and index.internalId() == 0
            and self.sources(index.row()) > 1
        ):
            return f"{spoken(story)}, one of {self.sources(index.row())} sources of this story"
        match role:
            case Qt.ItemDataRole.DisplayRole if index.column() == MATCH_COLUMN:
                return self._snippet(story).replace(SNIPPET_MARKS[0], "").replace(SNIPPET_MARKS[1], "")
            case _ if role == SNIPPET_ROLE:
                return self._snippet(story)
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

    def _snippet(self, story: Story) -> str:
        return (self._snippets or {}).get(story.id, "")

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if not self._groups or index.internalId() != 0:  # the common case, answered at once
            return STORY_FLAGS
        return GROUP_FLAGS if self.sources(index.row()) > 1 else STORY_FLAGS

    def mimeTypes(self) -> list[str]:
        return [STORIES_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Dragged stories: their ids (dropped on a topic in the tree, they are filed there)."""
        ids = sorted({story.id for i in indexes if (story := self.story_of(i)) is not None})
        data = QMimeData()
        data.setData(STORIES_MIME, QByteArray(json.dumps(ids).encode()))
        return data

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        headers = SEARCH_HEADERS if self._snippets is not None else HEADERS
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return headers[section] if 0 <= section < len(headers) else None
        return None


def row_runs(rows: list[int]) -> list[tuple[int, int]]:
    """Ascending rows as (first, last) runs of neighbours."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


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
