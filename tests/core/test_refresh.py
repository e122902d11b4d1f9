"""Refresh end to end against a loopback server: every format, validators, identity, redirects, faults,
isolation of a broken feed, back-off and Retry-After."""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.loopback import LoopbackServer, Response, read_data
from tidings.core.library import Library
from tidings.core.storage import feeds as feed_store
from tidings.core.storage.stories import StoryFilter

FORMATS = {"rss20.xml": 15, "atom10.xml": 15, "rss10.xml": 15, "rss091.xml": 15}
LM = "Mon, 02 Jan 2023 00:00:00 GMT"


def subscribe(library: Library, url: str) -> int:
    return library.write(lambda c: feed_store.add_feed(c, url))


def titles(library: Library, feed_id: int) -> list[str]:
    return sorted(s.title for s, _ in library.stories(StoryFilter((feed_id,)), limit=1000))


def rss(items: list[tuple[str | None, str | None, str]], title: str = "Hand made") -> bytes:
    parts = []
    for guid, link, text in items:
        g = f"<guid isPermaLink='false'>{guid}</guid>" if guid else ""
        ln = f"<link>{link}</link>" if link else ""
        parts.append(
            f"<item><title>{text}</title>{g}{ln}<description>&lt;p&gt;{text} body&lt;/p&gt;</description></item>"
        )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title><link>https://example.org/</link>"
        f"{''.join(parts)}</channel></rss>"
    ).encode()


JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON example",
        "items": [
            {
                "id": "1",
                "url": "https://example.org/1",
                "title": "First JSON story",
                "content_html": "<p>One</p>",
                "date_published": "2024-05-01T10:00:00Z",
            },
            {"id": 2, "title": "Second JSON story", "content_text": "Two"},
        ],
    }
).encode()


@pytest.mark.parametrize(("name", "count"), FORMATS.items())
def test_every_format_is_stored(library: Library, server: LoopbackServer, name: str, count: int) -> None:
    server.serve("/f.xml", read_data("refresh", name))
    feed_id = subscribe(library, server.url("/f.xml"))
    report = library.refresh()
    assert [o.status for o in report.outcomes] == ["updated"]
    assert report.new == count == library.feed(feed_id).total
    assert library.feed(feed_id).title not in ("", server.url("/f.xml"))


def test_json_feed_is_stored(library: Library, server: LoopbackServer) -> None:
    server.serve("/feed.json", JSON_FEED, "application/feed+json")
    feed_id = subscribe(library, server.url("/feed.json"))
    library.refresh()
    assert titles(library, feed_id) == ["First JSON story", "Second JSON story"]
    assert library.feed(feed_id).title == "JSON example"


def test_conditional_get_costs_one_304_and_changes_nothing(library: Library, server: LoopbackServer) -> None:
    server.serve_conditional("/f.xml", read_data("refresh", "rss20.xml"), '"abc"', LM)
    feed_id = subscribe(library, server.url("/f.xml"))
    library.refresh()
    before = library.reader().execute("SELECT count(*), max(id) FROM stories").fetchone()
    report = library.refresh()
    assert [o.status for o in report.outcomes] == ["not-modified"]
    sent = server.requests_to("/f.xml")[1].headers
    assert sent["if-none-match"] == '"abc"' and sent["if-modified-since"] == LM
    assert tuple(library.reader().execute("SELECT count(*), max(id) FROM stories").fetchone()) == tuple(
        before
    )
    assert library.feed(feed_id).error is None


def test_new_validators_with_the_same_bytes_add_nothing(library: Library, server: LoopbackServer) -> None:
    body = read_data("refresh", "atom10.xml")
    version = {"n": 0}

    def changing_validators(h: object) -> Response:
        version["n"] += 1
        return Response(200, body, {"ETag": f'"v{version["n"]}"', "Content-Type": "application/atom+xml"})

    server.routes["/f.xml"] = changing_validators
    feed_id = subscribe(library, server.url("/f.xml"))
    library.refresh()
    report = library.refresh()
    assert [o.status for o in report.outcomes] == ["unchanged"]  # same bytes: not even parsed
    assert library.feed(feed_id).total == 15


