"""Feeds behind a login, in the window: adding one asks for the login, a refresh that meets a 401 asks once,
and the login is kept by the core (here an in-memory store: the keyring itself is tested in the core)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.loopback import LoopbackServer
from tests.ui.stock import add_feed
from tidings.core.library import Library
from tidings.jobs.runner import JobRunner
from tidings.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")
MakeWindow = Callable[[], MainWindow]
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Members</title><link>http://127.0.0.1/</link>
<description>d</description><item><title>For members only</title><guid>m1</guid></item></channel></rss>"""


def test_adding_a_feed_behind_a_login_asks_for_it(
    qtbot: QtBot, library: Library, server: LoopbackServer, make_window: MakeWindow
) -> None:
    server.serve_basic("/members.xml", RSS, "ann", "s3cret")
    window = make_window()
    window.window_actions.add_feed.trigger()
    dialog = window.feed_commands.dialog
    qtbot.keyClicks(dialog.address, server.url("/members.xml"))
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: dialog.login_dialog is not None and dialog.login_dialog.isVisible(), timeout=20_000
    )
    login = dialog.login_dialog
    assert login is not None
    login.user.setText("ann")
    login.password.setText("s3cret")
    login.accept()
    qtbot.waitUntil(lambda: window.feeds_model.feed_count() == 1, timeout=20_000)
    feed = library.feeds()[0]
    assert feed.title == "Members" and feed.auth == "basic" and feed.total == 1


def test_a_refresh_that_meets_a_401_asks_once_and_then_refreshes_with_the_login(
    qtbot: QtBot, library: Library, runner: JobRunner, server: LoopbackServer, make_window: MakeWindow
) -> None:
    server.serve_basic("/members.xml", RSS, "ann", "s3cret")
    feed_id = add_feed(library, server.url("/members.xml"), "Members")
    window = make_window()
    window.window_actions.refresh.trigger()
    commands = window.feed_commands
    qtbot.waitUntil(
        lambda: commands.login_dialog is not None and commands.login_dialog.isVisible(), timeout=20_000
    )
    assert "needs a login" in commands.login_dialog.findChildren(type(commands.login_dialog.note))[0].text()  # type: ignore[union-attr]
    commands.login_dialog.user.setText("ann")  # type: ignore[union-attr]
    commands.login_dialog.password.setText("s3cret")  # type: ignore[union-attr]
    commands.login_dialog.accept()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: library.feed(feed_id).total == 1, timeout=20_000)
    assert library.feed(feed_id).error is None
