"""Automatic refresh: a timer from the preferences that says when a refresh is due.

The interval counts from the end of the last refresh, manual or automatic: `set_busy(True)` stops the
timer while a refresh runs, `set_busy(False)` starts a whole interval again. So `due` never fires during a
refresh, and a manual refresh puts the next automatic one off.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from .preferences import Preferences

MINUTE_MS = 60_000


class AutoRefresh(QObject):
    """Emits `due` every `refresh_minutes` (never while busy, never when the preference is 0)."""

    due = Signal()

    def __init__(
        self, preferences: Preferences, parent: QObject | None = None, *, minute_ms: int = MINUTE_MS
    ):
        super().__init__(parent)
        self._preferences = preferences
        self._minute_ms = minute_ms  # tests shorten the minute
        self._minutes = preferences.refresh_minutes
        self._busy = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.on_timeout)
        preferences.changed.connect(self.on_preferences_changed)
        self._restart()

    @property
    def interval_minutes(self) -> int:
        return self._minutes

    @property
    def busy(self) -> bool:
        return self._busy

    def is_active(self) -> bool:
        """Whether an automatic refresh is scheduled."""
        return self._timer.isActive()

    def remaining_ms(self) -> int:
        """Milliseconds until `due`, or -1 when nothing is scheduled."""
        return self._timer.remainingTime()

    def set_busy(self, busy: bool) -> None:
        """Call with True when a refresh starts (any refresh) and with False when it has ended."""
        if busy == self._busy:
            return
        self._busy = busy
        self._restart()

    @Slot()
    def on_preferences_changed(self) -> None:
        minutes = self._preferences.refresh_minutes
        if minutes != self._minutes:  # another preference changed: the countdown goes on
            self._minutes = minutes
            self._restart()

    @Slot()
    def on_timeout(self) -> None:
        if not self._busy:
            self.due.emit()

    def _restart(self) -> None:
        self._timer.stop()
        if self._minutes > 0 and not self._busy:
            self._timer.start(self._minutes * self._minute_ms)
