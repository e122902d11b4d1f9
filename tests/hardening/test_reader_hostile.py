"""The reader under hostile pages: every resource Qt asks for and every file Python opens is recorded while
rendering; no local file is opened, nothing remote is loaded, and the text still shows."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QByteArray, QUrl
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from tests.hardening.hostile_pages import pages
from tidings.core.models import Story
from tidings.ui.reader_view import ReaderView

PAGES = pages()  # read before any recording starts
OPENED: list[str] = []
RECORDING = False


def _audit(event: str, args: tuple[object, ...]) -> None:
    if RECORDING and event in ("open", "os.open", "io.open") and args:
        OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed: it records only while RECORDING is set


@pytest.fixture
def recording() -> Iterator[list[str]]:
    global RECORDING
    OPENED.clear()
    RECORDING = True
    try:
        yield OPENED
    finally:
        RECORDING = False


class RecordingReader(ReaderView):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[int, str]] = []
        self.returned: list[object] = []

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        self.asked.append((kind, name.toString() if isinstance(name, QUrl) else name))
        result = super().loadResource(kind, name)
        self.returned.append(result)
        return result


def story(html: str) -> Story:
    return Story(
        id=1, feed_id=1, title="\u202eTitle\u202c <b>x</b>", url="https://news.example/a",
        published=datetime(2024, 12, 24, tzinfo=UTC), read=False, starred=False, feed_title="Feed",
        content_html=html,
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_hostile_page_opens_nothing_and_loads_nothing(
    qtbot: QtBot, recording: list[str], name: str
) -> None:
    reader = RecordingReader()
    qtbot.addWidget(reader)
    reader.resize(900, 700)
    reader.show()
    stored: list[str] = []
    reader.image_source = lambda url: stored.append(url) or None  # the store has nothing: nothing may load
    started = time.perf_counter()
    reader.show_story(story(PAGES[name]))
    reader.grab()  # lay out and paint: resources are asked for then
    elapsed = time.perf_counter() - started
    assert not [path for path in recording if not path.endswith((".py", ".pyc", ".so"))], recording
    for result in reader.returned:  # a blank placeholder or nothing: never a file's bytes
        assert (isinstance(result, QImage) and result.width() <= 1) or (
            isinstance(result, QByteArray) and result.isEmpty()
        )
    assert all(url.startswith(("http://", "https://")) for url in stored)  # the store is asked, never the web
    assert "owned" not in reader.toPlainText() and "Title" in reader.toPlainText()
    # rendering stays bounded (the target is 100 ms: tests/benchmarks/reader.py prints each page's time);
    # 5 s only catches a runaway layout such as 30 nested tables, which took minutes before flattening
    assert elapsed < 5.0, f"{name} took {elapsed:.1f} s"
