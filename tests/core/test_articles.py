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
    return library.write(lambda c: feed_store.add_feed(c, server.url("/feed.xml"), images=True))


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


# -- fetching pages again: conditional GET, retries -------------------------------------------------------
ETAG, LAST_MODIFIED = '"v1"', "Tue, 01 Oct 2024 08:00:00 GMT"


def sturdy_page(title: str, marker: str) -> bytes:
    """`article_page`, declared an article (og:type): these tests are about fetching, not the extractor's
    confidence on a short page."""
    return article_page(title, marker).replace(
        b"<title>", b"<meta property='og:type' content='article'><title>"
    )


def one_story(library: Library, server: LoopbackServer, path: str) -> int:
    server.serve("/one.xml", summary_feed(server, [path]))
    feed_id = library.write(lambda c: feed_store.add_feed(c, server.url("/one.xml"), images=True))
    library.refresh([feed_id])
    return story_id(library, feed_id, "Story 0")


def age_attempts(library: Library) -> None:
    library.write(lambda c: c.execute("UPDATE articles SET fetched_at = fetched_at - 86400"))


def test_a_page_fetched_again_is_asked_for_conditionally(library: Library, server: LoopbackServer) -> None:
    page = sturdy_page("Harbour reopens", "zanzibarite")
    server.serve_conditional("/a.html", page, ETAG, LAST_MODIFIED, content_type="text/html")
    story = one_story(library, server, "/a.html")
    assert library.fetch_articles().extracted == 1
    before = library.article(story)
    report = library.refetch_articles([story])
    assert (report.not_modified, report.extracted) == (1, 0)
    seen = server.requests_to("/a.html")[-1].headers
    assert (seen["if-none-match"], seen["if-modified-since"]) == (ETAG, LAST_MODIFIED)
    assert library.article(story) == before  # the stored page kept
    later = "Wed, 02 Oct 2024 08:00:00 GMT"
    server.serve_conditional("/a.html", sturdy_page("Harbour", "quokkaville"), '"v2"', later, "text/html")
    assert library.refetch_articles([story]).extracted == 1  # changed: fetched, extracted, stored
    changed = library.article(story)
    assert changed is not None and "quokkaville" in changed.text
    assert library.refetch_articles([story]).not_modified == 1  # with the new validators
    assert server.requests_to("/a.html")[-1].headers["if-none-match"] == '"v2"'


def test_a_refetch_that_fails_keeps_the_stored_page(library: Library, server: LoopbackServer) -> None:
    server.serve("/a.html", sturdy_page("Harbour reopens", "zanzibarite"), "text/html")
    story = one_story(library, server, "/a.html")
    library.fetch_articles()
    server.routes["/a.html"] = lambda h: Response(500, b"down")
    assert library.refetch_articles([story]).unreachable == 1
    kept = library.article(story)
    assert kept is not None and kept.is_article and "zanzibarite" in kept.text
    with pytest.raises(Exception, match="no story 999"):
        library.refetch_articles([999])


def test_an_unreachable_page_is_tried_again_on_later_runs_a_few_times(
    library: Library, server: LoopbackServer
) -> None:
    from tidings.core.storage.articles import MAX_ATTEMPTS

    server.routes["/down.html"] = lambda h: Response(503, b"down")
    one_story(library, server, "/down.html")
    assert library.fetch_articles().unreachable == 1
    assert library.fetch_articles().unreachable == 0  # not at once: a later run
    for _ in range(MAX_ATTEMPTS + 2):
        age_attempts(library)
        library.fetch_articles(after_id=library.newest_story_id())  # retries are not only for new stories
    assert len(server.requests_to("/down.html")) == MAX_ATTEMPTS  # then a dead page is left alone