def test_identity_is_stable_and_edits_update_in_place(library: Library, server: LoopbackServer) -> None:
    server.serve(
        "/f.xml", rss([("a", None, "Alpha"), (None, "https://example.org/b", "Beta"), (None, None, "Gamma")])
    )
    feed_id = subscribe(library, server.url("/f.xml"))
    library.refresh()
    ids = {s.title: s.id for s, _ in library.stories(StoryFilter((feed_id,)))}
    library.mark_read([ids["Alpha"]])
    library.star([ids["Alpha"]])
    for _ in range(3):  # same stories, reordered, one edited
        server.serve(
            "/f.xml",
            rss([(None, None, "Gamma"), (None, "https://example.org/b", "Beta"), ("a", None, "Alpha v2")]),
        )
        report = library.refresh()
    assert report.outcomes[0].new == 0 and report.outcomes[0].changed == 0  # the edit counted once, earlier
    after = {s.title: s for s, _ in library.stories(StoryFilter((feed_id,)))}
    assert set(after) == {"Alpha v2", "Beta", "Gamma"}
    assert after["Alpha v2"].id == ids["Alpha"] and after["Alpha v2"].read and after["Alpha v2"].starred
    assert library.search("v2")[0].story.id == ids["Alpha"]


def test_a_permanent_redirect_moves_the_stored_address(library: Library, server: LoopbackServer) -> None:
    server.redirect("/old.xml", "/new.xml", 301)
    server.serve("/new.xml", read_data("refresh", "rss20.xml"))
    feed_id = subscribe(library, server.url("/old.xml"))
    report = library.refresh()
    assert report.outcomes[0].moved_to == server.url("/new.xml")
    assert library.feed(feed_id).url == server.url("/new.xml")
    server.log.clear()
    library.refresh()
    assert [s.path for s in server.log] == ["/new.xml"]


def test_a_temporary_redirect_keeps_the_address(library: Library, server: LoopbackServer) -> None:
    server.redirect("/old.xml", "/new.xml", 302)
    server.serve("/new.xml", read_data("refresh", "rss20.xml"))
    feed_id = subscribe(library, server.url("/old.xml"))
    library.refresh()
    assert library.feed(feed_id).url == server.url("/old.xml") and library.feed(feed_id).total == 15


def test_one_broken_feed_never_stops_the_others(library: Library, server: LoopbackServer) -> None:
    server.serve("/good.xml", read_data("refresh", "rss20.xml"))
    server.serve("/html.xml", b"<!doctype html><html><body><p>Welcome</p></body></html>", "text/html")
    server.serve("/garbage.xml", bytes(range(256)) * 16)
    server.serve(
        "/crash.xml",
        b"<?xml version='1.0' encoding='utf-8\x00'?><rss version='2.0'><channel><title>x</title>"
        b"<item><title>&#xD800;</title></item></channel></rss>",
    )
    server.routes["/500.xml"] = lambda h: Response(500, b"oops")
    server.hang("/slow.xml", 4)
    good = subscribe(library, server.url("/good.xml"))
    bad = {
        subscribe(library, server.url(p))
        for p in ("/html.xml", "/garbage.xml", "/crash.xml", "/500.xml", "/slow.xml")
    }
    report = library.refresh()
    by_id = {o.feed_id: o for o in report.outcomes}
    assert by_id[good].status == "updated" and library.feed(good).total == 15
    for feed_id in bad:
        assert by_id[feed_id].status == "error", by_id[feed_id]
        error = library.feed(feed_id).error
        assert error is not None and error.count == 1 and error.message.endswith(".")
        assert "Traceback" not in error.message
    assert (
        "internal error"
        in library.feed(next(iter(f for f in bad if library.feed(f).url.endswith("/500.xml")))).error.message
    )


def test_a_failing_feed_keeps_its_stories_and_backs_off(library: Library, server: LoopbackServer) -> None:
    server.serve("/f.xml", read_data("refresh", "rss20.xml"))
    feed_id = subscribe(library, server.url("/f.xml"))
    library.refresh()
    server.routes["/f.xml"] = lambda h: Response(503, b"down", {"Retry-After": "3600"})
    report = library.refresh()
    assert report.outcomes[0].status == "error" and "unavailable" in (report.outcomes[0].error or "")
    feed = library.feed(feed_id)
    assert feed.total == 15  # nothing stored was lost
    assert feed.next_check is not None and feed.next_check.timestamp() > time.time() + 3500
    server.log.clear()
    skipped = library.refresh()
    assert skipped.outcomes[0].status == "skipped" and "Not due until" in (skipped.outcomes[0].error or "")
    assert server.log == []  # the server asked for an hour's rest: not one request
    library.refresh([feed_id])  # named explicitly: fetched anyway
    assert len(server.log) == 1
    assert library.feed(feed_id).error.count == 2  # type: ignore[union-attr]


