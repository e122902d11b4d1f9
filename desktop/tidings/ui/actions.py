"""The window's actions, with their shortcuts, as one small object the menus and the toolbar share."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QApplication, QStyle, QWidget

StandardIcon = QStyle.StandardPixmap


@dataclass(frozen=True, slots=True)
class WindowActions:
    refresh: QAction
    add_feed: QAction
    import_opml: QAction
    export_opml: QAction
    toggle_read: QAction
    quit: QAction


def build_actions(parent: QWidget) -> WindowActions:
    icon = QStyle.StandardPixmap
    return WindowActions(
        refresh=_action(parent, "&Refresh All", "F5", "Fetch new stories", icon.SP_BrowserReload),
        add_feed=_action(parent, "&Add Feed…", "Ctrl+N", "Subscribe to a feed", icon.SP_FileIcon),
        import_opml=_action(parent, "&Import OPML…", "", "Add feeds from OPML", icon.SP_DialogOpenButton),
        export_opml=_action(parent, "&Export OPML…", "", "Save the feeds as OPML", icon.SP_DialogSaveButton),
        toggle_read=_action(parent, "&Mark Read/Unread", "M", "Toggle read", icon.SP_DialogApplyButton),
        quit=_action(parent, "&Quit", "Ctrl+Q", "Close Tidings", None),
    )


def _action(parent: QWidget, text: str, shortcut: str, tip: str, icon: StandardIcon | None) -> QAction:
    action = QAction(_icon(icon), text, parent)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        tip = f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    return action


def _icon(kind: StandardIcon | None) -> QIcon:
    return QApplication.style().standardIcon(kind) if kind is not None else QIcon()
