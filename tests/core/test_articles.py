"""Full articles for summary-only feeds: fetched during refresh, extracted, stored with the page, shown only
when good, extracted again without the network."""

from __future__ import annotations

import pytest

from tests.loopback import LoopbackServer, Response
from tidings.core.library import Library
from tidings.core.storage import feeds as feed_store
from tidings.core.storage.stories import StoryFilter

PARAGRAPHS = [
    "The harbour reopened on Tuesday after three days of repairs to the sea wall, the port authority said.",
    "Fishing boats were the first to leave, followed by the morning ferry to the islands, which had been "
    "cancelled since the weekend when waves of up to six metres broke over the quay.",
    "Engineers will inspect the northern breakwater again next week, and the authority said a longer closure "
    "in the spring could not be ruled out while the damage to its foundations is assessed by divers.",
]


def article_page(title: str, marker: str) -> bytes:
    body = "".join(f"<p>{p} {marker if i == 2 else ''}</p>" for i, p in enumerate(PARAGRAPHS))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}"
        "<h2>Most read</h2><ul><li><a href='/x'>Celebrity chef opens a new restaurant downtown</a></li>"
        "<li><a href='/y'>Local team wins the regional championship final</a></li>"
        "<li><a href='/z'>Ten things to do this weekend in the old town</a></li></ul></article></body></html>"
    ).encode()


LINKS_PAGE = (
    b"<html><body>"
    + b"".join(b"<p><a href='/%d'>Story number %d</a></p>" % (i, i) for i in range(40))
    + b"</body></html>"
)


def summary_feed(server: LoopbackServer, pages: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Story {i}</title><link>{server.url(p)}</link><guid>{p}</guid>"
        f"<description>One sentence about story {i}.</description></item>"
        for i, p in enumerate(pages)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Summaries</title>{items}</channel></rss>".encode()


@pytest.fixture
def summaries(library: Library, server: LoopbackServer) -> int:
    server.serve("/a.html", article_page("Harbour reopens", "zanzibarite"), "text/html; charset=utf-8")
    server.serve("/b.html", LINKS_PAGE, "text/html")
    server.routes["/gone.html"] = lambda h: Response(404, b"gone")
    server.serve("/feed.xml", summary_feed(server, ["/a.html", "/b.html", "/gone.html"]))
    return library.write(lambda c: feed_store.add_feed(c, server.url("/feed.xml")))


def story_id(library: Library, feed_id: int, title: str) -> int:
    return next(s.id for s, _ in library.stories(StoryFilter((feed_id,))) if s.title == title)


def test_a_summary_only_feed_gets_its_articles(
    library: Library, server: LoopbackServer, summaries: int
) -> None:
    report = library.refresh(articles=True)
    assert report.articles is not None
    a = report.articles
    assert (a.extracted, a.failed, a.unreachable) == (1, 1, 1)
    good = library.article(story_id(library, summaries, "Story 0"))
    assert good is not None and good.is_article and good.failure is None
    assert "sea wall" in good.text and "Celebrity chef" not in good.text
    assert [h.story.title for h in library.search("zanzibarite")] == ["Story 0"]  # the article is searchable


def test_no_article_is_never_shown_as_the_story(
    library: Library, server: LoopbackServer, summaries: int
) -> None:
    library.refresh(articles=True)
    links = library.article(story_id(library, summaries, "Story 1"))
    gone = library.article(story_id(library, summaries, "Story 2"))
    assert links is not None and not links.is_article and links.failure
    assert gone is not None and not gone.is_article and "could not be fetched" in (gone.failure or "")
    assert "HTTP 404" in (gone.failure or "")


def test_pages_are_fetched_once_and_extracted_again_offline(
    library: Library, server: LoopbackServer, summaries: int
) -> None:
    library.refresh(articles=True)
    pages_before = len(server.requests_to("/a.html"))
    library.refresh(force=True, articles=True)
    assert len(server.requests_to("/a.html")) == pages_before == 1
    server.log.clear()
    again = library.reextract()
    assert (again.extracted, again.failed) == (1, 1)  # the unreachable page has nothing stored to extract
    assert server.log == []


def test_full_content_feeds_fetch_no_pages(library: Library, server: LoopbackServer) -> None:
    long = " ".join(PARAGRAPHS * 3)
    feed = (
        f"<?xml version='1.0'?><rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        f"<channel><title>Full</title><item><title>Whole</title><link>{server.url('/a.html')}</link>"
        f"<content:encoded><![CDATA[<p>{long}</p>]]></content:encoded></item></channel></rss>"
    ).encode()
    server.serve("/full.xml", feed)
    server.serve("/a.html", article_page("Harbour reopens", "x"), "text/html")
    feed_id = library.write(lambda c: feed_store.add_feed(c, server.url("/full.xml")))
    assert library.refresh(articles=True).articles.extracted == 0  # type: ignore[union-attr]
    assert server.requests_to("/a.html") == []
    library.set_show(feed_id, "article")  # the reader asks for full articles anyway
    server.serve("/full2.xml", feed.replace(b"Whole", b"Whole again").replace(b"a.html", b"a.html?2"))
    library.write(
        lambda c: c.execute("UPDATE feeds SET url = ? WHERE id = ?", (server.url("/full2.xml"), feed_id))
    )
    library.refresh(articles=True)
    assert [s.path for s in server.requests_to("/a.html")] == ["/a.html?2"]  # the new story only


def test_show_feed_content_fetches_nothing(library: Library, server: LoopbackServer, summaries: int) -> None:
    library.set_show(summaries, "feed")
    library.refresh(articles=True)
    assert server.requests_to("/a.html") == []
    with pytest.raises(Exception, match="Show is one of"):
        library.set_show(summaries, "sometimes")


def test_one_run_fetches_only_a_feeds_newest_pages(library: Library, server: LoopbackServer) -> None:
    from tidings.core.storage.articles import PAGES_PER_FEED

    pages = [f"/p{i}.html" for i in range(PAGES_PER_FEED + 10)]
    for path in pages:
        server.serve(path, article_page("Harbour reopens", path), "text/html")
    server.serve("/many.xml", summary_feed(server, pages))
    library.write(lambda c: feed_store.add_feed(c, server.url("/many.xml")))
    library.refresh()  # feeds only: no page yet
    assert not any(s.path.startswith("/p") for s in server.log)
    first = library.fetch_articles()
    assert first.extracted == PAGES_PER_FEED
    assert library.fetch_articles().extracted == 10  # the rest on the next run, none twice
    assert len([s for s in server.log if s.path.startswith("/p")]) == len(pages)
