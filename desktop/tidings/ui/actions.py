"""The window's actions, with their shortcuts, as one small object the menus, toolbar and context menus share."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QApplication, QStyle, QWidget

StandardIcon = QStyle.StandardPixmap
Keys = QKeySequence.StandardKey


@dataclass(frozen=True, slots=True)
class WindowActions:
    add_feed: QAction
    import_opml: QAction
    export_opml: QAction
    settings: QAction
    quit: QAction
    refresh: QAction
    refresh_feed: QAction
    cancel_refresh: QAction
    mark_feed_read: QAction
    undo: QAction
    rename_feed: QAction
    move_feed: QAction
    delete_feed: QAction
    copy_feed_address: QAction
    log_in: QAction
    toggle_read: QAction
    toggle_star: QAction
    open_in_browser: QAction
    copy_link: QAction
    next_story: QAction
    previous_story: QAction
    next_unread: QAction
    toggle_article: QAction
    search: QAction
    zoom_in: QAction
    zoom_out: QAction
    zoom_reset: QAction
    save_story: QAction
    export_stories: QAction
    export_annotations: QAction
    import_annotations: QAction
    add_to_topics: QAction
    new_topic: QAction
    rename_topic: QAction
    topic_color: QAction
    delete_topic: QAction

    def reading(self) -> tuple[QAction, ...]:
        """Single-key actions: they act while focus is in the three panes, never while typing a search."""
        return (
            self.toggle_read, self.toggle_star, self.open_in_browser, self.next_story, self.previous_story,
            self.next_unread, self.toggle_article,
        )  # fmt: skip


def build_actions(parent: QWidget) -> WindowActions:
    icon = QStyle.StandardPixmap
    a = _action
    return WindowActions(
        add_feed=a(parent, "&Add Feed…", "Ctrl+N", "Subscribe to a feed or a website", icon.SP_FileIcon),
        import_opml=a(parent, "&Import OPML…", "Ctrl+O", "Add feeds from an OPML file", icon.SP_DialogOpenButton),
        export_opml=a(parent, "&Export OPML…", "Ctrl+Shift+E", "Save the feed list as OPML", icon.SP_DialogSaveButton),
        settings=a(parent, "&Settings…", "Ctrl+,", "Refresh interval, theme, fonts, images, retention", None),
        quit=a(parent, "&Quit", "Ctrl+Q", "Close Tidings", None),
        refresh=a(parent, "&Refresh All", "F5", "Fetch new stories from every feed", icon.SP_BrowserReload),
        refresh_feed=a(parent, "Refresh &This Feed", "Shift+F5", "Fetch new stories from the selected feed", None),
        cancel_refresh=a(parent, "&Stop Refreshing", "", "Stop the refresh that is running", icon.SP_BrowserStop),
        mark_feed_read=a(parent, "Mark All as Rea&d", "Ctrl+Shift+A", "Mark every story in this list read", None),
        undo=a(parent, "&Undo", "Ctrl+Z", "Undo the last mark all as read", None),
        rename_feed=a(parent, "Re&name Feed…", "F2", "Give the selected feed another name", None),
        move_feed=a(parent, "Mo&ve to Folder…", "", "Put the selected feed in a folder", None),
        delete_feed=a(parent, "&Delete Feed…", "Del", "Unsubscribe from the selected feed", icon.SP_TrashIcon),
        copy_feed_address=a(parent, "Copy Feed &Address", "", "Copy the feed's address", None),
        log_in=a(parent, "&Log In…", "", "Give the feed's login (kept in the system keyring)", None),
        toggle_read=a(parent, "&Mark Read/Unread", "M", "Mark the story read or unread", icon.SP_DialogApplyButton),
        toggle_star=a(parent, "S&tar/Unstar", "S", "Star the story, or take its star away", None),
        open_in_browser=a(parent, "&Open in Browser", "O", "Open the story's web page", None),
        copy_link=a(parent, "&Copy Link", "Ctrl+Shift+C", "Copy the story's address", None),
        next_story=a(parent, "&Next Story", "J", "Go to the next story", icon.SP_ArrowDown),
        previous_story=a(parent, "&Previous Story", "K", "Go to the previous story", icon.SP_ArrowUp),
        next_unread=a(parent, "Next &Unread", "Space", "Scroll the story, then go to the next unread", None),
        toggle_article=a(parent, "Feed Text/&Full Article", "V", "Feed text or the article", None),
        search=a(parent, "&Find…", Keys.Find, "Search every story", icon.SP_FileDialogContentsView),
        zoom_in=a(parent, "Zoom &In", Keys.ZoomIn, "Larger text", None),
        zoom_out=a(parent, "Zoom &Out", Keys.ZoomOut, "Smaller text", None),
        zoom_reset=a(parent, "&Actual Size", "Ctrl+0", "Text at its normal size", None),
        save_story=a(parent, "Sa&ve for Offline", "Ctrl+S", "Keep it offline, for good", icon.SP_DialogSaveButton),
        export_stories=a(parent, "E&xport Stories…", "Ctrl+E", "As HTML, Markdown or EPUB", None),
        export_annotations=a(parent, "Export &Highlights…", "", "As Markdown or W3C JSON-LD", None),
        import_annotations=a(parent, "Import Hi&ghlights…", "", "Highlights and notes from a W3C JSON-LD file", None),
        add_to_topics=a(parent, "Add to &Topics…", "Ctrl+T", "File the story in your topics", None),
        new_topic=a(parent, "&New Topic…", "Ctrl+Shift+T", "Start a topic of your own", None),
        rename_topic=a(parent, "&Rename Topic…", "", "Give the topic another name", None),
        topic_color=a(parent, "Topic &Colour…", "", "Choose the topic's colour", None),
        delete_topic=a(parent, "&Delete Topic…", "", "Delete the topic (its stories stay)", None),
    )  # fmt: skip


def _action(parent: QWidget, text: str, shortcut: str | Keys, tip: str, icon: StandardIcon | None) -> QAction:
    action = QAction(_icon(icon), text, parent)
    keys = QKeySequence(shortcut)
    if not keys.isEmpty():
        action.setShortcut(keys)
        tip = f"{tip} ({keys.toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    return action


def _icon(kind: StandardIcon | None) -> QIcon:
    return QApplication.style().standardIcon(kind) if kind is not None else QIcon()
