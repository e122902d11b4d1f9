"""Highlights and notes in the window: from a selection, painted in the reader, listed beside it, deleted
and brought back with undo; orphans shown with their words."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from tests.ui.stock import add_feed, add_story
from tidings.core.library import Library
from tidings.ui.annotations_panel import index_to_qt, qt_to_index
from tidings.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")
MakeWindow = Callable[[], MainWindow]
BODY = (
    "<p>The council voted on Tuesday to rebuild the old harbour wall before the winter storms.</p>"
    "<p>Engineers said the wall had cracked in three places. The work will cost four million.</p>"
)


def select_words(window: MainWindow, words: str) -> None:
    text = window.reader.toPlainText()
    start = text.index(words)
    cursor = window.reader.textCursor()
    cursor.setPosition(index_to_qt(text, start))
    cursor.setPosition(index_to_qt(text, start + len(words)), QTextCursor.MoveMode.KeepAnchor)
    window.reader.setTextCursor(cursor)


def open_story(library: Library, make_window: MakeWindow) -> tuple[MainWindow, int]:
    feed = add_feed(library, "https://port.example/feed", "Port")
    story_id = add_story(library, feed, 1, title="Harbour wall", content=BODY)
    window = make_window()
    window.stories_view.setCurrentIndex(window.stories_model.index(0, 0))
    return window, story_id


def test_h_highlights_the_selection_paints_it_and_lists_it(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    window, story_id = open_story(library, make_window)
    select_words(window, "cracked in three places")
    window.reader.setFocus()
    qtbot.keyClick(window.reader, Qt.Key.Key_H)
    qtbot.waitUntil(lambda: len(library.annotations.of_story(story_id)) == 1)
    qtbot.waitUntil(lambda: window.annotations_panel.list.count() == 1)
    assert window.annotations_panel.isVisible()
    assert "cracked in three places" in window.annotations_panel.list.item(0).text()
    text = window.reader.toPlainText()
    cursor = QTextCursor(window.reader.document())
    cursor.setPosition(index_to_qt(text, text.index("cracked in three places")) + 2)
    assert cursor.charFormat().background().color().name() == "#fff176"  # painted yellow


def test_a_note_on_the_selection_and_on_the_story(
    qtbot: QtBot, library: Library, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, story_id = open_story(library, make_window)
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **k: ("Which storms?", True))
    select_words(window, "winter storms")
    window.annotation_control.note_action.trigger()
    qtbot.waitUntil(lambda: len(library.annotations.of_story(story_id)) == 1)
    window.annotation_control.story_note_action.trigger()
    qtbot.waitUntil(lambda: len(library.annotations.of_story(story_id)) == 2)
    notes = sorted(
        (p.annotation.anchor is None, p.annotation.note) for p in library.annotations.of_story(story_id)
    )
    assert notes == [(False, "Which storms?"), (True, "Which storms?")]
    qtbot.waitUntil(lambda: window.annotations_panel.list.count() == 2)


def test_delete_from_the_panel_and_undo(qtbot: QtBot, library: Library, make_window: MakeWindow) -> None:
    window, story_id = open_story(library, make_window)
    made = library.annotations.highlight(story_id, "rebuild the old harbour wall", note="Finally")
    window.annotation_control.show_story(story_id)
    qtbot.waitUntil(lambda: window.annotations_panel.list.count() == 1)
    panel = window.annotations_panel
    panel.list.setCurrentRow(0)
    panel.list.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: library.annotations.of_story(story_id) == [])
    assert window.window_actions.undo.isEnabled()
    window.window_actions.undo.trigger()
    qtbot.waitUntil(
        lambda: [p.annotation.id for p in library.annotations.of_story(story_id)] == [made.annotation.id]
    )
    qtbot.waitUntil(lambda: panel.list.count() == 1)


def test_clicking_a_highlight_scrolls_to_it_and_an_orphan_keeps_its_words(
    qtbot: QtBot, library: Library, make_window: MakeWindow
) -> None:
    window, story_id = open_story(library, make_window)
    kept = library.annotations.highlight(story_id, "four million")
    library.write(
        lambda c: c.execute(
            "UPDATE stories SET content = ? WHERE id = ?", ("<p>All rewritten.</p>", story_id)
        )
    )
    window.shown_story = None
    window.on_story_selected(window.stories_view.currentIndex(), window.stories_view.currentIndex())
    qtbot.waitUntil(lambda: window.annotations_panel.list.count() == 1)
    item = window.annotations_panel.list.item(0)
    assert item.text().startswith("⚠ Not found in the current text") and "four million" in item.text()
    assert library.annotations.of_story(story_id)[0].annotation.id == kept.annotation.id  # never dropped


def test_positions_convert_between_qt_and_python() -> None:
    text = "a😀b c"
    assert qt_to_index(text, 3) == 2 and index_to_qt(text, 2) == 3 and qt_to_index("abc", 2) == 2


def test_a_note_that_cannot_be_saved_is_offered_again(
    qtbot: QtBot, library: Library, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tidings.core.errors import StoreError
    from tidings.ui import annotations_panel

    window, _story = open_story(library, make_window)
    typed: list[str] = []
    shown: list[str] = []

    def ask(*args: object) -> tuple[str, bool]:
        typed.append(str(args[3]) if len(args) > 3 else "")
        return ("My careful note", True) if len(typed) == 1 else ("", False)

    monkeypatch.setattr(QInputDialog, "getMultiLineText", ask)
    monkeypatch.setattr(
        annotations_panel, "show_error", lambda _w, title, text, details: shown.append(details)
    )
    monkeypatch.setattr(
        library.annotations, "note", lambda *a, **k: (_ for _ in ()).throw(StoreError("The disk is full."))
    )
    window.annotation_control.story_note_action.trigger()
    qtbot.waitUntil(lambda: len(typed) == 2)
    assert shown == ["My careful note"] and typed[1] == "My careful note"  # offered again with the text
