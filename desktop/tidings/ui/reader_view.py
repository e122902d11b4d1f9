"""The reading pane: a story's sanitized HTML in a QTextBrowser that loads nothing and runs nothing.

QTextBrowser has no JavaScript, but by default it follows links itself and `loadResource` reads any
`file://` path (or a relative path through its search paths). Here every image is a blank placeholder,
every other resource is empty, and only http(s) links leave the window, to the system browser.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QByteArray, QUrl, Slot
from PySide6.QtGui import QColor, QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from tidings.core.models import Story
from tidings.core.sanitize import absolute_url, sanitize_html
from tidings.core.storage.articles import StoredArticle

from .text import UNTITLED, format_time

OPENABLE_SCHEMES = frozenset({"http", "https"})
STYLE = """
h1 { font-size: x-large; margin-bottom: 4px; }
p.byline { color: gray; margin-top: 0; }
p.hint { color: gray; }
"""


def _placeholder_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    return image


def story_html(story: Story, article: StoredArticle | None = None) -> str:
    """The header (title, feed, author, date, link) and the sanitized body; every feed string escaped.

    A good extracted article replaces the feed's text; one that failed is named, and the feed's text shown."""
    if article is not None and article.is_article and not article.failure:
        return _header(story) + sanitize_html(article.html, story.url)  # sanitized again: later fixes apply
    note = ""
    if article is not None and article.failure:
        note = f'<p class="hint">{html.escape("The feed’s text: " + article.failure)}</p>'
    return _header(story) + note + _body(story)


def _header(story: Story) -> str:
    title = f"<h1>{html.escape(story.title or UNTITLED)}</h1>"
    byline = [html.escape(part) for part in (story.feed_title, story.author or "") if part]
    if story.published:
        byline.append(html.escape(format_time(story.published)))
    link = absolute_url(story.url or "", None)
    if link and link.lower().startswith(("http:", "https:")):
        byline.append(f'<a href="{html.escape(link, quote=True)}">{html.escape(link)}</a>')
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
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._placeholder = _placeholder_image()
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setSearchPaths([])
        self.document().setDefaultStyleSheet(STYLE)
        self.setAccessibleName("Story")
        self.anchorClicked.connect(self.on_anchor_clicked)

    def show_story(self, story: Story, article: StoredArticle | None = None) -> None:
        self.setHtml(story_html(story, article))
        self.setAccessibleDescription(story.title or UNTITLED)

    def show_message(self, title: str, text: str) -> None:
        self.setHtml(message_html(title, text))
        self.setAccessibleDescription(title)

    # Never reads a file or the network: feeds point images at file:///etc/passwd, /dev/zero and trackers.
    def loadResource(self, kind: int, name: QUrl | str) -> object:
        if kind == QTextDocument.ResourceType.ImageResource:
            return self._placeholder
        return QByteArray()

    @Slot(QUrl)
    def on_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme().lower() in OPENABLE_SCHEMES and url.isValid():
            QDesktopServices.openUrl(url)
