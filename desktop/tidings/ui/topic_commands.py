"""Topics and saving from the window: create, rename, colour and delete topics; file stories in them (menu,
shortcut with suggestions, drag and drop onto the tree); save stories for offline reading."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tidings.core.annotating import ImportReport as AnnotationImport
from tidings.core.errors import UserInputError
from tidings.core.library import Library
from tidings.core.storage.collection import Topic
from tidings.core.storage.stories import StoryFilter
from tidings.jobs.runner import JobFailure, JobRunner

from .messages import show_error
from .text import plural

if TYPE_CHECKING:
    from .main_window import MainWindow

SUGGESTED = " (suggested)"
EXPORT_FILTER = "HTML, images inside (*.html);;Markdown (*.md);;EPUB book (*.epub)"


def _format(path: str, chosen: str) -> str:
    for fmt in ("html", "md", "epub"):
        if path.lower().endswith("." + fmt):
            return fmt
    return "epub" if "EPUB" in chosen else "md" if "Markdown" in chosen else "html"


def _file_name(title: str) -> str:
    stem = "".join(c if c.isalnum() or c in " -_" else " " for c in title).strip()[:60] or "stories"
    return stem + ".html"


def export_stories(
    library: Library, path: Path, ids: list[int] | None, flt: StoryFilter | None, fmt: str, title: str
) -> Path:
    """A job: the stories (or every story of `flt`) exported to `path`."""
    story_ids = ids if ids is not None else library.collection.story_ids(flt or StoryFilter())
    return library.collection.export_file(path, story_ids, fmt, title=title)


def export_annotations(library: Library, path: Path, fmt: str) -> Path:
    try:
        path.write_text(library.annotations.export(None, fmt), encoding="utf-8")
    except OSError as exc:
        raise UserInputError(f"{path} cannot be written: {exc.strerror or exc}.") from exc
    return path


def import_annotations(library: Library, path: Path) -> AnnotationImport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserInputError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    return library.annotations.import_w3c(data)


class FileDialog(QDialog):
    """Put a story in topics: every topic with a check box, Tidings' suggestions first, a field for a new one.

    Nothing is filed until the person presses OK: a suggestion is only ticked, never applied by itself."""

    def __init__(self, topics: list[Topic], filed: set[int], title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Add to Topics")
        self.setMinimumWidth(380)
        label = QLabel(f"Topics for “{title}”:", self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        self.topics = QListWidget(self)
        self.topics.setAccessibleName("Topics")
        for topic in topics:
            item = QListWidgetItem(topic.name)
            item.setData(Qt.ItemDataRole.UserRole, topic.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if topic.id in filed else Qt.CheckState.Unchecked)
            self.topics.addItem(item)
        self.new_topic = QLineEdit(self)
        self.new_topic.setPlaceholderText("New topic…")
        self.new_topic.setAccessibleName("New topic")
        self.suggestions = QLabel("", self)
        self.suggestions.setAccessibleName("Suggested topics")
        self.suggestion_row = QHBoxLayout()
        self.suggestion_buttons: list[QPushButton] = []
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.suggestions)
        layout.addLayout(self.suggestion_row)
        for widget in (self.topics, self.new_topic, buttons):
            layout.addWidget(widget)

    def show_suggestions(self, names: list[str]) -> None:
        """Move the suggested topics to the top, marked, and offer each as a button: one click files the story
        there. Nothing is ticked or filed by itself."""
        if not names:
            self.suggestions.setText("")
            return
        self.suggestions.setText("Suggested (one click files the story there):")
        for name in names:
            button = QPushButton(name, self)
            button.setAccessibleName(f"File in {name}")
            button.clicked.connect(functools.partial(self.accept_suggestion, name))
            self.suggestion_row.addWidget(button)
            self.suggestion_buttons.append(button)
        self.suggestion_row.addStretch(1)
        for position, name in enumerate(names):
            for row in range(self.topics.count()):
                if self.topics.item(row).text() == name:
                    item = self.topics.takeItem(row)
                    item.setText(name + SUGGESTED)
                    self.topics.insertItem(position, item)
                    break

    def accept_suggestion(self, name: str) -> None:
        for row in range(self.topics.count()):
            item = self.topics.item(row)
            if item.text() in (name, name + SUGGESTED):
                item.setCheckState(Qt.CheckState.Checked)
        self.accept()

    def chosen(self) -> tuple[set[int], str]:
        ids = {
            int(self.topics.item(r).data(Qt.ItemDataRole.UserRole))
            for r in range(self.topics.count())
            if self.topics.item(r).checkState() == Qt.CheckState.Checked
        }
        return ids, self.new_topic.text().strip()


class TopicCommands(QObject):
    def __init__(self, window: MainWindow, library: Library, runner: JobRunner):
        super().__init__(window)
        self._window = window
        self._library = library
        self._runner = runner
        self.dialog: FileDialog | None = None

    def _status(self, text: str, ms: int = 5000) -> None:
        self._window.statusBar().showMessage(text, ms)

    def _job(self, work: Callable[..., object], *args: object, done: str | Callable[[object], None]) -> None:
        def finished(result: object) -> None:
            self._window.reload_feeds()
            if callable(done):
                done(result)
            else:
                self._status(done)

        self._runner.submit(work, *args, on_done=finished, on_error=self.on_failed)

    def on_failed(self, failure: JobFailure) -> None:
        show_error(self._window, "Tidings", failure.message)

    def selected_topic(self) -> Topic | None:
        node = self._window.feeds_model.node(self._window.feeds_view.currentIndex())
        return node.topic if node is not None else None

    # -- topics -------------------------------------------------------------------------------------
    @Slot()
    def on_new_topic(self) -> None:
        name, ok = QInputDialog.getText(self._window, "New Topic", "Name of the topic:")
        if ok and name.strip():
            self._job(
                self._library.collection.create_topic,
                name.strip(),
                done=f"Created the topic “{name.strip()}”.",
            )

    @Slot()
    def on_rename_topic(self) -> None:
        topic = self.selected_topic()
        if topic is None:
            return
        name, ok = QInputDialog.getText(self._window, "Rename Topic", "New name:", text=topic.name)
        if ok and name.strip() and name.strip() != topic.name:
            self._job(
                self._library.collection.rename_topic, topic.id, name.strip(), done="Renamed the topic."
            )

    @Slot()
    def on_topic_color(self) -> None:
        topic = self.selected_topic()
        if topic is None:
            return
        color = QColorDialog.getColor(QColor(topic.color or "#3d7eff"), self._window, "Topic Colour")
        if color.isValid():
            self._job(
                self._library.collection.set_topic_color, topic.id, color.name(), done="Changed the colour."
            )

    @Slot()
    def on_delete_topic(self) -> None:
        topic = self.selected_topic()
        if topic is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question, "Delete Topic",
            f"Delete the topic “{topic.name}”? Its {plural(topic.stories, 'story', 'stories')} stay in their feeds.",
            QMessageBox.StandardButton.Cancel, self._window,
        )  # fmt: skip
        box.setTextFormat(Qt.TextFormat.PlainText)
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.exec()
        if box.clickedButton() is delete:
            self._job(
                self._library.collection.delete_topic, topic.id, done=f"Deleted the topic “{topic.name}”."
            )

    # -- filing ---------------------------------------------------------------------------------------
    def file_in(self, topic_id: int, story_ids: list[int]) -> None:
        """Put stories in a topic (from a menu or a drop on the tree)."""
        self._job(
            self._library.collection.add_to_topic, topic_id, story_ids,
            done=f"Filed {plural(len(story_ids), 'story', 'stories')}.",
        )  # fmt: skip

    @Slot()
    def on_add_to_topics(self) -> None:
        story = self._window.current_story()
        if story is None:
            return
        collection = self._library.collection
        filed = {t.id for t in collection.topics_of(story.id)}
        dialog = FileDialog(self._window.feeds_model.topics(), filed, story.title, self._window)
        self.dialog = dialog
        self._runner.submit(collection.suggest, story.id, on_done=dialog.show_suggestions)
        dialog.accepted.connect(functools.partial(self._apply_filing, story.id, filed, dialog))
        dialog.open()

    def _apply_filing(self, story_id: int, before: set[int], dialog: FileDialog) -> None:
        chosen, new_name = dialog.chosen()
        self._job(
            self._library.collection.set_topics_of, story_id, chosen, before, new_name or None,
            done=lambda _r: self._status("Filed the story." if chosen or new_name else "Took it out of its topics."),
        )  # fmt: skip

    def add_topic_menu(self, menu: QMenu, story_ids: list[int]) -> None:
        sub = menu.addMenu("Add to &Topic")
        for topic in self._window.feeds_model.topics():
            action = sub.addAction(topic.name)
            action.triggered.connect(functools.partial(self.file_in, topic.id, story_ids))
        if sub.actions():
            sub.addSeparator()
        sub.addAction(self._window.window_actions.add_to_topics)

    # -- saving ---------------------------------------------------------------------------------------
    @Slot()
    def on_toggle_saved(self) -> None:
        story = self._window.current_story()
        if story is None:
            return
        collection = self._library.collection
        if collection.is_saved(story.id):
            self._job(collection.unsave, story.id, done="The story is no longer saved.")
            return
        self._status("Saving the story for offline reading…", 0)
        self._job(collection.save, story.id, done=self._saved)

    def _saved(self, report: object) -> None:
        self._status(str(report), 8000)
        self._window.refresh_story_state()

    # -- export and import ------------------------------------------------------------------------------
    def export_target(self) -> tuple[list[int] | None, StoryFilter | None, str]:
        """What Export Stories takes: the selected topic or Saved view whole, else the story being read."""
        node = self._window.feeds_model.node(self._window.feeds_view.currentIndex())
        if node is not None and node.key[0] in ("topic", "saved"):
            return None, node.story_filter, node.title
        story = self._window.current_story()
        return ([story.id], None, story.title) if story is not None else ([], None, "")

    @Slot()
    def on_export_stories(self) -> None:
        ids, flt, title = self.export_target()
        if ids == []:
            self._status("Select a story, a topic or Saved to export.")
            return
        path, chosen = QFileDialog.getSaveFileName(
            self._window, "Export Stories", _file_name(title), EXPORT_FILTER
        )
        if not path:
            return
        fmt = _format(path, chosen)
        self._status(f"Exporting {title}…", 0)
        self._runner.submit(
            export_stories, self._library, Path(path), ids, flt, fmt, title,
            on_done=lambda p: self._status(f"Exported to {p}.", 8000), on_error=self.on_failed,
        )  # fmt: skip

    @Slot()
    def on_export_annotations(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self._window,
            "Export Highlights",
            "highlights.md",
            "Markdown (*.md);;W3C Web Annotation (*.jsonld *.json)",
        )
        if path:
            fmt = "w3c" if path.endswith((".json", ".jsonld")) or "W3C" in chosen else "md"
            self._runner.submit(
                export_annotations, self._library, Path(path), fmt,
                on_done=lambda p: self._status(f"Exported the highlights to {p}.", 8000), on_error=self.on_failed,
            )  # fmt: skip

    @Slot()
    def on_import_annotations(self) -> None:
        path, _chosen = QFileDialog.getOpenFileName(
            self._window, "Import Highlights", "", "W3C Web Annotation (*.jsonld *.json);;All files (*)"
        )
        if path:
            self._runner.submit(
                import_annotations, self._library, Path(path), on_done=self.on_annotations_imported,
                on_error=self.on_failed,
            )  # fmt: skip

    def on_annotations_imported(self, report: AnnotationImport) -> None:
        missing = f"; {len(report.unmatched)} addresses match no story here" if report.unmatched else ""
        self._status(
            f"Imported {report.added} highlights and notes ({report.already} were here){missing}.", 10000
        )
        self._window.redisplay_story()

    # -- the tree's context menu for topics -------------------------------------------------------------
    def fill_tree_menu(self, menu: QMenu, key: tuple[str, object]) -> bool:
        """Topic entries for the tree's context menu; True when the row is a topic row."""
        if key[0] not in ("topics", "topic"):
            return False
        a = self._window.window_actions
        menu.addAction(a.new_topic)
        if key[0] == "topic":
            for action in (a.rename_topic, a.topic_color, a.delete_topic):
                menu.addAction(action)
        return True
