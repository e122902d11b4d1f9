"""Screenshot mode: `tidings --screenshot FILE.png`, run as a person would (a subprocess), on a small library;
and the readiness watch it relies on, in this process."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.ui.stock import add_feed, add_stories, add_story
from tidings.core.library import Library
from tidings.jobs.runner import JobRunner
from tidings.ui.main_window import MainWindow
from tidings.ui.screenshot import ReadinessWatch

# WORKAROUND: showing a QMainWindow on the offscreen platform warns "This plugin does not support
# propagateSizeHints()" (see test_main_window.py). Harmless; every other Qt warning still fails a test.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")

MakeWindow = Callable[[], MainWindow]
STORY_TITLE = "A story worth a screenshot"
SCREENSHOT_COPIES = Path("/tmp/tidings-screenshots")  # kept for a person to look at (not committed)


@pytest.fixture
def stocked(library: Library) -> tuple[Path, int]:
    """A library with two feeds in a folder and one outside; returns its folder and a story deep in a feed
    (older than the first page of the list)."""
    news = add_feed(library, "https://news.example/feed", "Example News", folder="News")
    add_stories(library, news, 30)
    add_stories(library, add_feed(library, "https://blog.example/feed", "A Blog", folder="News"), 5)
    busy = add_feed(library, "https://busy.example/feed", "Busy Feed")
    story = add_story(library, busy, -1, title=STORY_TITLE, content="<p>Read me.</p>" * 40)
    add_stories(library, busy, 450)  # newer: the story is on the third page
    library.close()
    return library.folder, story


def screenshot(
    data: Path, out: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tidings", "--data-dir", str(data), "--screenshot", str(out), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def checked_image(path: Path, size: tuple[int, int]) -> QImage:
    """The PNG, of the requested size and not blank; a copy is kept for a person to look at."""
    assert path.exists()
    image = QImage(str(path))
    assert not image.isNull()
    assert (image.width(), image.height()) == size
    colours = Counter(
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    )
    assert len(colours) > 20, "a blank or nearly blank picture"
    assert colours.most_common(1)[0][1] < 0.9 * sum(colours.values())
    SCREENSHOT_COPIES.mkdir(exist_ok=True)
    image.save(str(SCREENSHOT_COPIES / path.name))
    return image


def brightness(image: QImage) -> float:
    samples = [
        image.pixelColor(x, y).lightness()
        for x in range(0, image.width(), 9)
        for y in range(0, image.height(), 9)
    ]
    return sum(samples) / len(samples)


def test_screenshot_runs_offscreen_by_itself(stocked: tuple[Path, int], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    out = screenshot(stocked[0], tmp_path / "default.png", env=env)
    assert out.returncode == 0, out.stderr
    checked_image(tmp_path / "default.png", (1280, 800))


def test_light_and_dark(stocked: tuple[Path, int], tmp_path: Path) -> None:
    for theme in ("light", "dark"):
        out = screenshot(stocked[0], tmp_path / f"{theme}.png", "--theme", theme, "--size", "1000x700")
        assert out.returncode == 0, out.stderr
    light = checked_image(tmp_path / "light.png", (1000, 700))
    dark = checked_image(tmp_path / "dark.png", (1000, 700))
    assert brightness(dark) < brightness(light) - 60


def test_a_story(stocked: tuple[Path, int], tmp_path: Path) -> None:
    data, story = stocked
    out = screenshot(data, tmp_path / "story.png", "--story", str(story), "--size", "1200x760")
    assert out.returncode == 0, out.stderr
    shown = checked_image(tmp_path / "story.png", (1200, 760))
    with Library(data) as library:
        assert not library.story(story).read  # shown (and so marked read), then left as it was
    assert screenshot(data, tmp_path / "start.png", "--size", "1200x760").returncode == 0
    assert shown != checked_image(tmp_path / "start.png", (1200, 760))


def test_an_unknown_story_is_a_clear_error(stocked: tuple[Path, int], tmp_path: Path) -> None:
    out = screenshot(stocked[0], tmp_path / "none.png", "--story", "999999")
    assert out.returncode == 1
    assert "There is no story 999999" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "none.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--size", "12x9"), "not a size like 1280x800"),
        (("--size", "wide"), "not a size like 1280x800"),
        (("--theme", "sepia"), "invalid choice"),
        (("feeds",), "does not go with a command"),
    ],
)
def test_bad_options(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    out = screenshot(tmp_path / "data", tmp_path / "x.png", *args)
    assert out.returncode == 2
    assert message in out.stderr


def test_screenshot_options_need_screenshot(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "tidings", "--data-dir", str(tmp_path), "--theme", "dark"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "go with --screenshot" in out.stderr


# -- the readiness watch, in this process ---------------------------------------------------------
def test_watch_selects_a_story_beyond_the_first_page(
    library: Library, runner: JobRunner, make_window: MakeWindow
) -> None:
    busy = add_feed(library, "https://busy.example/feed", "Busy Feed")
    story_id = add_story(library, busy, -1, title=STORY_TITLE)
    add_stories(library, busy, 450)
    window = make_window()
    story = library.story(story_id)
    assert ReadinessWatch(window, runner, library, story).wait(10)
    assert window.stories_view.currentIndex().data(0x0100) == story_id  # Qt.UserRole: the story id
    assert STORY_TITLE in window.reader.toPlainText()
    assert window.stories_model.rowCount() > 400  # pages were loaded to reach it


def test_watch_without_a_story_waits_for_the_list(
    library: Library, runner: JobRunner, make_window: MakeWindow
) -> None:
    add_stories(library, add_feed(library, "https://news.example/feed", "Example News"), 3)
    window = make_window()
    assert ReadinessWatch(window, runner, library, None).wait(10)
    assert window.stories_model.rowCount() == 3
    assert window.reader.toPlainText().strip()


def test_watch_says_what_is_missing_after_the_timeout(
    library: Library, runner: JobRunner, make_window: MakeWindow
) -> None:
    story_id = add_story(library, add_feed(library, "https://news.example/feed", "Example News"), 1)
    window = make_window()
    elsewhere = dataclasses.replace(library.story(story_id), feed_id=987654)  # a feed the list does not have
    watch = ReadinessWatch(window, runner, library, elsewhere)
    assert not watch.wait(0.3)
    assert watch.waiting_for == f"the feed of story {story_id} was not selected"
