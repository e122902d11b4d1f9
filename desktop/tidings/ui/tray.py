"""The system tray icon: the unread count as a badge and in the tooltip, a small menu, and notifications
of new stories when the user asked for them.

Without a system tray (many Wayland desktops, the offscreen platform) no QSystemTrayIcon is made; the object
still takes every call, so the window never checks.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence

from PySide6.QtCore import QObject, QRect, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from tidings import APP_NAME

from .preferences import Preferences
from .text import plural

BADGE_SIZES = (16, 22, 24, 32, 48, 64)
NOTIFY_MS = 8000
NOTIFY_TITLES = 3
TITLE_CHARS = 90


def badge_text(count: int) -> str:
    """What the badge says: nothing for 0, the count up to 99, then "99+"."""
    if count <= 0:
        return ""
    return str(count) if count < 100 else "99+"


def tooltip_text(count: int) -> str:
    if count <= 0:
        return f"{APP_NAME}: no unread stories"
    return f"{APP_NAME}: {plural(count, 'unread story', 'unread stories')}"


def badge_pixmap(count: int, size: int = 64, base: QIcon | None = None) -> QPixmap:
    """The tray picture: `base` (the application icon) with the unread count in a red disc, bottom right."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if base is not None and not base.isNull():
        base.paint(painter, QRect(0, 0, size, size))
    else:
        _paint_fallback(painter, size)
    text = badge_text(count)
    if text:
        _paint_badge(painter, size, text)
    painter.end()
    return pixmap


def badge_icon(count: int, base: QIcon | None = None) -> QIcon:
    icon = QIcon()
    for size in BADGE_SIZES:
        icon.addPixmap(badge_pixmap(count, size, base))
    return icon


def _paint_fallback(painter: QPainter, size: int) -> None:
    """A plain blue tile with a "T", for when the application has no icon."""
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#2b7bc4"))
    painter.drawRoundedRect(
        QRectF(size * 0.06, size * 0.06, size * 0.88, size * 0.88), size * 0.18, size * 0.18
    )
    painter.setPen(QColor("#ffffff"))
    painter.setFont(_pixel_font(size * 0.6))
    painter.drawText(QRect(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, "T")


def _paint_badge(painter: QPainter, size: int, text: str) -> None:
    height = size * 0.56
    width = max(height, height * (0.45 + 0.3 * len(text)))
    disc = QRectF(size - width, size - height, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#d93025"))
    painter.drawRoundedRect(disc, height / 2, height / 2)
    painter.setPen(QColor("#ffffff"))
    painter.setFont(_pixel_font(height * (0.72 if len(text) < 3 else 0.56)))
    painter.drawText(disc, Qt.AlignmentFlag.AlignCenter, text)


def _pixel_font(pixels: float) -> QFont:
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(6, round(pixels)))
    return font


def notification_text(count: int, titles: Sequence[str]) -> tuple[str, str]:
    """The title and body of a notification of `count` new stories, naming the first few `titles`.

    Feed titles are untrusted: freedesktop notification servers and Qt's own balloon render a subset of
    HTML, so there they are escaped; Windows and macOS show the text as it is."""
    heading = plural(count, "new story", "new stories")
    lines = [_shorten(title) for title in titles[:NOTIFY_TITLES] if title.strip()]
    if count > len(lines) and lines:
        lines.append(f"and {count - len(lines)} more")
    body = "\n".join(lines)
    if not sys.platform.startswith(("win", "darwin")):
        body = html.escape(body, quote=False)
    return f"{APP_NAME}: {heading}", body


def _shorten(title: str) -> str:
    line = " ".join(title.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


class TrayIcon(QObject):
    """The tray icon of `window`. A left click or "Show/Hide" toggles the window; the window connects
    `refresh_requested` and `quit_requested` to its actions."""

    refresh_requested = Signal()
    quit_requested = Signal()

    def __init__(
        self,
        preferences: Preferences,
        window: QWidget,
        *,
        icon: QIcon | None = None,
        parent: QObject | None = None,
    ):
        super().__init__(parent if parent is not None else window)
        self._preferences = preferences
        self._window = window
        self._base = icon if icon is not None else QApplication.windowIcon()
        self._unread = 0
        self._tray: QSystemTrayIcon | None = None
        self._menu: QMenu | None = None
        self.toggle_action = QAction("&Hide Tidings", self)
        self.refresh_action = QAction("&Refresh All", self)
        self.quit_action = QAction("&Quit", self)
        self.toggle_action.triggered.connect(self.toggle_window)
        self.refresh_action.triggered.connect(self.refresh_requested)
        self.quit_action.triggered.connect(self.quit_requested)
        preferences.changed.connect(self.on_preferences_changed)
        self.on_preferences_changed()

    @property
    def visible(self) -> bool:
        return self._tray is not None and self._tray.isVisible()

    @property
    def unread(self) -> int:
        return self._unread

    def set_unread(self, count: int) -> None:
        """Show `count` unread stories in the badge and the tooltip."""
        count = max(0, count)
        if count == self._unread and self._tray is not None:
            return
        self._unread = count
        if self._tray is not None:
            self._tray.setIcon(badge_icon(count, self._base))
            self._tray.setToolTip(tooltip_text(count))

    def notify_new(self, count: int, titles: Sequence[str] = ()) -> bool:
        """Announce `count` new stories if the user wants notifications; returns whether one was shown."""
        if count <= 0 or not self._preferences.notify_new or not self.visible or self._tray is None:
            return False
        if not QSystemTrayIcon.supportsMessages():
            return False
        title, body = notification_text(count, titles)
        self._tray.showMessage(title, body, self._base if not self._base.isNull() else QIcon(), NOTIFY_MS)
        return True

    @Slot()
    def toggle_window(self) -> None:
        window = self._window
        if window.isVisible() and not window.isMinimized():
            window.hide()
            return
        if window.isMinimized():
            window.showNormal()
        else:
            window.show()
        window.raise_()
        window.activateWindow()

    @Slot()
    def on_preferences_changed(self) -> None:
        wanted = self._preferences.show_tray and QSystemTrayIcon.isSystemTrayAvailable()
        if wanted and self._tray is None:
            self._tray = self._make_tray()
            self._tray.show()
        elif not wanted and self._tray is not None:
            self._tray.hide()
            self._tray.deleteLater()
            self._tray = None
            if self._menu is not None:
                self._menu.deleteLater()
                self._menu = None
            if not self._window.isVisible():  # nothing else could bring it back
                self._window.show()

    def _make_tray(self) -> QSystemTrayIcon:
        tray = QSystemTrayIcon(badge_icon(self._unread, self._base), self)
        tray.setToolTip(tooltip_text(self._unread))
        menu = QMenu(self._window)
        menu.addAction(self.toggle_action)
        menu.addAction(self.refresh_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        menu.aboutToShow.connect(self.on_menu_about_to_show)
        tray.setContextMenu(menu)
        tray.activated.connect(self.on_activated)
        self._menu = menu
        return tray

    @Slot()
    def on_menu_about_to_show(self) -> None:
        shown = self._window.isVisible() and not self._window.isMinimized()
        self.toggle_action.setText("&Hide Tidings" if shown else "&Show Tidings")

    @Slot(QSystemTrayIcon.ActivationReason)
    def on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()
