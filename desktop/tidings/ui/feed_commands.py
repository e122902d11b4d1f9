"""Subscribing and feed housekeeping from the window: add (with discovery), OPML in and out, rename, move,
delete (confirmed), how a feed's stories show, and the feed list's context menu."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget

from tidings.core.errors import LOGIN_REFUSED, UserInputError, login_needed
from tidings.core.library import ImportReport, Library
from tidings.core.models import Feed, RefreshReport
from tidings.jobs.runner import JobFailure, JobRunner
from tidings.jobs.tasks import export_opml_file, import_opml_file

from .add_feed_dialog import AddFeedDialog
from .feeds_model import KEY_ROLE
from .login_dialog import LoginDialog
from .messages import show_error
from .text import plural

if TYPE_CHECKING:
    from .main_window import MainWindow

OPML_FILTER = "OPML files (*.opml *.xml);;All files (*)"
SHOW_MODES = (
    ("auto", "&Automatic (full articles for summary-only feeds)"),
    ("feed", "&Feed Text"),
    ("article", "Full &Article"),
)


def confirm_delete(parent: QWidget, feed: Feed) -> bool:
    """Asks before unsubscribing; the feed's title is shown as plain text."""
    box = QMessageBox(
        QMessageBox.Icon.Question, "Delete Feed",
        f"Unsubscribe from “{feed.title}” and delete its {plural(feed.total, 'story', 'stories')}?",
        QMessageBox.StandardButton.Cancel, parent,
    )  # fmt: skip
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText("Its starred stories are deleted too. This cannot be undone.")
    delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is delete


