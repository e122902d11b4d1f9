"""The reading pane: a story's sanitized HTML in a QTextBrowser that loads nothing and runs nothing.

QTextBrowser has no JavaScript, but by default it follows links itself and `loadResource` reads any
`file://` path (or a relative path through its search paths). Here an image comes only from the local
image store (through `image_source`, which never touches the network), every other image is a blank
placeholder, every other resource is empty, and only http(s) links leave the window, to the system browser.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QImage,
    QResizeEvent,
    QTextDocument,
    QTextFrameFormat,
)
from PySide6.QtWidgets import QTextBrowser, QWidget

from tidings.core.models import Story
from tidings.core.sanitize import absolute_url, sanitize_html
from tidings.core.storage.articles import StoredArticle

from .text import UNTITLED, format_time

OPENABLE_SCHEMES = frozenset({"http", "https"})
MEASURE_CHARS = 70  # a readable line: about seventy characters
MIN_MARGIN = 18
ImageSource = Callable[[str], QImage | None]


@dataclass(frozen=True, slots=True)
class Typography:
    """How the reader sets text: a family ("serif", "sans" or a font name), a size and the theme's colours."""

    family: str = "serif"
    size_pt: int = 11
    text: str = "#1d1d1f"
    muted: str = "#6e6e73"
    link: str = "#0b57d0"
    rule: str = "#d0d0d5"

    @property
    def font_family(self) -> str:
        return f"'{resolve_family(self.family)}'"


FAMILIES = {
    "serif": (
        "Source Serif 4",
        "Charter",
        "Georgia",
        "Noto Serif",
        "DejaVu Serif",
        "Liberation Serif",
        "Times New Roman",
    ),
    "sans": (
        "Inter",
        "Segoe UI",
        "Noto Sans",
        "Cantarell",
        "DejaVu Sans",
        "Liberation Sans",
        "Helvetica",
        "Arial",
    ),
}


@functools.cache
def resolve_family(family: str) -> str:
    """An installed font for "serif"/"sans" (Qt's style sheets take one family, not a fallback list)."""
    installed = set(QFontDatabase.families())
    for name in FAMILIES.get(family, (family,)):
        if name in installed:
            return name
    hint = QFont.StyleHint.Serif if family == "serif" else QFont.StyleHint.SansSerif
    font = QFont()
    font.setStyleHint(hint)
    return font.defaultFamily()


def stylesheet(t: Typography) -> str:
    return f"""
body {{ color: {t.text}; }}
p, li {{ line-height: 150%; }}
h1 {{ font-size: 170%; font-weight: 600; margin-bottom: 6px; line-height: 120%; }}
h2 {{ font-size: 135%; }} h3 {{ font-size: 115%; }}
a {{ color: {t.link}; text-decoration: none; }}
p.byline {{ color: {t.muted}; margin-top: 0; font-size: 90%; }}
p.hint {{ color: {t.muted}; font-style: italic; }}
blockquote {{ color: {t.muted}; margin-left: 18px; }}
figcaption, .caption {{ color: {t.muted}; font-size: 90%; }}
pre, code {{ font-family: 'DejaVu Sans Mono', monospace; font-size: 90%; }}
hr {{ color: {t.rule}; }}
"""


def _placeholder_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    return image


def wants_article(story: Story, article: StoredArticle | None, show: str) -> bool:
    """Whether a story opens on its extracted article: a good one, unless the feed is set to its own text."""
    return show != "feed" and article is not None and article.is_article and not article.failure


MAX_BODY_CHARS = 1_500_000  # beyond this a story is cut with a note (real stories are a few dozen KB)
LONG_RUN = re.compile(r"[^<]{8000,}")  # text without a tag for this long: one huge block to lay out
SPLIT_EVERY = 4000


