"""Every window action over a real library: starring, marking all read and undoing it, moving through
stories from the keyboard, search, links, feed housekeeping, the feed/article switch and what the window
remembers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QInputDialog,
    QLineEdit,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.loopback import LoopbackServer
from tests.ui.stock import add_feed, add_stories, add_story
from tidings.core.library import Library
from tidings.core.storage import articles as article_store
from tidings.core.storage.articles import PageRow
from tidings.core.storage.stories import StoryFilter
from tidings.jobs.runner import JobRunner
from tidings.ui import feed_commands
from tidings.ui.main_window import MainWindow
from tidings.ui.stories_model import MATCH_COLUMN, SNIPPET_ROLE

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")
MakeWindow = Callable[[], MainWindow]


def two_feeds(library: Library) -> tuple[int, int]:
    first = add_feed(library, "https://one.example/feed", "One", folder="News")
    second = add_feed(library, "https://two.example/feed", "Two")
    add_stories(library, first, 5)
    add_stories(library, second, 3)
    return first, second


def select(window: MainWindow, key: tuple[str, object]) -> None:
    window.feeds_view.setCurrentIndex(window.feeds_model.index_of(key))  # type: ignore[arg-type]


def shown_title(window: MainWindow) -> str:
    return window.reader.toPlainText().splitlines()[0]


def test_star_marks_the_story_and_the_starred_view_lists_it(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    two_feeds(library)
    window = make_window()
    window.stories_view.setCurrentIndex(window.stories_model.index(2, 0))
    story = window.current_story()
    assert story is not None and window.window_actions.toggle_star.shortcut().toString() == "S"
    window.window_actions.toggle_star.trigger()
    qtbot.waitUntil(lambda: library.story(story.id).starred)
    qtbot.waitUntil(lambda: "★" in window.stories_model.index(2, 0).data())
    qtbot.waitUntil(lambda: window.feeds_model.index_of(("starred", None)).siblingAtColumn(1).data() == "1")
    select(window, ("starred", None))
    assert [window.stories_model.story_at(0).id] == [story.id]  # type: ignore[union-attr]


def test_mark_all_read_is_undoable(qtbot: QtBot, library: Library, make_window: MakeWindow) -> None:
    first, second = two_feeds(library)
    window = make_window()
    select(window, ("feed", first))
    window.window_actions.mark_feed_read.trigger()
    qtbot.waitUntil(lambda: library.count(StoryFilter((first,), unread=True)) == 0)
    assert library.count(StoryFilter((second,), unread=True)) == 3  # only the selected feed
    qtbot.waitUntil(lambda: window.window_actions.undo.isEnabled())
    assert "Undo with Ctrl+Z" in window.statusBar().currentMessage()
    assert all(window.stories_model.story_at(r).read for r in range(5))  # type: ignore[union-attr]
    window.window_actions.undo.trigger()
    qtbot.waitUntil(lambda: library.count(StoryFilter((first,), unread=True)) == 5)
    qtbot.waitUntil(lambda: not window.stories_model.story_at(0).read)  # type: ignore[union-attr]
    assert not window.window_actions.undo.isEnabled()


def test_j_and_k_move_through_stories_and_space_reaches_the_next_unread(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    first, _second = two_feeds(library)
    window = make_window()
    select(window, ("feed", first))
    window.stories_view.setFocus()
    window.stories_view.setCurrentIndex(window.stories_model.index(0, 0))
    qtbot.keyClick(window.stories_view, Qt.Key.Key_J)
    assert window.stories_view.currentIndex().row() == 1
    qtbot.keyClick(window.stories_view, Qt.Key.Key_J)
    assert window.stories_view.currentIndex().row() == 2 and shown_title(window) == "Story 2 of feed 1"
    qtbot.keyClick(window.stories_view, Qt.Key.Key_K)
    assert window.stories_view.currentIndex().row() == 1
    qtbot.waitUntil(lambda: window.stories_model.story_at(2).read)  # type: ignore[union-attr]
    qtbot.keyClick(window.stories_view, Qt.Key.Key_Space)  # a short story: nothing to scroll, so it moves on
    assert window.stories_view.currentIndex().row() == 3  # rows 0..2 were read


def test_space_scrolls_a_long_story_before_moving_on(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    feed = add_feed(library, "https://long.example/feed", "Long")
    add_story(library, feed, 1, title="Short")
    add_story(library, feed, 2, title="Long", content="<p>" + "A long paragraph of text. " * 800 + "</p>")
    window = make_window()
    window.stories_view.setCurrentIndex(window.stories_model.index(0, 0))
    assert shown_title(window) == "Long"
    bar = window.reader.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    window.stories_view.setFocus()
    qtbot.keyClick(window.stories_view, Qt.Key.Key_Space)
    assert bar.value() > 0 and window.stories_view.currentIndex().row() == 0
    bar.setValue(bar.maximum())
    qtbot.keyClick(window.stories_view, Qt.Key.Key_Space)
    assert window.stories_view.currentIndex().row() == 1 and shown_title(window) == "Short"


def test_search_lists_matches_with_highlighted_snippets_and_escape_returns(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    first, _second = two_feeds(library)
    add_story(
        library, first, 50, title="Harbour cranes", content="<p>The new cranes arrive at the harbour.</p>"
    )
    window = make_window()
    window.window_actions.search.trigger()
    assert window.search_bar.field.hasFocus()
    qtbot.keyClicks(window.search_bar.field, "cranes")
    qtbot.waitUntil(lambda: window.stories_model.searching, timeout=5000)
    assert window.stories_model.rowCount() == 1 and window.stories_model.columnCount() == 4
    snippet = window.stories_model.index(0, MATCH_COLUMN).data(SNIPPET_ROLE)
    assert "\x02cranes\x03" in snippet
    assert shown_title(window) == "Harbour cranes"
    assert "1 story matches" in window.statusBar().currentMessage()
    window.search_bar.scope.setCurrentIndex(2)  # starred only: none
    qtbot.waitUntil(lambda: window.stories_model.rowCount() == 0)
    qtbot.keyClick(window.search_bar.field, Qt.Key.Key_Escape)
    assert not window.stories_model.searching and window.stories_model.rowCount() == 9


def test_slash_focuses_search(qtbot: QtBot, library: Library, make_window: MakeWindow) -> None:
    two_feeds(library)
    window = make_window()
    shortcuts = [s.toString() for s in window.window_actions.search.shortcuts()]
    assert "Ctrl+F" in shortcuts and "/" in shortcuts


def test_open_in_browser_and_copy_link(
    qtbot: QtBot, library: Library, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_feeds(library)
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window = make_window()
    window.stories_view.setCurrentIndex(window.stories_model.index(0, 0))
    story = window.current_story()
    assert story is not None
    window.window_actions.open_in_browser.trigger()
    assert [u.toString() for u in opened] == [story.url]
    window.window_actions.copy_link.trigger()
    assert QGuiApplication.clipboard().text() == story.url


def test_rename_move_and_delete_a_feed(
    qtbot: QtBot, library: Library, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_feeds(library)
    window = make_window()
    select(window, ("feed", second))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Second Opinion", True))
    window.window_actions.rename_feed.trigger()
    qtbot.waitUntil(lambda: library.feed(second).title == "Second Opinion")
    qtbot.waitUntil(lambda: window.feeds_view.currentIndex().data() == "Second Opinion")
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("News", True))
    window.window_actions.move_feed.trigger()
    qtbot.waitUntil(lambda: library.feed(second).folder == "News")
    asked: list[str] = []
    monkeypatch.setattr(feed_commands, "confirm_delete", lambda _w, feed: asked.append(feed.title) or False)
    window.window_actions.delete_feed.trigger()
    assert asked == ["Second Opinion"] and len(library.feeds()) == 2  # cancelled: nothing deleted
    monkeypatch.setattr(feed_commands, "confirm_delete", lambda _w, feed: True)
    window.window_actions.delete_feed.trigger()
    qtbot.waitUntil(lambda: [f.id for f in library.feeds()] == [first])
    qtbot.waitUntil(lambda: window.feeds_model.feed_count() == 1)


def test_feed_actions_are_disabled_outside_a_feed(library: Library, make_window: MakeWindow) -> None:
    two_feeds(library)
    window = make_window()
    select(window, ("all", None))
    a = window.window_actions
    assert not a.delete_feed.isEnabled() and not a.rename_feed.isEnabled() and not a.refresh_feed.isEnabled()


def good_article(story_id: int, url: str) -> PageRow:
    return PageRow(
        story_id, url, b"<html></html>", "text/html", "tidings-extract/1", "T", "By A Writer", None, None,
        None, "en", "<p>The whole extracted article, every paragraph of it.</p>",
        "The whole extracted article, every paragraph of it.", True, 0.9, None,
    )  # fmt: skip


def test_the_reader_switches_between_the_feed_text_and_the_full_article(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    feed = add_feed(library, "https://sum.example/feed", "Summaries")
    story_id = add_story(library, feed, 1, title="Summarised", content="<p>Only a summary.</p>")
    library.write(lambda c: article_store.save(c, good_article(story_id, "https://sum.example/1"), None))
    window = make_window()
    window.stories_view.setCurrentIndex(window.stories_model.index(0, 0))
    pane = window.reader_pane
    assert pane.bar.isVisible() and pane.article_button.isChecked()
    assert (
        "every paragraph" in window.reader.toPlainText()
        and "Only a summary" not in window.reader.toPlainText()
    )
    window.stories_view.setFocus()
    qtbot.keyClick(window.stories_view, Qt.Key.Key_V)
    assert pane.feed_button.isChecked() and "Only a summary" in window.reader.toPlainText()
    library.set_show(feed, "feed")  # the feed set to its own text opens on it
    window.reload_feeds()
    window.stories_view.clearSelection()
    window._shown_story = None
    window.stories_view.setCurrentIndex(window.stories_model.index(0, 1))
    window.on_story_selected(window.stories_model.index(0, 0), window.stories_model.index(0, 0))
    assert "Only a summary" in window.reader.toPlainText()


def test_zoom_changes_the_reader_text_size(qtbot: QtBot, library: Library, make_window: MakeWindow) -> None:
    two_feeds(library)
    window = make_window()
    before = window.reader.document().defaultFont().pointSize()
    window.window_actions.zoom_in.trigger()
    window.window_actions.zoom_in.trigger()
    assert window.reader.document().defaultFont().pointSize() > before and window.reader.zoom == 120
    window.window_actions.zoom_reset.trigger()
    assert window.reader.document().defaultFont().pointSize() == before


def test_refresh_one_feed_and_cancel(
    qtbot: QtBot, library: Library, runner: JobRunner, server: LoopbackServer, make_window: MakeWindow
) -> None:
    server.hang("/slow.xml", 30)
    slow = add_feed(library, server.url("/slow.xml"), "Slow")
    window = make_window()
    select(window, ("feed", slow))
    window.window_actions.refresh_feed.trigger()
    assert window.refresh_control.running and window.window_actions.cancel_refresh.isEnabled()
    assert window.refresh_control.progress.isVisible()
    with qtbot.waitSignal(window.refresh_control.finished, timeout=20_000):
        window.window_actions.cancel_refresh.trigger()
    assert not window.refresh_control.running and not window.refresh_control.progress.isVisible()
    assert window.window_actions.refresh.isEnabled()


def test_the_window_remembers_geometry_splitter_and_selection(
    qtbot: QtBot, tmp_path: Path, library: Library, runner: JobRunner
) -> None:
    first, _second = two_feeds(library)
    settings = QSettings(str(tmp_path / "tidings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(library, runner, settings=settings)
    qtbot.addWidget(window)
    window.show()
    select(window, ("feed", first))
    window.stories_view.setCurrentIndex(window.stories_model.index(3, 0))
    remembered = window.current_story()
    window.splitter.setSizes([300, 300, 600])
    sizes = window.splitter.sizes()
    window.close()
    again = MainWindow(
        library, runner, settings=QSettings(str(tmp_path / "tidings.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(again)
    again.show()
    assert again.feeds_view.currentIndex().data() == "One"
    assert again.current_story() is not None and again.current_story().id == remembered.id  # type: ignore[union-attr]
    assert again.splitter.sizes() == sizes


def test_every_control_has_an_accessible_name_and_state_is_not_by_icon_alone(
    library: Library, make_window: MakeWindow
) -> None:
    two_feeds(library)
    window = make_window()
    kinds = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView, QTextEdit)
    shown = [w for w in window.findChildren(QWidget) if isinstance(w, kinds) and w.isVisibleTo(window)]
    unnamed = [w for w in shown if not (w.accessibleName() or getattr(w, "text", lambda: "")())]
    assert unnamed == []
    title = window.stories_model.index(0, 0).data()
    assert title.startswith("● ")  # unread is a text mark too, not only bold
    spoken = window.stories_model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "unread" in spoken


def test_tab_moves_through_the_panes(qtbot: QtBot, library: Library, make_window: MakeWindow) -> None:
    two_feeds(library)
    window = make_window()
    window.stories_view.setCurrentIndex(window.stories_model.index(0, 0))  # a story with a link to the web
    window.feeds_view.setFocus()
    visited = []
    for _ in range(5):  # in the reader, Tab visits its links first (QTextBrowser), then leaves it
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() not in visited:
            visited.append(QApplication.focusWidget())
    assert visited[:3] == [window.stories_view, window.reader, window.search_bar.field]


def test_a_feed_shows_its_stored_icon(qtbot: QtBot, library: Library, make_window: MakeWindow) -> None:
    from tidings.core import icons

    first, second = two_feeds(library)
    png = (Path(__file__).parents[1] / "data" / "images" / "photo.png").read_bytes()
    library.write(lambda c: icons.save(c, first, png, "image/png", None))
    window = make_window()
    index = window.feeds_model.index_of(("feed", first))
    plain = window.feeds_model.index_of(("feed", second)).data(Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: index.data(Qt.ItemDataRole.DecorationRole).cacheKey() != plain.cacheKey())


def test_a_story_with_images_from_a_feed_without_them_offers_to_allow_them(
    qtbot: QtBot, library: Library, make_window: MakeWindow, server: LoopbackServer
) -> None:
    png = (Path(__file__).parents[1] / "data" / "images" / "photo.png").read_bytes()
    server.serve("/photo.png", png, "image/png")
    feed = add_feed(library, server.url("/feed.xml"), "Pictures")
    add_story(
        library,
        feed,
        1,
        title="With a picture",
        content=f'<p>Look.</p><img src="{server.url("/photo.png")}">',
    )
    library.write(lambda c: c.execute("UPDATE stories SET sort_time = strftime('%s', 'now')"))
    window = make_window()
    window.stories_view.setCurrentIndex(window.stories_model.index(0, 0))
    offer = window.reader_pane.images_offer
    assert offer.isVisible() and not library.images_on(feed)
    assert window.reader.image_source is None  # nothing shown, nothing asked for
    qtbot.mouseClick(offer.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: library.image(server.url("/photo.png")) is not None, timeout=20_000)
    qtbot.waitUntil(lambda: window.reader.image_source is not None)
    assert library.images_on(feed) and not offer.isVisible()
