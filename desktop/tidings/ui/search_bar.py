"""Search: a field over the full-text index with an all/unread/starred filter, and a snippet delegate that
shows the matched words highlighted."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAbstractTextDocumentLayout, QKeyEvent, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from tidings.core.storage.stories import StoryFilter

from .stories_model import SNIPPET_MARKS, SNIPPET_ROLE

FILTERS = (
    ("All stories", StoryFilter()),
    ("Unread", StoryFilter(unread=True)),
    ("Starred", StoryFilter(starred=True)),
)
TYPING_PAUSE_MS = 300


class SearchField(QLineEdit):
    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class SearchBar(QWidget):
    """Emits `search_requested(query, filter)` a moment after typing stops (or on Enter), `cleared` when the
    field is emptied or Escape is pressed."""

    search_requested = Signal(str, object)
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.field = SearchField(self)
        self.field.setPlaceholderText("Search (Ctrl+F or /)")
        self.field.setClearButtonEnabled(True)
        self.field.setAccessibleName("Search stories")
        self.field.setMinimumWidth(220)
        self.scope = QComboBox(self)
        self.scope.setAccessibleName("Search in")
        for label, _flt in FILTERS:
            self.scope.addItem(label)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(TYPING_PAUSE_MS)
        self._pause.timeout.connect(self.on_pause)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.scope)
        self.field.textChanged.connect(self.on_text_changed)
        self.field.returnPressed.connect(self.on_pause)
        self.field.escaped.connect(self.clear)
        self.scope.currentIndexChanged.connect(lambda _i: self.on_pause())

    def focus(self) -> None:
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    @property
    def story_filter(self) -> StoryFilter | None:
        """The scope chosen; None for "this list" (the caller knows which list that is)."""
        return FILTERS[max(0, self.scope.currentIndex())][1]

    @Slot()
    def clear(self) -> None:
        self.field.clear()
        self.cleared.emit()

    @Slot(str)
    def on_text_changed(self, text: str) -> None:
        if text.strip():
            self._pause.start()
        else:
            self._pause.stop()
            self.cleared.emit()

    @Slot()
    def on_pause(self) -> None:
        self._pause.stop()
        query = self.field.text().strip()
        if query:
            self.search_requested.emit(query, self.story_filter)


def snippet_html(snippet: str, highlight: str) -> str:
    """The snippet escaped, with the matched words (between SNIPPET_MARKS) in bold on a highlight."""
    start, end = SNIPPET_MARKS
    text = html.escape(snippet.replace("\n", " "))
    return text.replace(start, f'<b style="background-color:{highlight}">').replace(end, "</b>")


class SnippetDelegate(QStyledItemDelegate):
    """Paints a search snippet with its matches highlighted (rich text in one line)."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        snippet = index.data(SNIPPET_ROLE)
        if not snippet:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = QTextDocument()
        doc.setDocumentMargin(2)
        doc.setDefaultFont(opt.font)
        highlight = opt.palette.color(QPalette.ColorRole.Highlight).lighter(170).name()
        doc.setHtml(snippet_html(snippet, highlight))
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(role))
        painter.save()
        painter.translate(opt.rect.topLeft())
        clip = QRectF(0, 0, opt.rect.width(), opt.rect.height())
        painter.setClipRect(clip)
        context.clip = clip
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return super().sizeHint(option, index)
