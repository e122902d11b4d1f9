"""The window's menu bar and toolbar, built from its actions."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QSizePolicy, QToolBar, QWidget

from .actions import WindowActions


def build_menus(bar: QMenuBar, a: WindowActions) -> dict[str, QMenu]:
    menus = (
        ("&File", (a.add_feed, a.import_opml, a.export_opml, None, a.export_stories, a.export_annotations,
                   a.import_annotations, None, a.settings, None, a.quit)),
        ("&Edit", (a.undo, None, a.search, a.copy_link)),
        ("&View", (a.toggle_article, None, a.zoom_in, a.zoom_out, a.zoom_reset)),
        ("F&eeds", (a.refresh, a.refresh_feed, a.cancel_refresh, None, a.mark_feed_read, None,
                    a.rename_feed, a.move_feed, a.copy_feed_address, a.log_in, a.delete_feed)),
        ("&Stories", (a.next_story, a.previous_story, a.next_unread, None, a.toggle_read, a.toggle_star,
                      a.save_story, a.add_to_topics, None, a.open_in_browser, a.copy_link)),
        ("&Topics", (a.new_topic, a.rename_topic, a.topic_color, a.delete_topic)),
    )  # fmt: skip
    built: dict[str, QMenu] = {}
    for title, actions in menus:
        menu = built[title] = bar.addMenu(title)
        for action in actions:
            menu.addSeparator() if action is None else menu.addAction(action)
    return built


def add_annotation_menus(menus: dict[str, QMenu], actions: Sequence[QAction]) -> QAction:
    """Highlight and note actions under Stories; returns View's checkable "Highlights and Notes"."""
    stories = menus["&Stories"]
    stories.addSeparator()
    for action in actions:
        stories.addAction(action)
    panel = menus["&View"].addAction("&Highlights and Notes")
    panel.setCheckable(True)
    panel.setShortcut(QKeySequence("Ctrl+Shift+H"))
    return panel


def build_toolbar(parent: QWidget, a: WindowActions, search: QWidget) -> QToolBar:
    toolbar = QToolBar("Main", parent)
    toolbar.setObjectName("main-toolbar")
    toolbar.setAccessibleName("Main toolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for action in (a.refresh, a.add_feed, a.toggle_read, a.toggle_star):
        toolbar.addAction(action)
    spacer = QWidget(toolbar)
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    toolbar.addWidget(search)
    return toolbar
