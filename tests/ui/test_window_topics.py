"""Topics and saving in the window: the tree's Saved and Topics rows, filing stories (menu, the Ctrl+T
dialog, drag and drop), and saving a story for offline reading."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from tests.loopback import LoopbackServer
from tests.ui.stock import add_feed, add_stories, add_story
from tidings.core.library import Library
from tidings.core.storage.stories import StoryFilter
from tidings.ui.main_window import MainWindow
from tidings.ui.stories_model import STORIES_MIME

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")
MakeWindow = Callable[[], MainWindow]
DATA = Path(__file__).resolve().parents[1] / "data"


def test_a_new_topic_appears_under_topics_and_lists_its_stories(
    qtbot: QtBot, library: Library, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = add_feed(library, "https://one.example/feed", "One")
    add_stories(library, feed, 4)
    window = make_window()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Climate", True))
    window.window_actions.new_topic.trigger()
    qtbot.waitUntil(lambda: window.feeds_model.topics() != [])
    topic = window.feeds_model.topics()[0]
    assert topic.name == "Climate"
    ids = [window.stories_model.story_at(r).id for r in (0, 2)]  # type: ignore[union-attr]
    window.topic_commands.file_in(topic.id, ids)
    qtbot.waitUntil(lambda: library.count(StoryFilter(topic_id=topic.id)) == 2)
    window.feeds_view.setCurrentIndex(window.feeds_model.index_of(("topic", topic.id)))
    assert sorted(
        window.stories_model.story_at(r).id for r in range(window.stories_model.rowCount())
    ) == sorted(ids)  # type: ignore[union-attr]
    topics_row = window.feeds_model.index_of(("topics", None))
    assert window.feeds_model.index(0, 0, topics_row).data() == "Climate"


def test_dropping_stories_on_a_topic_files_them(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    feed = add_feed(library, "https://one.example/feed", "One")
    add_stories(library, feed, 3)
    topic_id = library.collection.create_topic("Later")
    window = make_window()
    rows = [window.stories_model.index(r, 0) for r in (0, 1)]
    data = window.stories_model.mimeData(rows)
    target = window.feeds_model.index_of(("topic", topic_id))
    assert window.feeds_model.canDropMimeData(data, Qt.DropAction.CopyAction, -1, -1, target)
    assert not window.feeds_model.canDropMimeData(
        data, Qt.DropAction.CopyAction, -1, -1, window.feeds_model.index_of(("all", None))
    )
    window.feeds_model.dropMimeData(data, Qt.DropAction.CopyAction, -1, -1, target)
    qtbot.waitUntil(lambda: library.count(StoryFilter(topic_id=topic_id)) == 2)
    junk = QMimeData()
    junk.setData(STORIES_MIME, b"not json")
    assert not window.feeds_model.dropMimeData(junk, Qt.DropAction.CopyAction, -1, -1, target)


def test_the_file_dialog_suggests_topics_learnt_from_filed_stories_and_files_only_what_is_ticked(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    feed = add_feed(library, "https://one.example/feed", "One")
    sport = library.collection.create_topic("Sport")
    library.collection.create_topic("Science")
    titles = [
        "Cup final goal in extra time",
        "Striker scores twice in the league match",
        "Goalkeeper saves penalty in the cup",
    ]
    ids = [
        add_story(library, feed, n, title=t, content=f"<p>{t}. football match goal</p>")
        for n, t in enumerate(titles)
    ]
    library.collection.add_to_topic(sport, ids)
    new = add_story(
        library, feed, 10, title="Late goal wins the cup match", content="<p>A football goal.</p>"
    )
    window = make_window()
    window.stories_view.setCurrentIndex(window.stories_model.index(window.stories_model.row_of(new), 0))
    window.window_actions.add_to_topics.trigger()
    dialog = window.topic_commands.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: [b.text() for b in dialog.suggestion_buttons] == ["Sport"], timeout=10_000)
    assert dialog.topics.item(0).text().startswith("Sport")
    assert all(
        dialog.topics.item(r).checkState() == Qt.CheckState.Unchecked for r in range(dialog.topics.count())
    )
    assert library.collection.topics_of(new) == []  # suggested, not filed
    dialog.new_topic.setText("Cups")
    sport_button = next(b for b in dialog.suggestion_buttons if b.text() == "Sport")
    qtbot.mouseClick(sport_button, Qt.MouseButton.LeftButton)  # one click accepts the suggestion
    qtbot.waitUntil(lambda: {t.name for t in library.collection.topics_of(new)} == {"Sport", "Cups"})


def test_saving_a_story_keeps_its_article_page_and_images_and_lists_it_under_saved(
    qtbot: QtBot, library: Library, server: LoopbackServer, make_window: MakeWindow
) -> None:
    picture = (DATA / "images" / "photo.png").read_bytes()
    page = (
        b"<html><head><title>Harbour</title></head><body><article><h1>Harbour cranes arrive</h1>"
        + b"<p>The cranes arrived at the harbour on Monday after a long voyage from the yard. " * 8
        + b'</p><figure><img src="/crane.png"><figcaption>A crane</figcaption></figure>'
        + b"<p>Workers will assemble them over the coming weeks, the port said in a statement. " * 6
        + b"</p></article></body></html>"
    )
    server.serve("/story.html", page, "text/html")
    server.serve("/crane.png", picture, "image/png")
    feed = add_feed(library, server.url("/feed.xml"), "Port News")
    library.set_images(feed, False)  # saving keeps images whatever the feed's setting
    story_id = add_story(library, feed, 1, title="Harbour cranes arrive", content="<p>Cranes.</p>")
    library.write(
        lambda c: c.execute("UPDATE stories SET url = ? WHERE id = ?", (server.url("/story.html"), story_id))
    )
    window = make_window()
    window.stories_view.setCurrentIndex(window.stories_model.index(0, 0))
    assert window.window_actions.save_story.text() == "Sa&ve for Offline"
    window.window_actions.save_story.trigger()
    qtbot.waitUntil(
        lambda: "Saved for offline reading" in window.statusBar().currentMessage(), timeout=20_000
    )
    assert (
        "full article" in window.statusBar().currentMessage()
        and "1 image" in window.statusBar().currentMessage()
    )
    assert library.collection.is_saved(story_id) and library.collection.snapshot(story_id) is not None
    assert library.image(server.url("/crane.png")) is not None
    assert window.window_actions.save_story.text() == "Remove from Sa&ved"
    window.feeds_view.setCurrentIndex(window.feeds_model.index_of(("saved", None)))
    assert window.stories_model.rowCount() == 1
    assert window.feeds_model.index_of(("saved", None)).siblingAtColumn(1).data() == "1"


def test_export_a_topic_and_the_highlights_and_import_them_back(
    qtbot: QtBot, library: Library, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QFileDialog

    feed = add_feed(library, "https://one.example/feed", "One")
    story = add_story(
        library, feed, 1, title="Harbour cranes", content="<p>The cranes arrived on Monday.</p>"
    )
    topic = library.collection.create_topic("Harbour")
    library.collection.add_to_topic(topic, [story])
    made = library.annotations.highlight(story, "arrived on Monday", note="At last")
    window = make_window()
    window.feeds_view.setCurrentIndex(window.feeds_model.index_of(("topic", topic)))
    book = tmp_path / "harbour.epub"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(book), ""))
    window.window_actions.export_stories.trigger()
    qtbot.waitUntil(book.exists, timeout=10_000)
    assert book.read_bytes()[30:58] == b"mimetypeapplication/epub+zip"
    notes = tmp_path / "notes.jsonld"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(notes), ""))
    window.window_actions.export_annotations.trigger()
    qtbot.waitUntil(lambda: notes.exists() and notes.stat().st_size > 0, timeout=10_000)
    library.annotations.delete(made.annotation.id)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(notes), ""))
    window.window_actions.import_annotations.trigger()
    qtbot.waitUntil(lambda: len(library.annotations.of_story(story)) == 1, timeout=10_000)
    assert "Imported 1" in window.statusBar().currentMessage()
