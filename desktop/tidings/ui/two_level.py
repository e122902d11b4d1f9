"""The index scheme the two-level item models share (the feed tree, the story list with its groups): an index
carries no pointer; a top-level row has internal id 0, a child the row of its parent plus one."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex

Index = QModelIndex | QPersistentModelIndex


def parent_of(model: QAbstractItemModel, index: Index) -> QModelIndex:
    """The parent of `index` under this scheme: the root for a top-level row."""
    if not index.isValid() or index.internalId() == 0:
        return QModelIndex()
    return model.createIndex(index.internalId() - 1, 0, id=0)