def bounded(body: str) -> str:
    """Keep rendering quick whatever a feed sends: Qt lays out one block in time that grows faster than its
    length (a 2 MB paragraph: ~2 s; the same text in 500 paragraphs: ~0.1 s), so very long runs of text are
    split into paragraphs, and a body past MAX_BODY_CHARS is cut, saying so."""
    note = ""
    if len(body) > MAX_BODY_CHARS:
        cut = body.rfind("<", 0, MAX_BODY_CHARS)
        cut = cut if cut > body.rfind(">", 0, MAX_BODY_CHARS) else MAX_BODY_CHARS
        body = body[:cut]
        note = (
            '<p class="hint">This story is too long to show whole here: open the original for the rest.</p>'
        )
    return _qt_blocks(LONG_RUN.sub(_split_run, body)) + note


QT_BLOCKS = re.compile(
    r"<(/?)(figure|figcaption|section|article|header|footer|aside|main)\b[^>]*>", re.IGNORECASE
)


def _qt_blocks(body: str) -> str:
    """HTML5 blocks as the blocks Qt's rich text knows: an unknown tag is laid out inline, so a figure would
    run into the paragraph before it. A caption becomes a paragraph of its own, in the caption style."""

    def block(match: re.Match[str]) -> str:
        closing, tag = match.group(1), match.group(2).lower()
        if tag == "figcaption":
            return "</p>" if closing else '<p class="caption">'
        return f"<{closing}div>"

    return QT_BLOCKS.sub(block, body)


def _split_run(match: re.Match[str]) -> str:
    text, parts, start = match.group(0), [], 0
    while len(text) - start > SPLIT_EVERY:
        space = text.find(" ", start + SPLIT_EVERY)
        if space < 0:
            break
        parts.append(text[start:space])
        start = space + 1
    parts.append(text[start:])
    return "</p><p>".join(parts)


def story_html(story: Story, article: StoredArticle | None = None, *, use_article: bool | None = None) -> str:
    """The header (title, feed, author, date, link) and the sanitized body; every feed string escaped.

    A good extracted article replaces the feed's text; one that failed is named, and the feed's text shown."""
    if use_article is None:
        use_article = wants_article(story, article, "auto")
    good = article is not None and article.is_article and not article.failure
    if use_article and good and article is not None:
        return _header(story, article.byline) + bounded(
            sanitize_html(article.html, story.url)
        )  # later fixes apply
    note = ""
    if article is not None and article.failure:
        note = f'<p class="hint">{html.escape("The feed’s text: " + article.failure)}</p>'
    return _header(story) + note + bounded(_body(story))


def _header(story: Story, byline_override: str | None = None) -> str:
    title = f"<h1>{html.escape(story.title or UNTITLED)}</h1>"
    author = story.author or byline_override or ""
    byline = [html.escape(part) for part in (story.feed_title, author) if part]
    if story.published:
        byline.append(html.escape(format_time(story.published)))
    link = absolute_url(story.url or "", None)
    if link and link.lower().startswith(("http:", "https:")):
        byline.append(f'<a href="{html.escape(link, quote=True)}">Open the original ↗</a>')
    return title + f'<p class="byline">{" · ".join(byline)}</p><hr>'


def _body(story: Story) -> str:
    fragment = story.content_html or story.summary_html
    if fragment.strip():
        return sanitize_html(fragment, story.url)
    if story.text.strip():
        return "".join(f"<p>{html.escape(par)}</p>" for par in story.text.split("\n\n"))
    return '<p class="hint">This story has no text. Open its link to read it on the web.</p>'


def message_html(title: str, text: str) -> str:
    return f'<h1>{html.escape(title)}</h1><p class="hint">{html.escape(text)}</p>'


