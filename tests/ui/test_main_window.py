"""The main window over a real library: feeds, stories, reading, marking, refreshing, subscribing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from tests.loopback import LoopbackServer
from tests.ui.stock import add_feed, add_stories, add_story
from tidings.core.library import Library
from tidings.jobs.runner import JobRunner
from tidings.ui.add_feed_dialog import AddFeedDialog
from tidings.ui.feeds_model import KEY_ROLE
from tidings.ui.main_window import MainWindow

# WORKAROUND: showing a QMainWindow on the offscreen platform warns "This plugin does not support
# propagateSizeHints()": QPlatformWindow's default implementation (qtbase, src/gui/kernel/qplatformwindow.cpp)
# warns and the offscreen plugin does not override it. Harmless; every other Qt warning still fails a test.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")

MakeWindow = Callable[[], MainWindow]
SCREENSHOT_COPY = Path("/tmp/tidings-window.png")

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback News</title>
<link>http://127.0.0.1/</link><description>d</description>
<item><title>First fetched story</title><guid>lb-1</guid><link>http://127.0.0.1/1</link>
<pubDate>Tue, 24 Dec 2024 10:00:00 GMT</pubDate><description>&lt;p&gt;One&lt;/p&gt;</description></item>
<item><title>Second fetched story</title><guid>lb-2</guid><link>http://127.0.0.1/2</link>
<pubDate>Tue, 24 Dec 2024 11:00:00 GMT</pubDate><description>&lt;p&gt;Two&lt;/p&gt;</description></item>
</channel></rss>"""
SITE_WITH_TWO_FEEDS = b"""<html><head>
<link rel="alternate" type="application/rss+xml" title="Posts" href="/posts.xml">
<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.xml">
</head></html>"""
OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
<outline text="News"><outline text="One" type="rss" xmlUrl="https://one.example/feed"/></outline>
<outline text="Two" type="rss" xmlUrl="https://two.example/feed"/>
</body></opml>"""
HOSTILE = '<p>Body text</p><script>document.title="owned"</script><img src="file:///etc/passwd">'


def select_feed(window: MainWindow, key: tuple[str, object]) -> None:
    window.feeds_view.setCurrentIndex(window.feeds_model.index_of(key))  # type: ignore[arg-type]


def click_story(qtbot: QtBot, window: MainWindow, row: int) -> None:
    index = window.stories_model.index(row, 0)
    window.stories_view.scrollTo(index)
    rect = window.stories_view.visualRect(index)
    qtbot.mouseClick(window.stories_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def stock(library: Library) -> dict[str, int]:
    ids = {
        "tech": add_feed(library, "https://tech.example/feed", "Tech Daily", folder="Tech"),
        "ars": add_feed(library, "https://ars.example/feed", "Open Source Weekly", folder="Tech"),
        "down": add_feed(
            library,
            "https://down.example/feed",
            "Often Down",
            folder="Tech",
            error="The server did not answer within 30 seconds.",
        ),
        "city": add_feed(library, "https://city.example/feed", "City Council Notes"),
    }
    add_stories(library, ids["tech"], 12)
    add_stories(library, ids["ars"], 4)
    add_stories(library, ids["city"], 3)
    return ids


def test_first_run_shows_the_welcome_page_with_two_ways_to_start(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    assert window.feeds_model.feed_count() == 0
    pane = window.reader_pane
    assert pane.stack.currentWidget() is pane.welcome and pane.welcome.isVisible()
    assert window.stories_model.rowCount() == 0
    qtbot.mouseClick(pane.welcome.add_button, Qt.MouseButton.LeftButton)
    dialog = window.feed_commands.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.windowTitle() == "Add Feed"
    dialog.reject()


def test_all_stories_are_shown_first_and_a_feed_filters_them(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    ids = stock(library)
    window = make_window()
    assert window.feeds_view.currentIndex().data(KEY_ROLE) == ("all", None)
    assert window.stories_model.rowCount() == 19
    select_feed(window, ("feed", ids["city"]))
    assert window.stories_model.rowCount() == 3
    assert {window.stories_model.index(r, 1).data() for r in range(3)} == {"City Council Notes"}
    select_feed(window, ("folder", "Tech"))
    assert window.stories_model.rowCount() == 16


def test_clicking_a_story_shows_it_sanitized_and_marks_it_read(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    feed = add_feed(library, "https://x.example/feed", "Hostile Feed")
    story_id = add_story(library, feed, 1, title="A perfectly normal title", content=HOSTILE)
    window = make_window()
    click_story(qtbot, window, 0)
    text = window.reader.toPlainText()
    assert "A perfectly normal title" in text and "Body text" in text
    assert "owned" not in text and "<script" not in window.reader.toHtml()
    qtbot.waitUntil(lambda: library.story(story_id).read)
    qtbot.waitUntil(lambda: not window.stories_model.index(0, 0).data().startswith("●"))
    qtbot.waitUntil(lambda: window.feeds_model.index(0, 1).data() == "")  # no unread left


def test_the_m_action_toggles_read(qtbot: QtBot, library: Library, make_window: MakeWindow) -> None:
    feed = add_feed(library, "https://x.example/feed", "F")
    story_id = add_story(library, feed, 1)
    window = make_window()
    click_story(qtbot, window, 0)
    qtbot.waitUntil(lambda: library.story(story_id).read)
    qtbot.waitUntil(lambda: window.stories_model.story_at(0).read)  # type: ignore[union-attr]
    window.window_actions.toggle_read.trigger()
    qtbot.waitUntil(lambda: not library.story(story_id).read)
    assert window.window_actions.toggle_read.shortcut().toString() == "M"


def test_refresh_shows_progress_then_a_summary_and_the_new_stories(
    qtbot: QtBot, library: Library, runner: JobRunner, server: LoopbackServer, make_window: MakeWindow
) -> None:
    server.serve("/feed.xml", RSS, "application/rss+xml")
    add_feed(library, server.url("/feed.xml"), "Loopback")
    window = make_window()
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    with qtbot.waitSignal(runner.job_finished, timeout=20_000):
        window.window_actions.refresh.trigger()
        assert not window.window_actions.refresh.isEnabled()
    assert "Refreshing… 1 of 1 feeds" in messages
    assert window.statusBar().currentMessage() == "Refreshed 1 feed: 2 new stories."
    assert window.window_actions.refresh.isEnabled()
    assert [window.stories_model.story_at(r).title for r in range(2)] == [  # type: ignore[union-attr]
        "Second fetched story",
        "First fetched story",
    ]
    assert window.feeds_model.index(0, 1).data() == "2"


def open_add_dialog(qtbot: QtBot, window: MainWindow, address: str) -> AddFeedDialog:
    window.window_actions.add_feed.trigger()
    dialog = window.feed_commands.dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.address, address)
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    return dialog


def test_add_feed_finds_the_feed_subscribes_and_selects_it(
    qtbot: QtBot, library: Library, server: LoopbackServer, make_window: MakeWindow
) -> None:
    server.serve("/feed.xml", RSS, "application/rss+xml")
    window = make_window()
    dialog = open_add_dialog(qtbot, window, server.url("/feed.xml"))
    qtbot.waitUntil(lambda: dialog.found.count() == 1, timeout=20_000)
    assert dialog.status.text() == "Found one feed. Choose one and press Add."
    dialog.folder.setCurrentText("Local")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.feeds_model.feed_count() == 1, timeout=20_000)
    assert not dialog.isVisible()
    assert window.feeds_view.currentIndex().data() == "Loopback News"
    assert library.feeds()[0].folder == "Local"
    assert window.stories_model.rowCount() == 2
    assert window.statusBar().currentMessage() == "Added “Loopback News” with 2 stories."


def test_a_site_with_several_feeds_lists_them_to_choose(
    qtbot: QtBot, library: Library, server: LoopbackServer, make_window: MakeWindow
) -> None:
    server.serve("/", SITE_WITH_TWO_FEEDS, "text/html")
    server.serve("/comments.xml", RSS, "application/rss+xml")
    window = make_window()
    dialog = open_add_dialog(qtbot, window, server.url("/"))
    qtbot.waitUntil(lambda: dialog.found.count() == 2, timeout=20_000)
    assert dialog.found.item(0).text().startswith("Posts") and "comments.xml" in dialog.found.item(1).text()
    dialog.found.setCurrentRow(1)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.feeds_model.feed_count() == 1, timeout=20_000)
    assert [f.url for f in library.feeds()] == [server.url("/comments.xml")]


def test_an_add_feed_error_is_explained_in_the_dialog(
    qtbot: QtBot, server: LoopbackServer, make_window: MakeWindow
) -> None:
    window = make_window()
    dialog = open_add_dialog(qtbot, window, server.url("/missing.xml"))
    # wait for the answer itself: the "Looking for feeds at …" line holds the port, which may contain "404"
    qtbot.waitUntil(lambda: "(HTTP 404)" in dialog.status.text(), timeout=20_000)
    assert "not found" in dialog.status.text() and "Traceback" not in dialog.status.text()
    assert dialog.isVisible()
    assert not dialog.add_button.isEnabled() and dialog.find_button.isEnabled()
    assert window.feeds_model.feed_count() == 0
    dialog.reject()


def test_import_then_export_opml(
    qtbot: QtBot, tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch, make_window: MakeWindow
) -> None:
    source = tmp_path / "in.opml"
    source.write_text(OPML)
    window = make_window()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(source), ""))
    window.window_actions.import_opml.trigger()
    qtbot.waitUntil(lambda: window.feeds_model.feed_count() == 2)
    assert "Imported 2 feeds" in window.statusBar().currentMessage()
    assert window.feeds_model.index_of(("folder", "News")).isValid()
    target = tmp_path / "out.opml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.window_actions.export_opml.trigger()
    qtbot.waitUntil(target.exists)
    qtbot.waitUntil(lambda: b"https://two.example/feed" in target.read_bytes())


def test_the_window_renders_as_a_three_pane_reader(
    qtbot: QtBot, tmp_path: Path, library: Library, make_window: MakeWindow
) -> None:
    ids = stock(library)
    add_story(
        library,
        ids["tech"],
        99,
        title="Qt 6.12 released with a faster text layout",
        author="Release Team",
        content="<h2>What is new</h2><p>Faster <b>text layout</b>, fewer "
        "allocations, and <a href='https://qt.example/notes'>the notes</a>.</p><ul><li>Layout</li>"
        "<li>Fonts</li></ul><script>alert(1)</script>",
    )
    window = make_window()
    click_story(qtbot, window, 0)
    qtbot.waitUntil(lambda: window.stories_model.story_at(0).read)  # type: ignore[union-attr]
    assert window.feeds_view.isVisible() and window.stories_view.isVisible() and window.reader.isVisible()
    path = tmp_path / "main-window.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000
    shutil.copyfile(path, SCREENSHOT_COPY)
    assert window.feeds_view.accessibleName() == "Feeds" and window.reader.accessibleName() == "Story"
    assert window.stories_view.currentIndex() != QModelIndex()
