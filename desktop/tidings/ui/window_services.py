"""What the preferences drive around the window: theme and reader typography, automatic refresh, the tray
icon and notifications, images, and retention after each refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QApplication

from tidings.core.library import Library
from tidings.core.models import RefreshReport
from tidings.core.storage.stories import StoryFilter
from tidings.jobs.runner import CANCEL, JobRunner

from .autorefresh import AutoRefresh
from .preferences import Preferences
from .reader_view import Typography
from .settings_dialog import SettingsDialog
from .text import plural
from .theme import apply_theme, reader_colors
from .tray import TrayIcon

if TYPE_CHECKING:
    from .main_window import MainWindow


class WindowServices(QObject):
    def __init__(self, window: MainWindow, preferences: Preferences, library: Library, runner: JobRunner):
        super().__init__(window)
        self._window = window
        self._library = library
        self._runner = runner
        self.preferences = preferences
        self.auto_refresh = AutoRefresh(preferences, self)
        self.tray = TrayIcon(preferences, window)
        self.dialog: SettingsDialog | None = None
        refresh = window.refresh_control
        self.auto_refresh.due.connect(refresh.on_refresh_all)
        self.tray.refresh_requested.connect(refresh.on_refresh_all)
        self.tray.quit_requested.connect(window.close)
        refresh.started.connect(lambda: self.auto_refresh.set_busy(True))
        refresh.finished.connect(self.on_refreshed)
        window.feeds_model.modelReset.connect(self.on_counts_changed)
        window.feeds_model.dataChanged.connect(self.on_counts_changed)
        window.window_actions.settings.triggered.connect(self.on_settings_triggered)
        window.reader.zoomed.connect(self.on_zoomed)
        preferences.changed.connect(self.apply)
        self.apply()

    @Slot()
    def apply(self) -> None:
        values = self.preferences.values()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, values.theme)
        colors = reader_colors(values.theme)
        self._window.reader.set_typography(
            Typography(
                family=values.reader_family, size_pt=values.reader_points,
                **{key: colors[key] for key in ("text", "muted", "link", "rule")},
            ),
            zoom=values.reader_zoom,
        )  # fmt: skip
        self._window.images.load_images = values.load_images

    @Slot()
    def on_settings_triggered(self) -> None:
        self.dialog = SettingsDialog(self.preferences, self._window)
        self.dialog.open()

    def on_zoomed(self, percent: int) -> None:
        if percent != self.preferences.values().reader_zoom:
            self.preferences.update(reader_zoom=percent)

    def on_counts_changed(self, *_args: object) -> None:
        self.tray.set_unread(sum(feed.unread for feed in self._window.feeds_model.feeds()))

    def on_refreshed(self, report: RefreshReport | None) -> None:
        self.auto_refresh.set_busy(False)
        if report is None:
            return
        if report.new:
            newest = [s.title for s, _key in self._library.stories(StoryFilter(unread=True), limit=3)]
            self.tray.notify_new(report.new, newest)
        days = self.preferences.retention_days
        if days:
            self._runner.submit(self._library.purge_old, days, cancel=CANCEL, on_done=self.on_purged)

    def on_purged(self, count: int) -> None:
        if count:
            self._window.reload_stories()
            self._window.reload_feeds_later()
            message = (
                f"Deleted {plural(count, 'old read story', 'old read stories')} (see Settings, Retention)."
            )
            self._window.statusBar().showMessage(message, 6000)
