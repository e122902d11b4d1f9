"""Highlights and notes in the window: made from the reader's selection, painted over the story, listed in a
side panel (click to scroll there, edit, delete with undo). Every change is a job; each is durable on disk
when it reports back."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction, QColor, QKeyEvent, QKeySequence, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tidings.core import annotations as anno
from tidings.core.annotating import PlacedAnnotation
from tidings.core.library import Library
from tidings.core.storage.annotations import StoredAnnotation
from tidings.jobs.runner import JobFailure, JobRunner

from .messages import show_error
from .reader_view import ReaderView

if TYPE_CHECKING:
    from .main_window import MainWindow

CONTEXT = 64  # characters of the document around a selection sent as its context
UUID_ROLE = Qt.ItemDataRole.UserRole


def qt_to_index(text: str, position: int) -> int:
    """A QTextDocument position (UTF-16 units) as an index into the Python string `text` (code points)."""
    if text.isascii():
        return position
    units = 0
    for index, char in enumerate(text):
        if units >= position:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def index_to_qt(text: str, index: int) -> int:
    return index + sum(1 for char in text[:index] if ord(char) > 0xFFFF)


def place_in_document(document_text: str, placed: PlacedAnnotation) -> tuple[int, int] | None:
    """Where an annotation placed in the story's normalised text is in the reader's document (Python indices
    into `document_text`), found again by its quote and context: the document has a header, images and
    whitespace the story's text has not."""
    anchor = placed.annotation.anchor
    if anchor is None or placed.start is None:
        return None
    normal, offsets = anno.normalise_map(document_text)
    found = anno.reanchor(normal, anno.Anchor(anchor.quote, None))
    if not found.placed or found.start is None or found.end is None or found.end <= found.start:
        return None
    return offsets[found.start], offsets[found.end - 1] + 1


class AnnotationsPanel(QWidget):
    """The list beside the reader: each highlight's words and note, orphans marked, notes on the story."""

    activated = Signal(str)  # an annotation's id: scroll to it
    edit_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Highlights and notes", self)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Highlights and notes")
        self.list.setWordWrap(True)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.empty = QLabel(
            "Select words in the story and press H to highlight them, or N to add a note.", self
        )
        self.empty.setWordWrap(True)
        self.note_button = QPushButton("Note on the Story…", self)
        self.note_button.setAccessibleName("Add a note on the whole story")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        row = QHBoxLayout()
        row.addWidget(self.note_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.list.itemActivated.connect(lambda item: self.activated.emit(item.data(UUID_ROLE)))
        self.list.itemClicked.connect(lambda item: self.activated.emit(item.data(UUID_ROLE)))
        self.list.customContextMenuRequested.connect(self.on_context_menu)
        self.setAccessibleName("Annotations")

    def show_annotations(self, placed: list[PlacedAnnotation]) -> None:
        self.list.clear()
        for item in placed:
            self.list.addItem(_item(item))
        self.empty.setVisible(not placed)

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(UUID_ROLE)) if item is not None else None

    def on_context_menu(self, pos: QPoint) -> None:
        uuid = self.current_id()
        if uuid is None:
            return
        menu = QMenu(self)
        menu.addAction("Edit Note…", lambda: self.edit_requested.emit(uuid))
        menu.addAction("Delete", lambda: self.delete_requested.emit(uuid))
        menu.exec(self.list.viewport().mapToGlobal(pos))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        uuid = self.current_id()
        if uuid and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_requested.emit(uuid)
            return
        if uuid and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2):
            self.edit_requested.emit(uuid)
            return
        super().keyPressEvent(event)


def _item(placed: PlacedAnnotation) -> QListWidgetItem:
    a = placed.annotation
    if a.anchor is None:
        text, spoken = f"Note: {a.note}", f"Note on the story: {a.note}"
    else:
        quote = a.anchor.quote.exact
        short = quote if len(quote) <= 160 else quote[:157] + "…"
        lost = placed.status == "orphan"
        text = (
            ("⚠ Not found in the current text: " if lost else "")
            + f"“{short}”"
            + (f"\n{a.note}" if a.note else "")
        )
        spoken = f"{'Orphaned highlight' if lost else 'Highlight'} ({a.color}): {quote}. {a.note}"
    item = QListWidgetItem(text)
    item.setData(UUID_ROLE, a.id)
    item.setData(Qt.ItemDataRole.AccessibleTextRole, spoken)
    item.setToolTip(text)
    if a.anchor is not None:
        item.setData(Qt.ItemDataRole.DecorationRole, QColor(anno.COLORS.get(a.color, "#fff176")))
    return item