class ReaderView(QTextBrowser):
    link_hovered = Signal(str)
    zoomed = Signal(int)  # percent, after the person zoomed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._placeholder = _placeholder_image()
        self._typography = Typography()
        self._zoom = 100  # percent
        self._markup = ""
        self.image_source: ImageSource | None = None  # the local image store; None shows no images
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setSearchPaths([])
        self.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.setTabChangesFocus(True)  # Tab leaves the reader (and Shift+Tab) instead of moving between links
        self.document().setDocumentMargin(MIN_MARGIN)
        self._restyle()
        self.setAccessibleName("Story")
        self.anchorClicked.connect(self.on_anchor_clicked)
        self.highlighted.connect(self.on_link_highlighted)

    def set_typography(self, typography: Typography, *, zoom: int | None = None) -> None:
        self._typography = typography
        if zoom is not None:
            self._zoom = zoom
        self._restyle()

    def zoom_by(self, steps: int) -> None:
        """Zoom the text in (positive) or out (negative) by 10% a step; 0 resets it."""
        self._zoom = 100 if steps == 0 else min(300, max(50, self._zoom + 10 * steps))
        self._restyle()
        self.zoomed.emit(self._zoom)

    @property
    def zoom(self) -> int:
        return self._zoom

    def _effective(self) -> Typography:
        size = max(6, round(self._typography.size_pt * self._zoom / 100))
        return dataclasses.replace(self._typography, size_pt=size)

    def _restyle(self) -> None:
        # the family and size go in as the default font: Qt's style sheets ignore them on <body>
        font = QFont(resolve_family(self._typography.family))
        font.setPointSize(self._effective().size_pt)
        self.document().setDefaultFont(font)
        self.document().setDefaultStyleSheet(stylesheet(self._effective()))
        if self._markup:
            self.setHtml(self._markup)
        self._fit_measure()

    def show_story(
        self, story: Story, article: StoredArticle | None = None, *, use_article: bool | None = None
    ) -> None:
        self._set_html(story_html(story, article, use_article=use_article))
        self.setAccessibleDescription(story.title or UNTITLED)

    def show_message(self, title: str, text: str) -> None:
        self._set_html(message_html(title, text))
        self.setAccessibleDescription(title)

    def _set_html(self, markup: str) -> None:
        self._markup = markup
        self.setHtml(markup)
        self._fit_measure()

    # -- a readable measure: the text column stays ~70 characters wide, centred ------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_measure()

    def _measure_px(self) -> int:
        font = QFont(resolve_family(self._typography.family))
        font.setPointSize(self._effective().size_pt)
        sample = "the quick brown fox jumps over a lazy dog, Then Tidings "
        return round(QFontMetricsF(font).horizontalAdvance(sample) / len(sample) * MEASURE_CHARS)

    def _side_margin(self) -> int:
        return max(0, (self.viewport().width() - self._measure_px() - 2 * MIN_MARGIN) // 2)

    def _fit_measure(self) -> None:
        side = MIN_MARGIN + self._side_margin()  # a frame's left margin replaces the document margin
        root = self.document().rootFrame()
        fmt: QTextFrameFormat = root.frameFormat()
        if int(fmt.leftMargin()) != side:
            fmt.setLeftMargin(side)
            fmt.setRightMargin(side)
            root.setFrameFormat(fmt)

    def text_width(self) -> int:
        return max(120, self.viewport().width() - 2 * (MIN_MARGIN + self._side_margin()) - 4)

    # Never reads a file or the network: feeds point images at file:///etc/passwd, /dev/zero and trackers.
    def loadResource(self, kind: int, name: QUrl | str) -> object:
        if kind == QTextDocument.ResourceType.ImageResource:
            return self._image(name.toString() if isinstance(name, QUrl) else str(name))
        return QByteArray()

    def _image(self, url: str) -> QImage:
        if self.image_source is None or not url.lower().startswith(("http:", "https:")):
            return self._placeholder
        image = self.image_source(url)
        if image is None or image.isNull():
            return self._placeholder
        width = self.text_width()
        if image.width() > width:  # a wide photo fits the column instead of widening the page
            image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        return image

    @Slot(QUrl)
    def on_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme().lower() in OPENABLE_SCHEMES and url.isValid():
            QDesktopServices.openUrl(url)

    @Slot(QUrl)
    def on_link_highlighted(self, url: QUrl) -> None:
        self.link_hovered.emit(url.toString() if url.scheme().lower() in OPENABLE_SCHEMES else "")
