"""Images in the reader: shown only from the store, only when the person allows images (Settings) and the
feed downloads them (or the story is saved); a story whose feed does not offers to allow them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QImage

from tidings.core.library import Library
from tidings.core.models import Story
from tidings.core.storage.articles import StoredArticle
from tidings.jobs.runner import CANCEL, JobRunner
from tidings.jobs.tasks import allow_images

if TYPE_CHECKING:
    from .main_window import MainWindow


class StoryImages(QObject):
    def __init__(self, window: MainWindow, library: Library, runner: JobRunner):
        super().__init__(window)
        self._window = window
        self._library = library
        self._runner = runner
        self.load_images = True  # the "load images" preference

    def allowed(self, feed_id: int, story_id: int) -> bool:
        """Saving a story downloads its images whatever the feed's setting."""
        if not self.load_images:
            return False
        return self._library.images_on(feed_id) or self._library.collection.is_saved(story_id)

    def stored(self, url: str) -> QImage | None:
        """An image from the store (downloaded with the story), never from the network."""
        found = self._library.image(url)
        if found is None:
            return None
        image = QImage.fromData(found[0])
        return None if image.isNull() else image

    def offer(self, story: Story, article: StoredArticle | None, allowed: bool) -> None:
        html = (article.html if article else "") + story.content_html + story.summary_html
        self._window.reader_pane.images_offer.setVisible(self.load_images and "<img" in html and not allowed)

    @Slot()
    def on_allow_requested(self) -> None:
        story = self._window.reader_pane.story
        if story is None:
            return
        self._window.reader_pane.images_offer.hide()
        self._window.statusBar().showMessage("Downloading this feed's images…")
        self._runner.submit(
            allow_images, self._library, story.feed_id, cancel=CANCEL,
            on_done=self.on_allowed, on_error=self._window.on_background_failed,
        )  # fmt: skip

    def on_allowed(self, _report: object) -> None:
        self._window.statusBar().showMessage("Downloaded the images.", 4000)
        self._window.redisplay_story()