def test_a_page_that_comes_back_is_extracted(library: Library, server: LoopbackServer) -> None:
    server.routes["/late.html"] = lambda h: Response(404, b"not yet")  # the feed ran ahead of the site
    story = one_story(library, server, "/late.html")
    library.fetch_articles()
    server.serve("/late.html", sturdy_page("Harbour reopens", "zanzibarite"), "text/html")
    age_attempts(library)
    assert library.fetch_articles().extracted == 1
    good = library.article(story)
    assert good is not None and good.is_article


def test_gone_pages_and_failed_extractions_are_not_fetched_again(
    library: Library, server: LoopbackServer, summaries: int
) -> None:
    server.routes["/gone.html"] = lambda h: Response(410, b"gone")
    library.refresh(articles=True)
    for _ in range(3):
        age_attempts(library)
        library.fetch_articles()
    assert len(server.requests_to("/gone.html")) == 1  # 410: the page is gone for good
    assert len(server.requests_to("/b.html")) == 1  # fetched, no article: reextract covers it


def test_a_redirected_page_resolves_its_images_where_it_ended(
    library: Library, server: LoopbackServer
) -> None:
    from tests.loopback import read_data

    page = sturdy_page("Harbour reopens", '<img src="pictures/boats.png" alt="Boats">')
    server.serve("/news/2024/a.html", page, "text/html")
    server.redirect("/r/a", server.url("/news/2024/a.html"), status=302)
    server.serve("/news/2024/pictures/boats.png", read_data("images", "photo.png"), "image/png")
    story = one_story(library, server, "/r/a")
    report = library.fetch_articles()
    assert (report.extracted, report.images) == (1, 1)
    assert library.image(server.url("/news/2024/pictures/boats.png")) is not None
    server.log.clear()
    library.refetch_articles([story])  # asked where the page is, not through the redirect again
    assert [s.path for s in server.log] == ["/news/2024/a.html"]


def test_a_library_of_schema_2_keeps_its_articles_and_retries_unreachable_ones(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    from tidings.core.storage.db import connect
    from tidings.core.storage.schema import MIGRATIONS

    path = Path(str(tmp_path)) / "old.sqlite3"
    for number in [n for n in MIGRATIONS if n > 2]:
        monkeypatch.delitem(MIGRATIONS, number)
    old = connect(path)
    old.execute("INSERT INTO feeds (id, url, added_at) VALUES (1, 'https://example.org/feed', 0)")
    old.execute(
        "INSERT INTO stories (id, feed_id, uid, url, added_at, sort_time, content_hash)"
        " VALUES (1, 1, 'a', 'https://example.org/a', 0, 0, 'h')"
    )
    old.execute(
        "INSERT INTO articles (story_id, url, fetched_at, failure) VALUES (1, 'https://example.org/a', 0, 'x')"
    )
    old.close()
    monkeypatch.undo()
    new = connect(path)
    assert new.execute("PRAGMA user_version").fetchone()[0] == max(MIGRATIONS)
    assert new.execute("SELECT images FROM feeds").fetchone()[0] == 1
    assert tuple(new.execute("SELECT attempts, images_listed, etag FROM articles").fetchone()) == (1, 0, None)
    assert new.execute("SELECT count(*) FROM images").fetchone()[0] == 0


def test_the_cli_says_how_many_images_were_stored(
    tmp_path: object, server: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from tests.loopback import read_data
    from tidings.__main__ import main

    data = str(Path(str(tmp_path)) / "cli")
    server.serve("/a.html", sturdy_page("Harbour reopens", '<img src="/boats.png" alt="Boats">'), "text/html")
    server.serve("/boats.png", read_data("images", "photo.png"), "image/png")
    server.serve("/one.xml", summary_feed(server, ["/a.html"]))
    assert main(["--data-dir", data, "add", server.url("/one.xml")]) == 0
    assert (
        main(["--data-dir", data, "images", "1", "on"]) == 0
    )  # a new feed downloads no images until allowed
    capsys.readouterr()
    assert main(["--data-dir", data, "fetch-articles"]) == 0
    out = capsys.readouterr().out
    assert "Articles: 1 extracted" in out and "Images: 1 stored, 0 refused or unreachable." in out