def test_max_age_is_honoured_unless_forced(library: Library, server: LoopbackServer) -> None:
    server.serve("/f.xml", read_data("refresh", "rss20.xml"), **{"Cache-Control": "max-age=600"})
    subscribe(library, server.url("/f.xml"))
    library.refresh()
    assert library.refresh().outcomes[0].status == "skipped"
    assert library.refresh(force=True).outcomes[0].status == "unchanged"


def test_an_oversized_feed_is_an_error_in_words(library: Library, server: LoopbackServer) -> None:
    server.endless("/endless.xml")
    feed_id = subscribe(library, server.url("/endless.xml"))
    report = library.refresh()
    assert "too large" in (report.outcomes[0].error or "")
    assert library.feed(feed_id).error is not None


def test_a_timeout_is_reported_in_words(tmp_path: object, server: LoopbackServer) -> None:
    from tidings.core.credentials import MemoryCredentials
    from tidings.core.models import FetchPolicy

    server.hang("/hang.xml", 3)
    lib = Library(
        tmp_path / "t",
        credentials=MemoryCredentials(),  # type: ignore[operator]
        policy=FetchPolicy(connect_timeout=1, read_timeout=1, deadline=2),
    )
    try:
        subscribe(lib, server.url("/hang.xml"))
        started = time.monotonic()
        report = lib.refresh()
        assert time.monotonic() - started < 2.5
        assert "stopped sending data for 1 seconds" in (report.outcomes[0].error or "")
    finally:
        lib.close()


def test_cancelling_stops_downloads_under_way(library: Library, server: LoopbackServer) -> None:
    server.hang("/hang.xml", 4)
    subscribe(library, server.url("/hang.xml"))
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    report = library.refresh(cancel=cancel)
    assert time.monotonic() - started < 1.5
    assert report.outcomes[0].status == "skipped" and "cancelled" in (report.outcomes[0].error or "")


def test_a_feed_behind_basic_auth_uses_the_stored_secret(library: Library, server: LoopbackServer) -> None:
    from tidings.core.credentials import Secret

    body = read_data("refresh", "rss20.xml")
    server.routes["/private.xml"] = lambda h: (
        Response(200, body)
        if h.headers.get("Authorization") == "Basic dXNlcjpwYXNz"
        else Response(401, b"no", {"WWW-Authenticate": "Basic"})
    )
    feed_id = subscribe(library, server.url("/private.xml"))
    assert "login" in (library.refresh().outcomes[0].error or "")
    library.credentials.set(feed_id, Secret("basic", "user", "pass"))
    library.write(lambda c: feed_store.set_auth(c, feed_id, "basic"))
    assert library.refresh([feed_id]).outcomes[0].status == "updated"


def test_every_refreshed_story_is_in_the_search_index(library: Library, server: LoopbackServer) -> None:
    for name in FORMATS:
        server.serve(f"/{name}", read_data("refresh", name))
        subscribe(library, server.url(f"/{name}"))
    library.refresh()
    conn = library.reader()
    stories = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    indexed = conn.execute("SELECT count(*) FROM stories_fts_docsize").fetchone()[0]
    assert stories == indexed == 60
    library.write(lambda c: c.execute("INSERT INTO stories_fts (stories_fts) VALUES ('integrity-check')"))
    assert library.search("Brandmeldeanlagenalarm")  # a word of the RSS 0.91 fixture


def test_a_crash_inside_the_parser_is_that_feeds_error(
    library: Library, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tidings.core import feeds

    real = feeds.parse_feed

    def fragile(body: bytes, **kwargs: object) -> object:
        if b"Lunar Phase" in body:
            raise RecursionError("deep inside a parser")
        return real(body, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds, "parse_feed", fragile)
    server.serve("/crash.xml", read_data("refresh", "rss20.xml"))
    server.serve("/fine.xml", read_data("refresh", "atom10.xml"))
    crash, fine = subscribe(library, server.url("/crash.xml")), subscribe(library, server.url("/fine.xml"))
    by_id = {o.feed_id: o for o in library.refresh().outcomes}
    assert by_id[fine].status == "updated" and library.feed(fine).total == 15
    assert by_id[crash].status == "error" and "parser failed (RecursionError)" in (by_id[crash].error or "")
    assert library.feed(crash).total == 0 and library.feed(crash).error is not None
