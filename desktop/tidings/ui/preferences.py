"""The user's preferences: typed values over QSettings, with defaults and validation.

A settings file is user-editable text (and older versions wrote it too): every stored value is checked, and
one that is missing, of the wrong type or out of range reads as its default. Nothing here raises on a
bad file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QSystemTrayIcon

GROUP = "preferences"
MIN_REFRESH_MINUTES = 5  # a feed's own Cache-Control and back-off still decide when it is fetched
MAX_REFRESH_MINUTES = 24 * 60
FONT_POINTS = (6, 48)
ZOOM_PERCENT = (50, 300)
MAX_RETENTION_DAYS = 10 * 365
MAX_FAMILY = 200
SERIF = "serif"
SANS = "sans"

Check = Callable[[object], Any]


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class PreferenceValues:
    """Every preference at once. `reader_family` is "serif", "sans" or a font family's name."""

    refresh_minutes: int = 30  # 0: no automatic refresh
    theme: Theme = Theme.SYSTEM
    reader_family: str = SERIF
    reader_points: int = 12
    reader_zoom: int = 100  # percent
    load_images: bool = True
    # 0: keep forever. Deleting is irreversible and stories are small (text, no images): nothing goes
    # until the user chooses a number of days.
    retention_days: int = 0
    notify_new: bool = False  # a notification per refresh is noise unless asked for
    show_tray: bool = True  # read as False when the desktop has no system tray

    @property
    def reader_size(self) -> float:
        """The reader's font size in points, zoom applied."""
        return self.reader_points * self.reader_zoom / 100


class Preferences(QObject):
    """Reads and writes PreferenceValues in a QSettings; `changed` is emitted after a save that changed them."""

    changed = Signal()

    def __init__(
        self, settings: QSettings, *, tray_available: bool | None = None, parent: QObject | None = None
    ):
        super().__init__(parent)
        self._settings = settings
        if tray_available is None:
            tray_available = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray_available = tray_available
        self.defaults = PreferenceValues(show_tray=tray_available)

    def values(self) -> PreferenceValues:
        """The stored preferences; each missing or bad one is its default."""
        d = self.defaults
        return PreferenceValues(
            refresh_minutes=self._read("refresh_minutes", d.refresh_minutes, _refresh_minutes),
            theme=self._read("theme", d.theme, _theme),
            reader_family=self._read("reader_family", d.reader_family, _family),
            reader_points=self._read("reader_points", d.reader_points, _ranged(*FONT_POINTS)),
            reader_zoom=self._read("reader_zoom", d.reader_zoom, _ranged(*ZOOM_PERCENT)),
            load_images=self._read("load_images", d.load_images, _bool),
            retention_days=self._read("retention_days", d.retention_days, _ranged(0, MAX_RETENTION_DAYS)),
            notify_new=self._read("notify_new", d.notify_new, _bool),
            show_tray=self._read("show_tray", d.show_tray, _bool) and self.tray_available,
        )

    def save(self, values: PreferenceValues) -> None:
        """Store `values` and emit `changed` when something differs (reading checks them again)."""
        before = self.values()
        for name, value in dataclasses.asdict(values).items():
            if name == "show_tray" and not self.tray_available:
                continue  # read as False here; the choice made where there is a tray stays
            self._settings.setValue(f"{GROUP}/{name}", str(value) if isinstance(value, Theme) else value)
        self._settings.sync()
        if self.values() != before:
            self.changed.emit()

    def update(self, **changes: Any) -> None:
        """Save the stored values with `changes` applied: `preferences.update(theme=Theme.DARK)`."""
        self.save(dataclasses.replace(self.values(), **changes))

    # Shortcuts for the values read most often.
    @property
    def refresh_minutes(self) -> int:
        return self.values().refresh_minutes

    @property
    def theme(self) -> Theme:
        return self.values().theme

    @property
    def retention_days(self) -> int:
        return self.values().retention_days

    @property
    def notify_new(self) -> bool:
        return self.values().notify_new

    @property
    def show_tray(self) -> bool:
        return self.values().show_tray

    def _read(self, name: str, default: Any, check: Check) -> Any:
        key = f"{GROUP}/{name}"
        # WORKAROUND: value() of a missing key is an invalid QVariant, which PySide6 6.12.0 turns into an
        # unreferenced None (see pyproject.toml): ask contains() first.
        if not self._settings.contains(key):
            return default
        try:
            value = check(self._settings.value(key))
        except (TypeError, ValueError, OverflowError):
            return default
        return default if value is None else value


# -- validation: each returns the clean value, or None (or raises ValueError) for a bad one ---------------
def _int(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number here")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    raise ValueError(f"not an integer: {value!r}")


def _ranged(low: int, high: int) -> Check:
    def check(value: object) -> int | None:
        number = _int(value)
        return number if low <= number <= high else None

    return check


def _refresh_minutes(value: object) -> int | None:
    minutes = _int(value)
    if minutes == 0:
        return 0
    return minutes if MIN_REFRESH_MINUTES <= minutes <= MAX_REFRESH_MINUTES else None


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0 if value in (0, 1) else None
    if isinstance(value, str):
        return {"true": True, "1": True, "false": False, "0": False}.get(value.strip().lower())
    return None


def _theme(value: object) -> Theme | None:
    return Theme(value.strip().lower()) if isinstance(value, str) else None


def _family(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    family = value.strip()
    if not family or len(family) > MAX_FAMILY or not family.isprintable():
        return None
    return family


def clamp_refresh_minutes(minutes: int) -> int:
    """What a typed interval becomes: 0 stays off, anything else at least MIN_REFRESH_MINUTES."""
    if minutes <= 0:
        return 0
    return min(max(minutes, MIN_REFRESH_MINUTES), MAX_REFRESH_MINUTES)
