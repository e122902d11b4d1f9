"""The Settings dialog: refresh, look, reader, storage and tray preferences, saved on OK or Apply."""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFontComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .preferences import (
    FONT_POINTS,
    MAX_REFRESH_MINUTES,
    MAX_RETENTION_DAYS,
    SANS,
    SERIF,
    ZOOM_PERCENT,
    Preferences,
    PreferenceValues,
    Theme,
    clamp_refresh_minutes,
)

OTHER_FONT = "other"
THEMES = ((Theme.SYSTEM, "Same as the system"), (Theme.LIGHT, "Light"), (Theme.DARK, "Dark"))
FONT_CHOICES = ((SERIF, "Serif"), (SANS, "Sans serif"), (OTHER_FONT, "Another font"))
RETENTION_HINT = (
    "Read stories older than this are deleted after a refresh. Unread, starred, saved and annotated "
    "stories are always kept."
)
NO_TRAY_HINT = "This desktop has no system tray, so there is no tray icon and no notifications."


class SettingsDialog(QDialog):
    """Edits `preferences`; OK and Apply save them, then emit `preferences_changed` when something changed."""

    preferences_changed = Signal(object)  # the saved PreferenceValues

    def __init__(self, preferences: Preferences, parent: QWidget | None = None):
        super().__init__(parent)
        self._preferences = preferences
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self._build()
        self.set_values(preferences.values())

    # -- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self._updates_group())
        layout.addWidget(self._reader_group())
        layout.addWidget(self._storage_group())
        layout.addWidget(self._tray_group())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply,
            self,
        )
        for button in self.buttons.buttons():
            button.setAccessibleName(button.text().replace("&", ""))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.clicked.connect(self.on_button_clicked)
        layout.addWidget(self.buttons)
        self._set_tab_order()
        self._watch_edits()
        self._fit(layout)

    def _fit(self, layout: QVBoxLayout) -> None:
        """Open tall enough for the wrapped hints: a top-level size ignores height-for-width, and the
        dialog would squeeze the other rows to make room for them."""
        width = max(self.sizeHint().width(), self.fontMetrics().averageCharWidth() * 64)
        self.resize(width, max(self.sizeHint().height(), layout.totalHeightForWidth(width)))

    def _updates_group(self) -> QGroupBox:
        group, form = _group("Updates and appearance", self)
        self.refresh_spin = _spin(group, "Refresh every", 0, MAX_REFRESH_MINUTES, " minutes", "Never")
        self.refresh_spin.setSingleStep(5)
        self.refresh_spin.setToolTip("Refresh in the background; a feed's server can still ask for less.")
        form.addRow("&Refresh every:", self.refresh_spin)
        self.theme_combo = _combo(group, "Theme", THEMES)
        form.addRow("&Theme:", self.theme_combo)
        return group

    def _reader_group(self) -> QGroupBox:
        group, form = _group("Reading", self)
        self.font_choice = _combo(group, "Reader font", FONT_CHOICES)
        form.addRow("&Font:", self.font_choice)
        self.font_family = QFontComboBox(group)
        self.font_family.setAccessibleName("Font family")
        form.addRow("Font &family:", self.font_family)
        self.font_size = _spin(group, "Font size", *FONT_POINTS, " pt")
        form.addRow("Font &size:", self.font_size)
        self.zoom_spin = _spin(group, "Zoom", *ZOOM_PERCENT, " %")
        self.zoom_spin.setSingleStep(10)
        form.addRow("&Zoom:", self.zoom_spin)
        self.images_check = _check(group, "Download and show images", "Images are kept on this computer.")
        form.addRow(self.images_check)
        self.font_choice.currentIndexChanged.connect(self.on_font_choice_changed)
        return group

    def _storage_group(self) -> QGroupBox:
        group, form = _group("Storage", self)
        self.retention_spin = _spin(group, "Keep read stories for", 0, MAX_RETENTION_DAYS, " days", "Forever")
        self.retention_spin.setSingleStep(7)
        self.retention_spin.setAccessibleDescription(RETENTION_HINT)
        form.addRow("&Keep read stories for:", self.retention_spin)
        form.addRow(_hint(group, RETENTION_HINT))
        return group

    def _tray_group(self) -> QGroupBox:
        group, form = _group("Tray and notifications", self)
        self.tray_check = _check(group, "Show an icon with the unread count in the system tray")
        form.addRow(self.tray_check)
        self.notify_check = _check(group, "Notify me of new stories after a refresh")
        form.addRow(self.notify_check)
        available = self._preferences.tray_available
        self.tray_check.setEnabled(available)
        if not available:
            form.addRow(_hint(group, NO_TRAY_HINT))
            self.tray_check.setAccessibleDescription(NO_TRAY_HINT)
        self.tray_check.toggled.connect(self.on_tray_toggled)
        return group

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [
            self.refresh_spin,
            self.theme_combo,
            self.font_choice,
            self.font_family,
            self.font_size,
            self.zoom_spin,
            self.images_check,
            self.retention_spin,
            self.tray_check,
            self.notify_check,
            *self.buttons.buttons(),
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _watch_edits(self) -> None:
        """Apply is enabled while the controls differ from what is saved."""
        for spin in (self.refresh_spin, self.font_size, self.zoom_spin, self.retention_spin):
            spin.valueChanged.connect(self.on_edited)
        for combo in (self.theme_combo, self.font_choice):
            combo.currentIndexChanged.connect(self.on_edited)
        for check in (self.images_check, self.tray_check, self.notify_check):
            check.toggled.connect(self.on_edited)
        self.font_family.currentFontChanged.connect(self.on_edited)

    # -- values -----------------------------------------------------------------------------------
    def set_values(self, values: PreferenceValues) -> None:
        """Show `values` in the controls."""
        self.refresh_spin.setValue(values.refresh_minutes)
        _select(self.theme_combo, values.theme)
        family = values.reader_family
        _select(self.font_choice, family if family in (SERIF, SANS) else OTHER_FONT)
        if family not in (SERIF, SANS):
            self.font_family.setCurrentFont(QFont(family))
        self.font_size.setValue(values.reader_points)
        self.zoom_spin.setValue(values.reader_zoom)
        self.images_check.setChecked(values.load_images)
        self.retention_spin.setValue(values.retention_days)
        self.tray_check.setChecked(values.show_tray)
        self.notify_check.setChecked(values.notify_new)
        self.on_font_choice_changed()
        self.on_tray_toggled(values.show_tray)
        self.on_edited()

    def values(self) -> PreferenceValues:
        """The values the controls show now."""
        choice = self.font_choice.currentData()
        family = self.font_family.currentFont().family() if choice == OTHER_FONT else str(choice)
        return PreferenceValues(
            refresh_minutes=clamp_refresh_minutes(self.refresh_spin.value()),
            theme=Theme(self.theme_combo.currentData()),
            reader_family=family or SERIF,
            reader_points=self.font_size.value(),
            reader_zoom=self.zoom_spin.value(),
            load_images=self.images_check.isChecked(),
            retention_days=self.retention_spin.value(),
            notify_new=self.notify_check.isChecked(),
            show_tray=self.tray_check.isChecked(),
        )

    def save(self) -> None:
        """Store what the controls show; emits `preferences_changed` when that changes the preferences."""
        before = self._preferences.values()
        self._preferences.save(self.values())
        saved = self._preferences.values()
        self.set_values(saved)  # an interval under the minimum shows as saved
        if saved != before:
            self.preferences_changed.emit(saved)

    # -- slots ------------------------------------------------------------------------------------
    def accept(self) -> None:
        self.save()
        super().accept()

    @Slot(QAbstractButton)
    def on_button_clicked(self, button: QAbstractButton) -> None:
        if self.buttons.buttonRole(button) == QDialogButtonBox.ButtonRole.ApplyRole:
            self.save()

    @Slot()
    def on_edited(self) -> None:
        apply = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        apply.setEnabled(self.values() != self._preferences.values())

    @Slot()
    def on_font_choice_changed(self) -> None:
        self.font_family.setEnabled(self.font_choice.currentData() == OTHER_FONT)

    @Slot(bool)
    def on_tray_toggled(self, checked: bool) -> None:
        # notifications are shown by the tray icon: none without it
        self.notify_check.setEnabled(checked and self._preferences.tray_available)


def _group(title: str, parent: QWidget) -> tuple[QGroupBox, QFormLayout]:
    group = QGroupBox(title, parent)
    group.setAccessibleName(title)
    return group, QFormLayout(group)


def _spin(parent: QWidget, name: str, low: int, high: int, suffix: str, special: str = "") -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    if special:
        spin.setSpecialValueText(special)  # shown for the minimum, 0
    spin.setAccessibleName(name)
    return spin


def _combo(parent: QWidget, name: str, items: tuple[tuple[str, str], ...]) -> QComboBox:
    combo = QComboBox(parent)
    for value, text in items:
        combo.addItem(text, str(value))
    combo.setAccessibleName(name)
    return combo


def _check(parent: QWidget, text: str, tip: str = "") -> QCheckBox:
    check = QCheckBox(text, parent)
    check.setAccessibleName(text)
    if tip:
        check.setToolTip(tip)
    return check


def _hint(parent: QWidget, text: str) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setAccessibleName(text)
    return label


def _select(combo: QComboBox, value: str) -> None:
    index = combo.findData(str(value))
    combo.setCurrentIndex(max(index, 0))
