"""The window as a person sees it, saved as PNG files under build/screenshots/ (not committed) so they can be
looked at: the first run, a feed with stories, an article with a highlight, search results, the dark theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.stock import add_feed, add_stories, add_story
from tidings.core.library import Library
from tidings.jobs.runner import JobRunner
from tidings.ui.main_window import MainWindow
from tidings.ui.preferences import Preferences, Theme

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
ARTICLE = (
    "<p>The harbour authority confirmed on Monday that four new cranes will arrive before the summer, "
    "ending a two-year wait that had slowed container traffic along the whole coast.</p>"
    "<h2>What changes</h2><p>Ships will be unloaded in half the time, the authority said, and the night "
    "shift will end. <a href='https://port.example/plan'>The full plan</a> is published online.</p>"
    "<blockquote>We have waited a long time for this.</blockquote>"
    "<ul><li>Four cranes</li><li>Two new berths</li></ul>"
)


def stock(library: Library) -> int:
    news = add_feed(library, "https://port.example/feed", "Port News", folder="Local")
    add_feed(library, "https://council.example/feed", "City Council", folder="Local")
    tech = add_feed(library, "https://tech.example/feed", "Tech Daily")
    add_stories(library, tech, 14)
    add_stories(library, news, 5)
    story_id = add_story(
        library, news, 90, title="New cranes for the harbour", author="Ada Marsh", content=ARTICLE
    )
    library.annotations.highlight(story_id, "ending a two-year wait", note="Since 2023.")
    library.collection.create_topic("Harbour")
    return story_id


def window_for(qtbot: QtBot, library: Library, runner: JobRunner, tmp_path: Path, theme: Theme) -> MainWindow:
    settings = QSettings(str(tmp_path / f"{theme}.ini"), QSettings.Format.IniFormat)
    preferences = Preferences(settings, tray_available=False)
    preferences.update(theme=theme, refresh_minutes=0)
    window = MainWindow(library, runner, settings=settings, preferences=preferences)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def save(window: MainWindow, name: str) -> QImage:
    SHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()
    image = window.grab().toImage()
    assert image.save(str(SHOTS / f"{name}.png"))
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)}
    assert len(colours) > 8  # not blank
    return image


def test_screenshots(qtbot: QtBot, library: Library, runner: JobRunner, tmp_path: Path) -> None:
    first = window_for(qtbot, library, runner, tmp_path, Theme.LIGHT)
    assert first.reader_pane.stack.currentWidget() is first.reader_pane.welcome
    save(first, "first-run")
    first.close()

    story_id = stock(library)
    window = window_for(qtbot, library, runner, tmp_path, Theme.LIGHT)
    window.feeds_view.setCurrentIndex(window.feeds_model.index_of(("folder", "Local")))
    save(window, "feed-with-stories")
    window.stories_view.setCurrentIndex(window.stories_model.index(window.stories_model.row_of(story_id), 0))
    qtbot.waitUntil(lambda: window.annotations_panel.list.count() == 1)
    light = save(window, "article")
    window.search_bar.field.setText("cranes harbour")
    window.search_bar.on_pause()
    qtbot.waitUntil(lambda: window.stories_model.searching)
    save(window, "search")
    window.close()

    dark = window_for(qtbot, library, runner, tmp_path, Theme.DARK)
    dark.stories_view.setCurrentIndex(dark.stories_model.index(dark.stories_model.row_of(story_id), 0))
    qtbot.waitUntil(lambda: dark.annotations_panel.list.count() == 1)
    shot = save(dark, "dark")
    reader_spot = dark.reader.mapTo(dark, dark.reader.rect().center())
    assert lightness(shot.pixel(reader_spot)) < lightness(light.pixel(reader_spot))
    dark.services.preferences.update(theme=Theme.SYSTEM)  # leave the application as it was


def lightness(rgb: int) -> float:
    from PySide6.QtGui import QColor

    return QColor.fromRgb(rgb).lightnessF()
