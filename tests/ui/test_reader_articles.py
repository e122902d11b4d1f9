"""The reader shows a good extracted article instead of the feed's text, and says why when it does not."""

from __future__ import annotations

from tests.ui.stock import add_feed, add_story
from tidings.core.library import Library
from tidings.core.storage import articles
from tidings.ui.reader_view import story_html


def stored(library: Library, story_id: int, *, good: bool) -> articles.StoredArticle:
    row = articles.PageRow(
        story_id, "https://example.com/a", b"<html></html>", "text/html", "tidings-extract/1", "Title", None,
        None, None, None, "en",
        "<p>The whole story, extracted.</p><script>alert(1)</script>" if good else "", "The whole story",
        good, 0.9 if good else 0.05, None if good else "The page is not an article.",
    )  # fmt: skip
    library.write(lambda c: articles.save(c, row, None))
    article = library.article(story_id)
    assert article is not None
    return article


def test_a_good_article_replaces_the_feed_text_sanitized_again(library: Library) -> None:
    feed_id = add_feed(library, "https://example.com/feed", "Example")
    story_id = add_story(library, feed_id, 1, content="<p>Only a summary.</p>")
    page = story_html(library.story(story_id), stored(library, story_id, good=True))
    assert "The whole story, extracted." in page and "Only a summary." not in page
    assert "<script" not in page


def test_a_failed_article_shows_the_feed_text_and_why(library: Library) -> None:
    feed_id = add_feed(library, "https://example.com/feed", "Example")
    story_id = add_story(library, feed_id, 1, content="<p>Only a summary.</p>")
    page = story_html(library.story(story_id), stored(library, story_id, good=False))
    assert "Only a summary." in page and "The page is not an article." in page
