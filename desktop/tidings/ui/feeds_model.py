"""The feed list: "All stories", "Unread" and "Starred", then folders with their feeds, then loose feeds.

A two-level tree with two columns (name, unread count). Indexes carry no pointers: a top-level index has
internal id 0, a child has the row of its folder plus one.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon

from tidings.core.library import Library
from tidings.core.models import Feed
from tidings.core.storage.collection import Topic
from tidings.core.storage.stories import StoryFilter

from .stories_model import STORIES_MIME
from .style import bold_font, feed_icon, node_icon, warning_icon
from .text import as_rich_text
from .two_level import parent_of

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()
NodeKey = tuple[str, str | int | None]  # ("all", None), ("unread", None), ("folder", name), ("feed", id), …

FEED_ID_ROLE = Qt.ItemDataRole.UserRole
FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2

NAME_COLUMN, UNREAD_COLUMN = 0, 1
ALL_STORIES = "All stories"
COUNTED_STORIES = ("starred", "saved")
# Computed once (see stories_model.STORY_FLAGS): the flags of every painted cell are asked for.
ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
TOPIC_FLAGS = ROW_FLAGS | Qt.ItemFlag.ItemIsDropEnabled


@dataclass(frozen=True, slots=True)
class FeedNode:
    """A row of the list: "All stories", a folder (with children) or a feed."""

    key: NodeKey
    title: str
    unread: int
    feed: Feed | None = None
    children: tuple[FeedNode, ...] = field(default_factory=tuple)
    topic: Topic | None = None

    @property
    def story_filter(self) -> StoryFilter:
        match self.key[0]:
            case "all":
                return StoryFilter()
            case "unread":
                return StoryFilter(unread=True)
            case "starred":
                return StoryFilter(starred=True)
            case "saved":
                return StoryFilter(saved=True)
            case "topic":
                return StoryFilter(topic_id=int(self.key[1] or 0))
            case "topics":
                return StoryFilter(filed=True)
        if self.feed is not None:
            return StoryFilter(feed_ids=(self.feed.id,))
        return StoryFilter(feed_ids=tuple(child.feed.id for child in self.children if child.feed))

    @property
    def counts_stories(self) -> bool:
        """Starred and Saved count their stories, not unread ones."""
        return self.key[0] in COUNTED_STORIES


@dataclass(frozen=True, slots=True)
class Tree:
    """What the list shows, read in one go (by a job while a refresh writes)."""

    feeds: list[Feed]
    starred: int = 0
    saved: int = 0
    topics: tuple[Topic, ...] = ()


def load_tree(library: Library) -> Tree:
    topics = tuple(library.collection.topics())
    return Tree(
        library.feeds(), library.count(StoryFilter(starred=True)), library.collection.saved_count(), topics
    )


def build_nodes(
    feeds: list[Feed], starred: int = 0, saved: int = 0, topics: tuple[Topic, ...] = ()
) -> list[FeedNode]:
    """The rows for `feeds` (in the store's order): the smart views, topics, folders, then loose feeds.

    Starred and Saved count their stories; every other row counts unread ones."""
    folders: dict[str, list[FeedNode]] = {}
    loose: list[FeedNode] = []
    for feed in feeds:
        node = FeedNode(("feed", feed.id), feed.title, feed.unread, feed)
        if feed.folder:
            folders.setdefault(feed.folder, []).append(node)
        else:
            loose.append(node)
    unread = sum(f.unread for f in feeds)
    rows = [
        FeedNode(("all", None), ALL_STORIES, unread),
        FeedNode(("unread", None), "Unread", unread),
        FeedNode(("starred", None), "Starred", starred),
        FeedNode(("saved", None), "Saved", saved),
        FeedNode(
            ("topics", None),
            "Topics",
            sum(t.unread for t in topics),
            children=tuple(FeedNode(("topic", t.id), t.name, t.unread, topic=t) for t in topics),
        ),
    ]
    for name, children in folders.items():
        unread = sum(c.unread for c in children)
        rows.append(FeedNode(("folder", name), name, unread, children=tuple(children)))
    return rows + loose


def _shape(nodes: list[FeedNode]) -> list[tuple[NodeKey, tuple[NodeKey, ...]]]:
    return [(node.key, tuple(child.key for child in node.children)) for node in nodes]


class FeedsModel(QAbstractItemModel):
    stories_dropped = Signal(int, list)  # topic id, story ids: stories dragged onto a topic

    def __init__(self, library: Library, parent: QObject | None = None):
        super().__init__(parent)
        self._library = library
        self._rows: list[FeedNode] = []
        self._icons: dict[int, QIcon] = {}

    # -- loading ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the feeds again; when only counts or errors changed, rows keep their indexes (and the
        view its selection and expansion)."""
        self.apply(load_tree(self._library))

    def apply(self, tree: Tree) -> None:
        """Show `tree` (read elsewhere, e.g. by a job while a refresh keeps the store busy)."""
        rows = build_nodes(tree.feeds, tree.starred, tree.saved, tree.topics)
        if _shape(rows) == _shape(self._rows):
            old, self._rows = self._rows, rows
            self._emit_changed(old)
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def _emit_changed(self, old: list[FeedNode]) -> None:
        """dataChanged for the rows that differ (a story read: its feed, its folder, All, Unread), not for
        every row: that repainted the whole list and cost ~25 ms with 500 feeds."""
        last = self.columnCount() - 1
        for row, (before, after) in enumerate(zip(old, self._rows, strict=True)):
            if dataclasses.replace(before, children=()) != dataclasses.replace(after, children=()):
                self.dataChanged.emit(self.index(row, 0), self.index(row, last))
            pairs = enumerate(zip(before.children, after.children, strict=True))
            changed = [child for child, (b, a) in pairs if b != a]
            if changed:
                parent = self.index(row, 0)
                self.dataChanged.emit(
                    self.index(changed[0], 0, parent), self.index(changed[-1], last, parent)
                )

    def set_icons(self, icons: dict[int, QIcon]) -> None:
        """Feed icons by feed id (loaded from the image store by a job)."""
        changed = set(icons) | set(self._icons)
        self._icons = icons
        self._emit_icons_changed(changed)

    def _emit_icons_changed(self, feed_ids: set[int]) -> None:
        """dataChanged for the names of those feeds only (none at all for a library without icons: every
        row changed cost ~40 ms at start with 500 feeds)."""
        for row, node in enumerate(self._rows):
            if node.feed is not None and node.feed.id in feed_ids:
                self.dataChanged.emit(self.index(row, NAME_COLUMN), self.index(row, NAME_COLUMN))
            hits = [n for n, child in enumerate(node.children) if child.feed and child.feed.id in feed_ids]
            if hits:
                parent = self.index(row, 0)
                self.dataChanged.emit(
                    self.index(hits[0], NAME_COLUMN, parent), self.index(hits[-1], NAME_COLUMN, parent)
                )

    def feeds(self) -> list[Feed]:
        return [node.feed for node in self._all_nodes() if node.feed is not None]

    def topics(self) -> list[Topic]:
        return [n.topic for n in self._all_nodes() if n.topic is not None]

    def folder_names(self) -> list[str]:
        return [node.title for node in self._rows if node.key[0] == "folder"]

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
        return parent_of(self, index)

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
        node = self.node(index)
        return TOPIC_FLAGS if node is not None and node.topic else ROW_FLAGS

    # -- dropping stories on a topic --------------------------------------------------------------------
    def mimeTypes(self) -> list[str]:
        return [STORIES_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        node = self.node(parent)
        return node is not None and node.topic is not None and data.hasFormat(STORIES_MIME)

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        node = self.node(parent)
        if node is None or node.topic is None or not data.hasFormat(STORIES_MIME):
            return False
        try:
            ids = [int(i) for i in json.loads(bytes(data.data(STORIES_MIME).data()).decode())]
        except (ValueError, TypeError):
            return False
        if ids:
            self.stories_dropped.emit(node.topic.id, ids)
        return False  # nothing moves in this model: the stories are filed by the window

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
                return self._decoration(node)
            case Qt.ItemDataRole.ToolTipRole:
                return as_rich_text(_tooltip(node))
            case Qt.ItemDataRole.AccessibleTextRole:
                return _spoken(node)
            case Qt.ItemDataRole.FontRole:
                return bold_font() if node.unread and not node.counts_stories else None
        return self._common_data(node, role)

    def _decoration(self, node: FeedNode) -> QIcon | None:
        if _error(node):
            return warning_icon()
        if node.feed is not None:
            return self._icons.get(node.feed.id) or feed_icon()
        return node_icon(node.key[0])

    def _unread_data(self, node: FeedNode, role: int) -> Any:
        match role:
            case Qt.ItemDataRole.DisplayRole:
                return str(node.unread) if node.unread else ""
            case Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            case Qt.ItemDataRole.AccessibleTextRole:
                return f"{node.unread} {node.key[0]}" if node.counts_stories else f"{node.unread} unread"
            case Qt.ItemDataRole.FontRole:
                return bold_font() if node.unread and not node.counts_stories else None
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
    text = f"{node.title}, {node.unread} {node.key[0] if node.counts_stories else 'unread'}"
    if _error(node):
        text += f", the last refresh failed: {_error(node)}"
    return text