class AnnotationControl(QObject):
    """Ties the reader, the panel and the store together for the story being read."""

    def __init__(self, window: MainWindow, library: Library, runner: JobRunner, panel: AnnotationsPanel):
        super().__init__(window)
        self._window = window
        self._library = library
        self._runner = runner
        self.panel = panel
        self._story_id: int | None = None
        self.placed: list[PlacedAnnotation] = []
        self.highlight_action = self._action("&Highlight", "H", "Highlight the selected words")
        self.note_action = self._action("Add &Note…", "N", "Highlight the selected words with a note")
        self.story_note_action = self._action("Note on the &Story…", "Shift+N", "A note on the whole story")
        self.color_actions = {name: self._color_action(name) for name in anno.COLORS}
        self.highlight_action.triggered.connect(lambda: self.highlight(anno.DEFAULT_COLOR))
        self.note_action.triggered.connect(self.on_note_triggered)
        self.story_note_action.triggered.connect(self.on_story_note_triggered)
        panel.note_button.clicked.connect(self.on_story_note_triggered)
        panel.activated.connect(self.scroll_to)
        panel.edit_requested.connect(self.on_edit_requested)
        panel.delete_requested.connect(self.on_delete_requested)
        self.reader.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.reader.customContextMenuRequested.connect(self.on_reader_menu)
        self.reader.selectionChanged.connect(self._enable)
        self._enable()

    @property
    def reader(self) -> ReaderView:
        return self._window.reader

    def _action(self, text: str, keys: str, tip: str) -> QAction:
        action = QAction(text, self._window)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(f"{tip} ({keys})")
        self._window.splitter.addAction(action)
        return action

    def _color_action(self, name: str) -> QAction:
        action = QAction(name.capitalize(), self._window)
        action.triggered.connect(functools.partial(self.highlight, name))
        return action

    def actions(self) -> list[QAction]:
        return [self.highlight_action, self.note_action, self.story_note_action]

    def _enable(self) -> None:
        selected = self._story_id is not None and self.reader.textCursor().hasSelection()
        self.highlight_action.setEnabled(selected)
        self.note_action.setEnabled(selected)
        self.story_note_action.setEnabled(self._story_id is not None)
        self.panel.note_button.setEnabled(self._story_id is not None)

    # -- the story being read -------------------------------------------------------------------------
    def show_story(self, story_id: int | None) -> None:
        """Load and paint the story's annotations (in a job: re-anchoring may write)."""
        self._story_id = story_id
        self.placed = []
        self.panel.show_annotations([])
        self._enable()
        if story_id is not None:
            self.reload()

    def reload(self) -> None:
        story_id = self._story_id
        if story_id is not None:
            self._runner.submit(
                self._library.annotations.of_story, story_id,
                on_done=functools.partial(self.on_loaded, story_id), on_error=self.on_failed,
            )  # fmt: skip

    def on_loaded(self, story_id: int, placed: list[PlacedAnnotation]) -> None:
        if story_id != self._story_id:
            return  # the reader moved on meanwhile
        self.placed = placed
        self.panel.show_annotations(placed)
        if placed:
            self._window.panel_action.setChecked(True)  # a story with notes opens them beside it
        self.paint()

    def paint(self) -> None:
        """Colour the highlights in the reader (the document, not the stored HTML: the story stays as it was)."""
        document_text = self.reader.toPlainText()
        for placed in self.placed:
            span = place_in_document(document_text, placed)
            if span is None:
                continue
            cursor = QTextCursor(self.reader.document())
            cursor.setPosition(index_to_qt(document_text, span[0]))
            cursor.setPosition(index_to_qt(document_text, span[1]), QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setBackground(QColor(anno.COLORS.get(placed.annotation.color, "#fff176")))
            fmt.setForeground(QColor("#1d1d1f"))
            cursor.mergeCharFormat(fmt)

    def scroll_to(self, uuid: str) -> None:
        placed = next((p for p in self.placed if p.annotation.id == uuid), None)
        if placed is None:
            return
        document_text = self.reader.toPlainText()
        span = place_in_document(document_text, placed)
        if span is None:
            self._window.statusBar().showMessage("This one is not in the story's current text.", 4000)
            return
        cursor = self.reader.textCursor()
        cursor.setPosition(index_to_qt(document_text, span[0]))
        cursor.setPosition(index_to_qt(document_text, span[1]), QTextCursor.MoveMode.KeepAnchor)
        self.reader.setTextCursor(cursor)
        self.reader.ensureCursorVisible()

    # -- making ---------------------------------------------------------------------------------------------
    def selection(self) -> tuple[str, str, str] | None:
        cursor = self.reader.textCursor()
        if not cursor.hasSelection():
            return None
        text = self.reader.toPlainText()
        start, end = qt_to_index(text, cursor.selectionStart()), qt_to_index(text, cursor.selectionEnd())
        return text[start:end], text[max(0, start - CONTEXT) : start], text[end : end + CONTEXT]

    def highlight(self, color: str, note: str = "") -> None:
        chosen = self.selection()
        story_id = self._story_id
        if chosen is None or story_id is None:
            return
        quote, prefix, suffix = chosen
        self._runner.submit(
            self._library.annotations.highlight, story_id, quote, note=note, color=color,
            prefix=anno.normalise_text(prefix), suffix=anno.normalise_text(suffix),
            on_done=lambda _p: self._changed("Highlighted."),
            on_error=functools.partial(self.on_note_failed, note) if note else self.on_failed,
        )  # fmt: skip

    @Slot()
    def on_note_triggered(self, text: str = "") -> None:
        if self.selection() is None:
            return
        note, ok = QInputDialog.getMultiLineText(
            self._window, "Add Note", "Note on the selected words:", text
        )
        if ok:
            self.highlight(anno.DEFAULT_COLOR, note.strip())

    @Slot()
    def on_story_note_triggered(self, text: str = "") -> None:
        story_id = self._story_id
        if story_id is None:
            return
        note, ok = QInputDialog.getMultiLineText(self._window, "Note on the Story", "Note:", text)
        if ok and note.strip():
            self._runner.submit(
                self._library.annotations.note, story_id, note.strip(),
                on_done=lambda _p: self._changed("Noted."),
                on_error=functools.partial(self.on_note_failed, note.strip(), whole_story=True),
            )  # fmt: skip

    def on_note_failed(self, note: str, failure: JobFailure, *, whole_story: bool = False) -> None:
        """A note that could not be kept (a full disk, say) is not lost: it is offered again to try later."""
        show_error(self._window, "The note was not saved", failure.message, note)
        if whole_story:
            self.on_story_note_triggered(note)
        else:
            self.on_note_triggered(note)

    # -- changing ---------------------------------------------------------------------------------------------
    def on_edit_requested(self, uuid: str) -> None:
        placed = next((p for p in self.placed if p.annotation.id == uuid), None)
        if placed is None:
            return
        note, ok = QInputDialog.getMultiLineText(self._window, "Edit Note", "Note:", placed.annotation.note)
        if ok:
            self._runner.submit(
                self._library.annotations.edit, uuid, note=note.strip(),
                on_done=lambda before: self._undoable("Changed the note.", before), on_error=self.on_failed,
            )  # fmt: skip

    def on_delete_requested(self, uuid: str) -> None:
        self._runner.submit(
            self._library.annotations.delete, uuid,
            on_done=lambda gone: self._undoable("Deleted. Undo with Ctrl+Z.", gone), on_error=self.on_failed,
        )  # fmt: skip

    def _undoable(self, message: str, before: StoredAnnotation) -> None:
        self._window.push_undo(message.split(".")[0], functools.partial(self.restore, before))
        self._changed(message)

    def restore(self, before: StoredAnnotation) -> None:
        self._runner.submit(
            self._library.annotations.restore, before,
            on_done=lambda _r: self._changed("Restored."), on_error=self.on_failed,
        )  # fmt: skip

    def _changed(self, message: str) -> None:
        self._window.statusBar().showMessage(message, 5000)
        self._window.redisplay_story()

    def on_failed(self, failure: JobFailure) -> None:
        self._window.statusBar().showMessage(failure.message, 8000)

    def on_reader_menu(self, pos: QPoint) -> None:
        menu = self.reader.createStandardContextMenu(pos)
        if self._story_id is not None:
            menu.addSeparator()
            colors = QMenu("Highlight in &Colour", menu)
            for action in self.color_actions.values():
                action.setEnabled(self.reader.textCursor().hasSelection())
                colors.addAction(action)
            for action in (self.highlight_action, self.note_action):
                menu.addAction(action)
            menu.addMenu(colors)
            menu.addAction(self.story_note_action)
        menu.exec(self.reader.viewport().mapToGlobal(pos))
