"""The feed list: "All stories", then folders with their feeds, then feeds outside any folder.

A two-level tree with two columns (name, unread count). Indexes carry no pointers: a top-level index has
internal id 0, a child has the row of its folder plus one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from tidings.core.library import Library
from tidings.core.models import Feed
from tidings.core.storage.stories import StoryFilter

from .style import bold_font, warning_icon
from .text import as_rich_text

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
NodeKey = tuple[str, str | int | None]  # ("all", None), ("folder", name), ("feed", id)

FEED_ID_ROLE = Qt.ItemDataRole.UserRole
FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2

NAME_COLUMN, UNREAD_COLUMN = 0, 1
ALL_STORIES = "All stories"


@dataclass(frozen=True, slots=True)
class FeedNode:
    """A row of the list: "All stories", a folder (with children) or a feed."""

    key: NodeKey
    title: str
    unread: int
    feed: Feed | None = None
    children: tuple[FeedNode, ...] = field(default_factory=tuple)

    @property
    def story_filter(self) -> StoryFilter:
        if self.key[0] == "all":
            return StoryFilter()
        if self.feed is not None:
            return StoryFilter(feed_ids=(self.feed.id,))
        return StoryFilter(feed_ids=tuple(child.feed.id for child in self.children if child.feed))


def build_nodes(feeds: list[Feed]) -> list[FeedNode]:
    """The rows for `feeds` (in the store's order): All stories, folders, then loose feeds."""
    folders: dict[str, list[FeedNode]] = {}
    loose: list[FeedNode] = []
    for feed in feeds:
        node = FeedNode(("feed", feed.id), feed.title, feed.unread, feed)
        if feed.folder:
            folders.setdefault(feed.folder, []).append(node)
        else:
            loose.append(node)
    rows = [FeedNode(("all", None), ALL_STORIES, sum(f.unread for f in feeds))]
    for name, children in folders.items():
        unread = sum(c.unread for c in children)
        rows.append(FeedNode(("folder", name), name, unread, children=tuple(children)))
    return rows + loose


def _shape(nodes: list[FeedNode]) -> list[tuple[NodeKey, tuple[NodeKey, ...]]]:
    return [(node.key, tuple(child.key for child in node.children)) for node in nodes]


class FeedsModel(QAbstractItemModel):
    def __init__(self, library: Library, parent: QObject | None = None):
        super().__init__(parent)
        self._library = library
        self._rows: list[FeedNode] = []

    # -- loading ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the feeds again; when only counts or errors changed, rows keep their indexes (and the
        view its selection and expansion)."""
        self.apply(self._library.feeds())

    def apply(self, feeds: list[Feed]) -> None:
        """Show `feeds` (read elsewhere, e.g. by a job while a refresh keeps the store busy)."""
        rows = build_nodes(feeds)
        if _shape(rows) == _shape(self._rows):
            self._rows = rows
            self._emit_all_changed()
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def _emit_all_changed(self) -> None:
        if not self._rows:
            return
        last = self.columnCount() - 1
        self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, last))
        for row, node in enumerate(self._rows):
            if node.children:
                parent = self.index(row, 0)
                end = self.index(len(node.children) - 1, last, parent)
                self.dataChanged.emit(self.index(0, 0, parent), end)

    def feed_count(self) -> int:
        return sum(1 for node in self._all_nodes() if node.feed is not None)

    def _all_nodes(self) -> list[FeedNode]:
        return [n for node in self._rows for n in (node, *node.children)]

    # -- lookups ----------------------------------------------------------------------------------
    def node(self, index: Index) -> FeedNode | None:
        if not index.isValid():
            return None
        parent_id = index.internalId()
        if parent_id == 0:
            return self._rows[index.row()]
        return self._rows[parent_id - 1].children[index.row()]

    def index_of(self, key: NodeKey) -> QModelIndex:
        for row, node in enumerate(self._rows):
            if node.key == key:
                return self.index(row, 0)
            for child_row, child in enumerate(node.children):
                if child.key == key:
                    return self.index(child_row, 0, self.index(row, 0))
        return QModelIndex()

    # -- QAbstractItemModel -----------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, id=0)
        return self.createIndex(row, column, id=parent.row() + 1)

    def parent(self, index: Index = ROOT) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, id=0)

    def rowCount(self, parent: Index = ROOT) -> int:
        if not parent.isValid():
            return len(self._rows)
        if parent.column() != 0 or parent.internalId() != 0:
            return 0
        return len(self._rows[parent.row()].children)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 2

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self.node(index)
        if node is None:
            return None
        if index.column() == UNREAD_COLUMN:
            return self._unread_data(node, role)
        return self._name_data(node, role)

    def _name_data(self, node: FeedNode, role: int) -> Any:
        match role:
            case Qt.ItemDataRole.DisplayRole:
                return node.title
            case Qt.ItemDataRole.DecorationRole:
                return warning_icon() if _error(node) else None
            case Qt.ItemDataRole.ToolTipRole:
                return as_rich_text(_tooltip(node))
            case Qt.ItemDataRole.AccessibleTextRole:
                return _spoken(node)
            case Qt.ItemDataRole.FontRole:
                return bold_font() if node.unread else None
        return self._common_data(node, role)

    def _unread_data(self, node: FeedNode, role: int) -> Any:
        match role:
            case Qt.ItemDataRole.DisplayRole:
                return str(node.unread) if node.unread else ""
            case Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            case Qt.ItemDataRole.AccessibleTextRole:
                return f"{node.unread} unread"
            case Qt.ItemDataRole.FontRole:
                return bold_font() if node.unread else None
        return self._common_data(node, role)

    def _common_data(self, node: FeedNode, role: int) -> Any:
        match role:
            case Qt.ItemDataRole.UserRole:
                return node.feed.id if node.feed else None
            case _ if role == FILTER_ROLE:
                return node.story_filter
            case _ if role == KEY_ROLE:
                return node.key
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return ("Feed", "Unread")[section] if 0 <= section < 2 else None


def _error(node: FeedNode) -> str | None:
    return node.feed.error.message if node.feed and node.feed.error else None


def _tooltip(node: FeedNode) -> str:
    lines = [node.title]
    if node.feed is not None:
        lines.append(node.feed.url)
    if _error(node):
        lines.append(f"⚠ The last refresh failed: {_error(node)}")
    return "\n".join(lines)


def _spoken(node: FeedNode) -> str:
    text = f"{node.title}, {node.unread} unread"
    if _error(node):
        text += f", the last refresh failed: {_error(node)}"
    return text
