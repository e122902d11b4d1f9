"""The reading pane loads nothing from disk or the network and opens only web links."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from pytestqt.qtbot import QtBot

from tidings.core.models import Story
from tidings.ui.reader_view import ReaderView, story_html

HOSTILE = (
    '<p>Hello <b>reader</b></p><script>alert("owned")</script>'
    '<img src="file:///etc/passwd" alt="x"><a href="javascript:alert(1)">click</a><p onclick="x()">para</p>'
)


def story(**fields: object) -> Story:
    base: dict[str, object] = {
        "id": 1,
        "feed_id": 1,
        "title": "A <i>title</i> & more",
        "url": "https://example.com/a",
        "published": datetime(2024, 12, 24, 12, 0, tzinfo=UTC),
        "read": False,
        "starred": False,
        "feed_title": "Feed <script>",
        "author": "Ann <ann@example.com>",
        "content_html": HOSTILE,
    }
    return Story(**{**base, **fields})  # type: ignore[arg-type]


@pytest.fixture
def reader(qtbot: QtBot) -> ReaderView:
    view = ReaderView()
    qtbot.addWidget(view)
    return view


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "/dev/zero", "file:///dev/zero", "https://tracker.example/p.gif"]
)
def test_every_image_is_a_placeholder_and_nothing_is_read(reader: ReaderView, url: str) -> None:
    image = reader.loadResource(QTextDocument.ResourceType.ImageResource, QUrl(url))
    assert isinstance(image, QImage) and image.size().width() == 1 and image.size().height() == 1
    assert image.pixelColor(0, 0).alpha() == 0


@pytest.mark.parametrize(
    "kind", [QTextDocument.ResourceType.StyleSheetResource, QTextDocument.ResourceType.HtmlResource]
)
def test_other_resources_are_empty(reader: ReaderView, kind: QTextDocument.ResourceType) -> None:
    data = reader.loadResource(kind, QUrl("file:///etc/passwd"))
    assert isinstance(data, QByteArray) and data.isEmpty()


class RecordingReader(ReaderView):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        self.asked.append(name.toString() if isinstance(name, QUrl) else name)
        return super().loadResource(kind, name)


def test_raw_html_pointing_at_devices_renders_without_reading_them(qtbot: QtBot) -> None:
    reader = RecordingReader()
    qtbot.addWidget(reader)
    # Bypasses the sanitizer on purpose: even unsanitized HTML must not make Qt read /dev/zero.
    reader.setHtml('<p>before</p><img src="/dev/zero"><img src="file:///etc/passwd"><p>after</p>')
    reader.show()
    qtbot.waitExposed(reader)
    assert "before" in reader.toPlainText() and "after" in reader.toPlainText()
    assert {"/dev/zero", "file:///etc/passwd"} <= set(reader.asked)  # Qt asked us, and we read nothing
    assert reader.searchPaths() == []


def test_a_story_is_sanitized_and_its_strings_escaped(reader: ReaderView) -> None:
    reader.show_story(story())
    text = reader.toPlainText()
    assert "A <i>title</i> & more" in text and "Feed <script>" in text and "Ann <ann@example.com>" in text
    assert "Hello reader" in text and "alert" not in text
    html = story_html(story())
    assert "<script>" not in html.lower() and "javascript:" not in html and "onclick" not in html
    assert "file:///etc/passwd" not in html


def test_an_empty_story_says_so(reader: ReaderView) -> None:
    reader.show_story(story(content_html="", summary_html="", text=""))
    assert "no text" in reader.toPlainText()


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "mailto:x@example.com", "data:text/html,x"]
)
def test_only_web_links_leave_the_window(
    reader: ReaderView, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    reader.anchorClicked.emit(QUrl(url))
    assert opened == []
    reader.anchorClicked.emit(QUrl("https://example.com/story"))
    assert opened == [QUrl("https://example.com/story")]


def test_links_are_not_followed_inside_the_reader(reader: ReaderView) -> None:
    assert not reader.openLinks() and not reader.openExternalLinks()


HOSTILE_FRAGMENTS = [
    '<img src="/dev/zero"><img src="file:///etc/passwd"><img src="//tracker.example/p.gif">',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg><img src=x onerror="alert(1)">',
    '<form action="file:///tmp"><input type="password"></form><object data="file:///dev/zero"></object>',
    '<link rel="stylesheet" href="file:///etc/passwd"><style>@import "file:///etc/passwd";</style>',
    "<table><tr><td>" * 30 + "deep" + "</td></tr></table>" * 30,
    '<video poster="https://tracker.example/poster.jpg"></video><img src="https://img.example/photo.jpg">',
]
DATA = Path(__file__).resolve().parents[1] / "data"


def hostile_pages() -> list[str]:
    pages = [p.read_text(errors="replace") for p in sorted((DATA / "pages").glob("*.html"))]
    return [
        *HOSTILE_FRAGMENTS,
        *pages,
        (DATA / "feeds" / "hostile" / "page.html").read_text(errors="replace"),
    ]


def test_rendering_hostile_pages_never_reads_a_file_or_the_network(qtbot: QtBot) -> None:
    reader = RecordingReader()
    qtbot.addWidget(reader)
    reader.resize(800, 600)
    reader.show()
    asked_store: list[str] = []
    cached = QImage(40, 30, QImage.Format.Format_RGB32)
    cached.fill(0x336699)
    reader.image_source = lambda url: asked_store.append(url) or (cached if "img.example" in url else None)
    returned: list[object] = []
    original = ReaderView.loadResource

    def spy(self: ReaderView, kind: int, name: QUrl | str) -> object:
        result = original(self, kind, name)
        returned.append(result)
        return result

    ReaderView.loadResource = spy  # type: ignore[method-assign]
    try:
        for page in hostile_pages():
            reader.show_story(story(content_html=page, url="https://example.com/a"))
            qtbot.wait(1)
    finally:
        ReaderView.loadResource = original  # type: ignore[method-assign]
    assert reader.asked, "Qt asked for resources"
    assert all(url.startswith(("http://", "https://")) for url in asked_store)  # the store only sees web URLs
    for result in returned:  # an image from the store, the blank placeholder, or nothing at all
        assert (isinstance(result, QImage) and (result.size().width() <= 1 or result == cached)) or (
            isinstance(result, QByteArray) and result.isEmpty()
        )
    assert "https://img.example/photo.jpg" in asked_store


def test_a_stored_image_is_shown_and_a_wide_one_fits_the_column(qtbot: QtBot) -> None:
    reader = ReaderView()
    qtbot.addWidget(reader)
    reader.resize(700, 500)
    wide = QImage(3000, 1000, QImage.Format.Format_RGB32)
    wide.fill(0x808080)
    reader.image_source = lambda url: wide if url == "https://img.example/wide.jpg" else None
    image = reader.loadResource(
        QTextDocument.ResourceType.ImageResource, QUrl("https://img.example/wide.jpg")
    )
    assert isinstance(image, QImage) and 100 < image.width() < 700 and image.height() < 1000
    other = reader.loadResource(
        QTextDocument.ResourceType.ImageResource, QUrl("https://img.example/gone.jpg")
    )
    assert isinstance(other, QImage) and other.width() == 1


def test_very_long_text_is_split_into_paragraphs_and_a_huge_body_is_cut_with_a_note() -> None:
    from tidings.ui.reader_view import MAX_BODY_CHARS, bounded

    run = "<p>" + "word " * 5000 + "</p>"
    split = bounded(run)
    assert split.count("<p>") > 3 and split.replace("</p><p>", " ").split() == run.split()
    huge = "<p>" + "x " * MAX_BODY_CHARS + "</p>"
    cut = bounded(huge)
    assert len(cut) < MAX_BODY_CHARS * 1.01 < len(huge) and "too long to show whole" in cut
    assert bounded("<p>short</p>") == "<p>short</p>"


def test_a_figure_is_a_block_of_its_own_with_its_caption() -> None:
    from tidings.ui.reader_view import bounded

    html = bounded(
        '<p>Before.</p><figure><img src="https://x.example/a.png"><figcaption>A crane</figcaption></figure>'
    )
    assert "<figure" not in html and '<p class="caption">A crane</p>' in html and "<div>" in html
