"""Fonts and icons shared by the item models."""

from __future__ import annotations

import functools

from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QStyle

Pixmap = QStyle.StandardPixmap
NODE_ICONS = {
    "all": Pixmap.SP_FileDialogDetailedView,
    "unread": Pixmap.SP_FileDialogInfoView,
    "starred": Pixmap.SP_DialogYesButton,
    "saved": Pixmap.SP_DialogSaveButton,
    "topics": Pixmap.SP_FileDialogListView,
    "topic": Pixmap.SP_FileDialogListView,
    "folder": Pixmap.SP_DirIcon,
}


@functools.cache
def bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def warning_icon() -> QIcon:
    return QApplication.style().standardIcon(Pixmap.SP_MessageBoxWarning)


@functools.cache
def feed_icon() -> QIcon:
    return QApplication.style().standardIcon(Pixmap.SP_FileIcon)


def node_icon(kind: str) -> QIcon | None:
    pixmap = NODE_ICONS.get(kind)
    return QApplication.style().standardIcon(pixmap) if pixmap is not None else None
