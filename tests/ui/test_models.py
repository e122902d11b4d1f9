"""The feed tree and the lazy story table, over a real library."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from tests.ui.stock import add_feed, add_stories
from tidings.core.library import Library
from tidings.core.storage.stories import StoryFilter
from tidings.ui.feeds_model import FEED_ID_ROLE, FILTER_ROLE, FeedsModel
from tidings.ui.stories_model import PAGE_SIZE, UNREAD_MARK, StoriesModel

pytestmark = pytest.mark.usefixtures("qapp")  # fonts and icons need the application


def stock(library: Library) -> dict[str, int]:
    ids = {
        "loose": add_feed(library, "https://loose.example/feed", "Loose Feed"),
        "tech": add_feed(library, "https://tech.example/feed", "Tech Daily", folder="Tech"),
        "broken": add_feed(
            library,
            "https://broken.example/feed",
            "Broken <b>Feed</b>",
            folder="Tech",
            error="The server answered 503 Service Unavailable.",
        ),
    }
    add_stories(library, ids["loose"], 3)
    add_stories(library, ids["tech"], 5)
    return ids


def test_feeds_model_passes_the_model_tester(qtmodeltester: ModelTester, library: Library) -> None:
    stock(library)
    model = FeedsModel(library)
    model.reload()
    qtmodeltester.check(model)
    model.reload()  # counts only: rows stay


def test_feed_tree_lists_the_smart_views_then_folders_then_loose_feeds(library: Library) -> None:
    ids = stock(library)
    library.star([library.stories()[0][0].id])
    model = FeedsModel(library)
    model.reload()
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names == ["All stories", "Unread", "Starred", "Saved", "Topics", "Tech", "Loose Feed"]
    assert (
        model.index(0, 1).data() == "8"
        and model.index(1, 1).data() == "8"
        and model.index(5, 1).data() == "5"
    )
    assert (
        model.index(2, 1).data() == "1"
        and model.index(2, 1).data(Qt.ItemDataRole.AccessibleTextRole) == "1 starred"
    )
    assert model.index(1, 0).data(FILTER_ROLE) == StoryFilter(unread=True)
    assert model.index(2, 0).data(FILTER_ROLE) == StoryFilter(starred=True)
    tech = model.index(5, 0)
    assert [model.index(r, 0, tech).data() for r in range(model.rowCount(tech))] == [
        "Tech Daily",
        "Broken <b>Feed</b>",
    ]
    assert tech.data(FILTER_ROLE) == StoryFilter(feed_ids=(ids["tech"], ids["broken"]))
    assert model.index(0, 0).data(FILTER_ROLE) == StoryFilter()


def test_a_failing_feed_has_a_warning_mark_and_its_error_as_an_escaped_tooltip(library: Library) -> None:
    ids = stock(library)
    model = FeedsModel(library)
    model.reload()
    tech = model.index_of(("folder", "Tech"))
    broken = model.index(1, 0, tech)
    assert broken.data(FEED_ID_ROLE) == ids["broken"]
    warning = broken.data(Qt.ItemDataRole.DecorationRole)
    healthy = model.index(0, 0, tech).data(Qt.ItemDataRole.DecorationRole)
    assert not warning.isNull() and warning.cacheKey() != healthy.cacheKey()
    tip = broken.data(Qt.ItemDataRole.ToolTipRole)
    assert "503 Service Unavailable" in tip and "Broken &lt;b&gt;Feed&lt;/b&gt;" in tip and "<b>" not in tip
    assert "last refresh failed" in broken.data(Qt.ItemDataRole.AccessibleTextRole)


def test_stories_model_passes_the_model_tester(qtmodeltester: ModelTester, library: Library) -> None:
    stock(library)
    model = StoriesModel(library, page_size=3)
    model.set_filter(StoryFilter())
    qtmodeltester.check(model)


def test_stories_load_a_page_then_the_rest_page_by_page(library: Library) -> None:
    feed = add_feed(library, "https://many.example/feed", "Many")
    add_stories(library, feed, 1000)
    model = StoriesModel(library)
    model.set_filter(StoryFilter())
    assert model.rowCount() == PAGE_SIZE and model.canFetchMore(QModelIndex())
    pages = 1
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        pages += 1
    assert model.rowCount() == 1000 and pages == 1000 // PAGE_SIZE + (1000 % PAGE_SIZE == 0)
    titles = [model.story_at(r).title for r in range(1000)]  # type: ignore[union-attr]
    assert titles[0] == "Story 999 of feed 1" and titles[-1] == "Story 0 of feed 1"
    assert len(set(titles)) == 1000  # keyset pages: no row twice, none skipped


def test_unread_stories_are_bold_and_marked_in_text(library: Library) -> None:
    feed = add_feed(library, "https://a.example/feed", "A")
    add_stories(library, feed, 2)
    model = StoriesModel(library)
    model.set_filter(StoryFilter())
    first = model.story_at(0)
    assert first is not None
    assert model.index(0, 0).data().startswith(UNREAD_MARK)
    assert model.index(0, 0).data(Qt.ItemDataRole.FontRole).bold()
    assert "unread" in model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    library.mark_read([first.id])
    model.set_read(first.id, True)
    assert not model.index(0, 0).data().startswith(UNREAD_MARK)
    assert model.index(0, 0).data(Qt.ItemDataRole.FontRole) is None
    assert model.index(0, 1).data() == "A" and model.index(0, 0).data(Qt.ItemDataRole.UserRole) == first.id


def test_set_filter_shows_only_the_chosen_feeds(qtbot: QtBot, library: Library) -> None:
    ids = stock(library)
    model = StoriesModel(library)
    with qtbot.waitSignal(model.modelReset):
        model.set_filter(StoryFilter(feed_ids=(ids["loose"],)))
    assert model.rowCount() == 3 and not model.canFetchMore(QModelIndex())
    assert {model.index(r, 1).data() for r in range(3)} == {"Loose Feed"}


def test_the_models_pass_the_tester_with_topics_and_search_results(
    qtmodeltester: ModelTester, library: Library
) -> None:
    ids = stock(library)
    topic = library.collection.create_topic("Later")
    library.collection.add_to_topic(topic, [s.id for s, _key in library.stories(limit=2)])
    feeds = FeedsModel(library)
    feeds.reload()
    qtmodeltester.check(feeds)
    assert feeds.index_of(("topic", topic)).parent() == feeds.index_of(("topics", None))
    stories = StoriesModel(library, page_size=3)
    stories.show_hits(library.search("story"))
    qtmodeltester.check(stories)
    assert stories.rowCount() > 0 and stories.columnCount() == 4 and ids
