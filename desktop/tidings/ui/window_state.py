"""What the window remembers between sessions (QSettings): its geometry, the panes' sizes, the selected view
and story. Bad or stale values are ignored, never trusted."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from .feeds_model import NodeKey

NUMBERED = ("feed", "topic")  # views whose key is a number


class WindowState:
    def __init__(self, settings: QSettings | None):
        self._settings = settings

    def restore_geometry(self, window: QMainWindow, splitter: QSplitter) -> None:
        if self._settings is None:
            return
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            window.restoreGeometry(geometry)
        sizes = self._settings.value("window/splitter")
        if isinstance(sizes, QByteArray):
            splitter.restoreState(sizes)

    def view(self) -> NodeKey | None:
        """The view selected when the window last closed (a feed, a folder, a topic, Unread…)."""
        if self._settings is None:
            return None
        kind, value = self._settings.value("window/view-kind"), self._settings.value("window/view-value")
        if not isinstance(kind, str):
            return None
        if kind in NUMBERED:
            return (kind, int(value)) if str(value).isdigit() else None
        return (kind, value if isinstance(value, str) and value else None)

    def story(self) -> int | None:
        value = self._settings.value("window/story") if self._settings is not None else None
        return int(str(value)) if str(value).isdigit() else None

    def save(self, window: QMainWindow, splitter: QSplitter, view: NodeKey | None, story: int | None) -> None:
        if self._settings is None:
            return
        self._settings.setValue("window/geometry", window.saveGeometry())
        self._settings.setValue("window/splitter", splitter.saveState())
        if view is not None:
            self._settings.setValue("window/view-kind", view[0])
            self._settings.setValue("window/view-value", "" if view[1] is None else str(view[1]))
        self._settings.setValue("window/story", story or "")
