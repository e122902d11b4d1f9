"""Asking for a feed's login: a user name and password (HTTP Basic) or a token (bearer), kept in the OS
keyring by the core; the dialog says when there is no keyring and the login lasts this session only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from tidings.core.credentials import Secret

KINDS = (("basic", "User name and password"), ("bearer", "Access token"))


class LoginDialog(QDialog):
    def __init__(
        self,
        site: str,
        *,
        scheme: str = "basic",
        refused: bool = False,
        user: str = "",
        warning: str | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Log In")
        intro = "The login was refused. Try again:" if refused else "This feed needs a login:"
        text = QLabel(f"{intro}\n{site}", self)
        text.setTextFormat(Qt.TextFormat.PlainText)  # the address comes from a feed
        text.setWordWrap(True)
        self.kind = QComboBox(self)
        self.kind.setAccessibleName("Kind of login")
        for value, label in KINDS:
            self.kind.addItem(label, value)
        self.kind.setCurrentIndex(1 if scheme == "bearer" else 0)
        self.user = QLineEdit(user, self)
        self.user.setAccessibleName("User name")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password or token")
        self.note = QLabel(
            warning or "Tidings keeps the login in the system keyring, never in its files.", self
        )
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Log In")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Kind:", self.kind)
        form.addRow("&User:", self.user)
        form.addRow("&Password:", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        (self.password if user else self.user).setFocus()

    def _kind_changed(self) -> None:
        token = self.kind.currentData() == "bearer"
        self.user.setEnabled(not token)
        self.password.setPlaceholderText("token" if token else "")

    def secret(self) -> Secret | None:
        """What was typed, or None when nothing was."""
        secret = self.password.text()
        if self.kind.currentData() == "bearer":
            return Secret("bearer", "", secret.strip()) if secret.strip() else None
        user = self.user.text().strip()
        return Secret("basic", user, secret) if user or secret else None
