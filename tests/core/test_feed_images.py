"""Images in a feed's own text are downloaded too (for feeds that keep images), so the feed's text reads
offline like an article; nothing for a feed that does not."""

from __future__ import annotations

from pathlib import Path

from tests.loopback import LoopbackServer
from tests.ui.stock import add_feed, add_story
from tidings.core.library import Library

PNG = (Path(__file__).parents[1] / "data" / "images" / "photo.png").read_bytes()


def test_feed_text_images_are_stored_for_feeds_that_keep_images(
    library: Library, server: LoopbackServer
) -> None:
    server.serve("/photo.png", PNG, "image/png")
    server.serve(
        "/pixel.gif", (Path(__file__).parents[1] / "data" / "images" / "pixel.gif").read_bytes(), "image/gif"
    )
    keeps = add_feed(library, server.url("/keeps.xml"), "Keeps")
    library.set_images(keeps, True)  # the person allowed images for this feed
    library.set_show(keeps, "feed")
    story = add_story(
        library,
        keeps,
        1,
        content=f'<p>Text</p><img src="{server.url("/photo.png")}"><img src="{server.url("/pixel.gif")}">',
    )
    off = add_feed(library, server.url("/off.xml"), "Off")
    library.set_images(off, False)
    add_story(library, off, 1, content=f'<p>Other</p><img src="{server.url("/photo.png?off")}">')
    library.write(lambda c: c.execute("UPDATE stories SET sort_time = strftime('%s', 'now')"))  # recent
    report = library.fetch_articles()
    assert report.images == 1  # the pixel is refused as a tracker
    assert library.image(server.url("/photo.png")) == (PNG, "image/png")
    assert library.image(server.url("/photo.png?off")) is None
    assert not any("off" in entry.path for entry in server.log)  # nothing asked for the feed without images
    asked = len(server.log)
    library.fetch_articles()
    assert len(server.log) == asked  # listed once, fetched once
    assert story


def test_an_old_archive_is_not_downloaded(library: Library, server: LoopbackServer) -> None:
    server.serve("/photo.png", PNG, "image/png")
    feed = add_feed(library, server.url("/keeps.xml"), "Keeps")
    library.set_images(feed, True)
    add_story(library, feed, 1, content=f'<img src="{server.url("/photo.png")}">')  # dated December 2024
    assert library.fetch_articles().images == 0 and server.log == []


def test_a_new_feed_loads_no_images_until_the_person_allows_them(
    library: Library, server: LoopbackServer
) -> None:
    server.serve("/photo.png", PNG, "image/png")
    rss = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Pics</title><item><title>A</title>
<guid>a</guid><description>&lt;img src="{server.url("/photo.png")}"&gt;</description></item></channel></rss>"""
    server.serve("/pics.xml", rss.encode(), "application/rss+xml")
    feed = library.add_feed(server.url("/pics.xml")).id
    library.write(lambda c: c.execute("UPDATE stories SET sort_time = strftime('%s', 'now')"))
    assert not library.images_on(feed)
    library.fetch_articles()
    assert "/photo.png" not in [entry.path for entry in server.log]  # nothing remote until allowed
    library.set_images(feed, True)
    assert library.fetch_articles().images == 1