class FeedCommands(QObject):
    def __init__(self, window: MainWindow, library: Library, runner: JobRunner):
        super().__init__(window)
        self._window = window
        self._library = library
        self._runner = runner
        self.show_group = QActionGroup(self)
        self.show_group.setExclusive(True)
        self.show_actions: dict[str, QAction] = {}
        for mode, text in SHOW_MODES:
            action = QAction(text, self)
            action.setCheckable(True)
            action.triggered.connect(functools.partial(self.on_show_chosen, mode))
            self.show_group.addAction(action)
            self.show_actions[mode] = action
        self._asked: set[int] = set()  # feeds whose login was asked for this session
        self.login_dialog: LoginDialog | None = None
        self.images_action = QAction("Download &Images", self)
        self.images_action.setCheckable(True)
        self.images_action.setToolTip("Download this feed's article images for reading offline")
        self.images_action.triggered.connect(self.on_images_toggled)

    def add_show_menu(self, menu: QMenu | None) -> None:
        if menu is None:
            return
        menu.addSeparator()
        submenu = menu.addMenu("S&how Stories As")
        submenu.aboutToShow.connect(self._check_show_mode)
        for action in self.show_actions.values():
            submenu.addAction(action)
        self.show_menu = submenu
        menu.addAction(self.images_action)
        menu.aboutToShow.connect(self._check_show_mode)

    def _status(self, text: str, ms: int = 0) -> None:
        self._window.statusBar().showMessage(text, ms)

    # -- adding -------------------------------------------------------------------------------------
    @Slot()
    def on_add_feed(self) -> None:
        dialog = AddFeedDialog(
            self._library, self._runner, self._window.feeds_model.folder_names(), self._window
        )
        dialog.feed_added.connect(self.on_feed_added)
        dialog.open()
        self.dialog = dialog  # kept for tests and for the dialog's jobs

    def on_feed_added(self, feed: Feed) -> None:
        self._window.reload_feeds()
        self._window.feeds_view.setCurrentIndex(self._window.feeds_model.index_of(("feed", feed.id)))
        self._status(f"Added “{feed.title}” with {plural(feed.total, 'story', 'stories')}.")

    @Slot()
    def on_import_opml(self) -> None:
        path, _kind = QFileDialog.getOpenFileName(self._window, "Import OPML", "", OPML_FILTER)
        if path:
            self._status(f"Importing {path}…")
            self._runner.submit(
                import_opml_file, self._library, Path(path), on_done=self.on_opml_imported,
                on_error=functools.partial(self.on_failed, "Import OPML"),
            )  # fmt: skip

    def on_opml_imported(self, report: ImportReport) -> None:
        self._window.reload_feeds()
        fetch = " Refresh (F5) to fetch their stories." if report.added else ""
        self._status(
            f"Imported {plural(report.added, 'feed', 'feeds')} ({report.already} already subscribed).{fetch}"
        )
        if report.errors:
            skipped = f"{len(report.errors)} entries were not imported."
            show_error(self._window, "Import OPML", skipped, "\n".join(report.errors))

    @Slot()
    def on_export_opml(self) -> None:
        path, _kind = QFileDialog.getSaveFileName(
            self._window, "Export OPML", "subscriptions.opml", OPML_FILTER
        )
        if path:
            self._runner.submit(
                export_opml_file, self._library, Path(path),
                on_done=lambda p: self._status(f"Saved the subscription list to {p}."),
                on_error=functools.partial(self.on_failed, "Export OPML"),
            )  # fmt: skip

    def on_failed(self, title: str, failure: JobFailure) -> None:
        self._window.statusBar().clearMessage()
        show_error(self._window, title, failure.message)

    # -- housekeeping -------------------------------------------------------------------------------
    @Slot()
    def on_rename(self) -> None:
        feed = self._window.selected_feed()
        if feed is None:
            return
        title, ok = QInputDialog.getText(self._window, "Rename Feed", "New name:", text=feed.title)
        if ok and title.strip() and title.strip() != feed.title:
            self._write(
                self._library.rename_feed, feed.id, title.strip(), done=f"Renamed to “{title.strip()}”."
            )

    @Slot()
    def on_move(self) -> None:
        feed = self._window.selected_feed()
        if feed is None:
            return
        folders = ["(no folder)", *self._window.feeds_model.folder_names()]
        current = folders.index(feed.folder) if feed.folder in folders else 0
        name, ok = QInputDialog.getItem(
            self._window, "Move to Folder", "Folder (type a new name to create one):", folders, current, True
        )
        if ok:
            folder = None if name.strip() in ("", folders[0]) else name.strip()
            self._write(self._library.move_feed, feed.id, folder, done=f"Moved “{feed.title}”.")

    @Slot()
    def on_delete(self) -> None:
        feed = self._window.selected_feed()
        if feed is None:
            return
        if confirm_delete(self._window, feed):
            self._write(self._library.remove_feed, feed.id, done=f"Deleted “{feed.title}”.")

    @Slot()
    def on_copy_address(self) -> None:
        feed = self._window.selected_feed()
        if feed is not None:
            QGuiApplication.clipboard().setText(feed.url)
            self._status("Copied the feed's address.", 3000)

    def _check_show_mode(self) -> None:
        feed = self._window.selected_feed()
        for mode, action in self.show_actions.items():
            action.setEnabled(feed is not None)
            action.setChecked(feed is not None and feed.show == mode)
        self.images_action.setEnabled(feed is not None)
        self.images_action.setChecked(feed is not None and self._library.images_on(feed.id))

    @Slot(bool)
    def on_images_toggled(self, on: bool) -> None:
        feed = self._window.selected_feed()
        if feed is not None:
            done = "Images of this feed's articles are downloaded." if on else "No more images for this feed."
            self._write(self._library.set_images, feed.id, on, done=done)

    def on_show_chosen(self, mode: str) -> None:
        feed = self._window.selected_feed()
        if feed is not None:
            self._write(self._library.set_show, feed.id, mode, done="Changed how this feed's stories show.")
            if mode != "feed":  # pages of its stories, fetched now rather than after the next refresh
                self._runner.submit(
                    self._library.fetch_articles, on_done=lambda _r: self._window.reload_feeds()
                )

    def _write(self, work: Callable[..., object], *args: object, done: str) -> None:
        self._runner.submit(
            work,
            *args,
            on_done=lambda _r: self._written(done),
            on_error=functools.partial(self.on_failed, "Tidings"),
        )

    def _written(self, done: str) -> None:
        self._window.reload_feeds()
        self._status(done, 5000)

    # -- logins -------------------------------------------------------------------------------------
    @Slot()
    def on_log_in(self) -> None:
        feed = self._window.selected_feed()
        if feed is not None:
            self.ask_login(feed.id, feed.url)

    def ask_login(self, feed_id: int, site: str, *, refused: bool = False) -> None:
        """Ask for a feed's login, keep it (a job: the keyring may block), then refresh the feed."""
        self._asked.add(feed_id)
        self._runner.submit(
            self._library.login_storage_warning,
            on_done=lambda warning: self._open_login(feed_id, site, refused, warning),
            on_error=functools.partial(self.on_failed, "Log In"),
        )  # fmt: skip

    def _open_login(self, feed_id: int, site: str, refused: bool, warning: str | None) -> None:
        dialog = LoginDialog(site, refused=refused, warning=warning, parent=self._window)
        self.login_dialog = dialog
        dialog.accepted.connect(lambda: self._keep_login(feed_id, dialog))
        dialog.open()

    def _keep_login(self, feed_id: int, dialog: LoginDialog) -> None:
        try:
            secret = dialog.secret()
        except UserInputError as exc:
            show_error(self._window, "Log In", str(exc))
            return
        if secret is None:
            return
        keep = self._library.set_token if secret.kind == "bearer" else self._library.set_login
        args = (secret.password,) if secret.kind == "bearer" else (secret.username, secret.password)
        self._runner.submit(
            keep, feed_id, *args, on_done=lambda warning: self._login_kept(feed_id, warning),
            on_error=functools.partial(self.on_failed, "Log In"),
        )  # fmt: skip

    def _login_kept(self, feed_id: int, warning: str | None) -> None:
        self._status(warning or "Kept the login in the system keyring; refreshing the feed…", 8000)
        self._window.refresh_control.refresh([feed_id])

    def on_refreshed(self, report: RefreshReport | None) -> None:
        """A feed that asked for a login is asked about once a session, right after the refresh."""
        for outcome in report.outcomes if report is not None else ():
            if (
                outcome.http_status == 401 or login_needed(outcome.error)
            ) and outcome.feed_id not in self._asked:
                self.ask_login(outcome.feed_id, outcome.url, refused=outcome.error == LOGIN_REFUSED)
                return

    # -- the context menu ---------------------------------------------------------------------------
    def on_context_menu(self, pos: QPoint) -> None:
        view = self._window.feeds_view
        index = view.indexAt(pos)
        if index.isValid():
            view.setCurrentIndex(index)
        a = self._window.window_actions
        menu = QMenu(self._window)
        key = index.data(KEY_ROLE) if index.isValid() else ("topics", None)
        if self._window.topic_commands.fill_tree_menu(menu, key):
            menu.exec(view.viewport().mapToGlobal(pos))
            return
        menu.addAction(a.refresh_feed)
        menu.addAction(a.mark_feed_read)
        if self._window.selected_feed() is not None:
            menu.addSeparator()
            for action in (a.rename_feed, a.move_feed, a.copy_feed_address, a.log_in):
                menu.addAction(action)
            show = menu.addMenu("S&how Stories As")
            self._check_show_mode()
            for action in self.show_actions.values():
                show.addAction(action)
            menu.addAction(self.images_action)
            menu.addSeparator()
            menu.addAction(a.delete_feed)
        menu.exec(view.viewport().mapToGlobal(pos))
