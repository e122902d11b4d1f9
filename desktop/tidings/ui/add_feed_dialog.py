"""Adding a feed: type a feed's or a website's address, see the feeds it offers, pick one, add it.

Discovery and subscribing run as jobs; the dialog stays responsive and says in a sentence what went wrong.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tidings.core.errors import LoginNeededError, UserInputError
from tidings.core.library import Library
from tidings.core.models import Feed, FeedLink
from tidings.jobs.runner import JobFailure, JobRunner

from .login_dialog import LoginDialog

NO_FOLDER = "(no folder)"


class AddFeedDialog(QDialog):
    feed_added = Signal(Feed)

    def __init__(
        self, library: Library, runner: JobRunner, folders: list[str], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self._library = library
        self._runner = runner
        self._found_for = ""
        self.login_dialog: LoginDialog | None = None
        self.setWindowTitle("Add Feed")
        self.setMinimumWidth(520)
        self.address = QLineEdit(self)
        self.address.setPlaceholderText("https://example.com or https://example.com/feed.xml")
        self.address.setAccessibleName("Address of a feed or a website")
        self.find_button = QPushButton("&Find Feeds", self)
        self.find_button.setAccessibleName("Find feeds")
        self.folder = QComboBox(self)
        self.folder.setEditable(True)
        self.folder.addItems([NO_FOLDER, *folders])
        self.folder.setAccessibleName("Folder")
        self.found = QListWidget(self)
        self.found.setAccessibleName("Feeds found")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setAccessibleName("Status")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.add_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.add_button.setText("&Add")
        self.add_button.setEnabled(False)
        self._lay_out()
        self.address.textChanged.connect(self.on_address_changed)
        self.address.returnPressed.connect(self.on_find_clicked)
        self.find_button.clicked.connect(self.on_find_clicked)
        self.found.currentRowChanged.connect(self.on_choice_changed)
        self.found.itemDoubleClicked.connect(lambda _item: self.accept())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _lay_out(self) -> None:
        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        row.addWidget(self.find_button)
        form = QFormLayout()
        form.addRow("&Address:", row)
        form.addRow("F&older:", self.folder)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Feeds this address offers:", self))
        layout.addWidget(self.found, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        for first, second in (
            (self.address, self.find_button),
            (self.find_button, self.folder),
            (self.folder, self.found),
            (self.found, self.buttons),
        ):
            QWidget.setTabOrder(first, second)

    # -- discovering ----------------------------------------------------------------------------------
    @Slot(str)
    def on_address_changed(self, text: str) -> None:
        self.find_button.setEnabled(bool(text.strip()))
        if text.strip() != self._found_for:
            self.found.clear()
            self.add_button.setEnabled(False)

    @Slot()
    def on_find_clicked(self) -> None:
        url = self.address.text().strip()
        if not url:
            self._say("Type the address of a feed or of a website first.")
            return
        if url == self._found_for and self.found.count():
            self.accept()  # Enter twice: find, then add
            return
        self._busy(f"Looking for feeds at {url}…")
        self._runner.submit(self._library.discover, url, on_done=self.on_found, on_error=self.on_failed)

    def on_found(self, links: list[FeedLink]) -> None:
        self._found_for = self.address.text().strip()
        self._idle()
        self.found.clear()
        for link in links:
            item = QListWidgetItem(f"{link.title or link.url}\n{link.url}")
            item.setData(Qt.ItemDataRole.UserRole, link.url)
            item.setToolTip(link.url)
            self.found.addItem(item)
        if links:
            self.found.setCurrentRow(0)
            count = "one feed" if len(links) == 1 else f"{len(links)} feeds"
            self._say(f"Found {count}. Choose one and press Add.")
            self.add_button.setDefault(True)
        else:
            self._say("No feed was found at this address.")

    def on_failed(self, failure: JobFailure) -> None:
        self._idle()
        self._say(failure.message)
        if isinstance(failure.error, LoginNeededError):
            self._ask_login(failure.error)

    def _ask_login(self, error: LoginNeededError) -> None:
        """A feed behind a login: ask for it here, then subscribe with it (the core keeps it in the keyring)."""
        dialog = LoginDialog(error.url, scheme=error.scheme, refused=error.refused, parent=self)
        self.login_dialog = dialog
        dialog.accepted.connect(lambda: self._add_with_login(error.url, dialog))
        dialog.open()

    def _add_with_login(self, url: str, dialog: LoginDialog) -> None:
        try:
            login = dialog.secret()
        except UserInputError as exc:
            self._say(str(exc))
            return
        if login is None:
            return
        self._busy(f"Subscribing to {url} with the login…")
        self._runner.submit(
            self._library.add_feed, url, folder=self.chosen_folder(), login=login,
            on_done=self.on_added, on_error=self.on_failed,
        )  # fmt: skip

    @Slot(int)
    def on_choice_changed(self, row: int) -> None:
        self.add_button.setEnabled(row >= 0)

    def chosen_url(self) -> str | None:
        item = self.found.currentItem()
        url = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return str(url) if url else None

    def chosen_folder(self) -> str | None:
        name = self.folder.currentText().strip()
        return None if not name or name == NO_FOLDER else name

    # -- adding -----------------------------------------------------------------------------------------
    def accept(self) -> None:
        url = self.chosen_url()
        if url is None:
            self.on_find_clicked()
            return
        self._busy(f"Subscribing to {url}…")
        self._runner.submit(
            self._library.add_feed,
            url,
            folder=self.chosen_folder(),
            on_done=self.on_added,
            on_error=self.on_failed,
        )

    def on_added(self, feed: Feed) -> None:
        self._idle()
        self.feed_added.emit(feed)
        super().accept()

    # -- state ------------------------------------------------------------------------------------------
    def _busy(self, text: str) -> None:
        self._say(text)
        for widget in (self.find_button, self.add_button, self.address):
            widget.setEnabled(False)

    def _idle(self) -> None:
        self.address.setEnabled(True)
        self.find_button.setEnabled(True)
        self.add_button.setEnabled(self.found.currentRow() >= 0)

    def _say(self, text: str) -> None:
        self.status.setText(text)
