"""The same story from several feeds: one row saying how many sources, expanding to the others; nothing
hidden, nothing deleted."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from tests.ui.stock import add_feed, add_stories, add_story
from tidings.core.library import Library
from tidings.core.storage import collection as store
from tidings.core.storage.stories import StoryFilter
from tidings.ui.main_window import MainWindow
from tidings.ui.stories_model import FEED_COLUMN, StoriesModel

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")


def grouped_library(library: Library) -> list[int]:
    feeds = [add_feed(library, f"https://f{n}.example/feed", f"Wire {n}") for n in range(3)]
    add_stories(library, feeds[0], 4)
    ids = [
        add_story(library, feed, 50 + n, title=f"Quake hits the coast ({n})") for n, feed in enumerate(feeds)
    ]
    library.write(lambda c: store.set_groups(c, {story_id: ids[0] for story_id in ids}))
    return ids


def test_a_group_is_one_row_with_its_sources_as_children(
    qtmodeltester: ModelTester, library: Library
) -> None:
    ids = grouped_library(library)
    model = StoriesModel(library, page_size=3)
    model.set_filter(StoryFilter())
    while model.canFetchMore():
        model.fetchMore()
    qtmodeltester.check(model)
    listed = [model.story_at(r).id for r in range(model.rowCount())]  # type: ignore[union-attr]
    assert len(listed) == 5 and sum(1 for i in ids if i in listed) == 1  # 4 + the group's newest
    row = next(r for r in range(model.rowCount()) if model.story_at(r).id in ids)  # type: ignore[union-attr]
    parent = model.index(row, 0)
    assert model.hasChildren(parent) and model.rowCount(parent) == 2
    assert model.index(row, FEED_COLUMN).data().startswith("3 sources")
    children = {model.story_of(model.index(r, 0, parent)).id for r in range(2)}  # type: ignore[union-attr]
    assert children | {model.story_at(row).id} == set(ids)  # type: ignore[union-attr]
    assert library.count() == 7  # nothing deleted


def test_selecting_another_source_shows_it(
    qtbot: QtBot, library: Library, make_window: Callable[[], MainWindow]
) -> None:
    ids = grouped_library(library)
    window = make_window()
    model = window.stories_model
    row = next(r for r in range(model.rowCount()) if model.story_at(r).id in ids)  # type: ignore[union-attr]
    parent = model.index(row, 0)
    window.stories_view.expand(parent)
    child = model.index(1, 0, parent)
    window.stories_view.setCurrentIndex(child)
    story = model.story_of(child)
    assert story is not None and window.reader.toPlainText().splitlines()[0] == story.title
    qtbot.waitUntil(lambda: library.story(story.id).read)
