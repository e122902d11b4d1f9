"""The right-hand pane: the welcome page on first run, otherwise the reader with its feed/article switch."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tidings.core.models import Story
from tidings.core.storage.articles import StoredArticle

from .reader_view import ReaderView, wants_article

WELCOME_TEXT = (
    "Tidings keeps your news on this computer: feeds, full articles and what you save, readable offline. "
    "Start by subscribing to a feed or a website, or bring your subscriptions from another reader as OPML."
)


class WelcomePage(QWidget):
    """What a first run shows: two ways to start, and no made-up feeds."""

    add_feed_requested = Signal()
    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        title = QLabel("Welcome to Tidings", self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        title.setFont(font)
        text = QLabel(WELCOME_TEXT, self)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.PlainText)
        self.add_button = QPushButton("Add a Feed…", self)
        self.add_button.setAccessibleName("Add a feed")
        self.add_button.setDefault(True)
        self.import_button = QPushButton("Import OPML…", self)
        self.import_button.setAccessibleName("Import OPML")
        self.add_button.clicked.connect(self.add_feed_requested)
        self.import_button.clicked.connect(self.import_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 40, 40, 40)
        layout.addStretch(1)
        for widget in (title, text):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addStretch(2)
        self.setAccessibleName("Welcome")


class ImagesOffer(QWidget):
    """Above a story whose feed may not download images: say so, and offer to allow them for that feed."""

    allow_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel("Images are not downloaded for this feed, so none are shown.", self)
        self.button = QPushButton("Download Images for This Feed", self)
        self.button.setAccessibleName("Download images for this feed")
        self.button.clicked.connect(self.allow_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 8, 2)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        self.setAccessibleName("Images are off for this feed")


class ReaderPane(QWidget):
    """The reader, a bar above it to switch a story between the feed's text and the full article, and the
    welcome page in its place while the library is empty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.reader = ReaderView(self)
        self.welcome = WelcomePage(self)
        self._story: Story | None = None
        self._article: StoredArticle | None = None
        self.feed_button = self._toggle("Feed Text", "Show the text the feed carries")
        self.article_button = self._toggle("Full Article", "Show the article extracted from the web page")
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        for button in (self.feed_button, self.article_button):
            self._group.addButton(button)
        self.feed_button.clicked.connect(self.on_mode_clicked)
        self.article_button.clicked.connect(self.on_mode_clicked)
        self.bar = self._build_bar()
        self.stack = QStackedWidget(self)
        reading = QWidget(self)
        column = QVBoxLayout(reading)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.bar)
        self.images_offer = ImagesOffer(self)
        self.images_offer.hide()
        column.addWidget(self.images_offer)
        column.addWidget(self.reader, 1)
        self.stack.addWidget(reading)
        self.stack.addWidget(self.welcome)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.bar.hide()

    def _toggle(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        button.setCheckable(True)
        button.setAutoRaise(True)
        return button

    def _build_bar(self) -> QWidget:
        bar = QWidget(self)
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 2, 8, 2)
        row.addStretch(1)
        row.addWidget(self.feed_button)
        row.addWidget(self.article_button)
        bar.setAccessibleName("Show the feed's text or the full article")
        return bar

    # -- showing ------------------------------------------------------------------------------------
    def show_welcome(self) -> None:
        self._story = None
        self.stack.setCurrentWidget(self.welcome)

    def show_message(self, title: str, text: str) -> None:
        self._story = None
        self.bar.hide()
        self.stack.setCurrentIndex(0)
        self.reader.show_message(title, text)

    def show_story(self, story: Story, article: StoredArticle | None, show: str = "auto") -> None:
        """Open `story` on the article when it is good and the feed does not ask for its own text."""
        self._story, self._article = story, article
        self.stack.setCurrentIndex(0)
        use_article = wants_article(story, article, show)
        self._render(use_article)

    @property
    def story(self) -> Story | None:
        return self._story

    @property
    def showing_article(self) -> bool:
        return self.bar.isVisibleTo(self) and self.article_button.isChecked()

    def set_showing_article(self, on: bool) -> None:
        if self._story is not None and self.article_button.isEnabled():
            self._render(on)

    def _render(self, use_article: bool) -> None:
        assert self._story is not None
        article = self._article
        self.bar.setVisible(article is not None)
        good = article is not None and article.is_article and not article.failure
        self.article_button.setEnabled(good)
        self.article_button.setToolTip(
            "Show the article extracted from the web page"
            if good
            else f"No full article: {article.failure if article and article.failure else 'not an article.'}"
        )
        (self.article_button if use_article and good else self.feed_button).setChecked(True)
        self.reader.show_story(self._story, article, use_article=use_article and good)

    @Slot()
    def on_mode_clicked(self) -> None:
        if self._story is not None:
            self._render(self.article_button.isChecked())
