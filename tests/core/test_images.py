"""Article images kept for offline reading: which ones, what is refused (SVG, not a picture, tracking pixels,
too large), stored once by content, never fetched twice, served from the store only."""

from __future__ import annotations

import contextlib
import struct
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.loopback import DATA, LoopbackServer, Response
from tidings.core import images
from tidings.core.images import ImageRefused, dimensions, image_urls, inspect, sniff
from tidings.core.library import Library
from tidings.core.storage import feeds as feed_store
from tidings.core.storage import images as image_store
from tidings.core.storage.stories import StoryFilter

IMAGES = DATA / "images"
PARAGRAPHS = [
    "The harbour reopened on Tuesday after three days of repairs to the sea wall, the port authority said.",
    "Fishing boats were the first to leave, followed by the morning ferry to the islands, which had been "
    "cancelled since the weekend when waves of up to six metres broke over the quay.",
    "Engineers will inspect the northern breakwater again next week, and the authority said a longer closure "
    "in the spring could not be ruled out while the damage to its foundations is assessed by divers.",
]


def picture(name: str) -> bytes:
    return (IMAGES / name).read_bytes()


def avif(width: int, height: int, thumbnail: tuple[int, int] = (64, 48)) -> bytes:
    """An AVIF header: ftyp, then meta/iprp/ipco with two `ispe` boxes (a thumbnail first)."""

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    def ispe(w: int, h: int) -> bytes:
        return box(b"ispe", b"\0\0\0\0" + struct.pack(">II", w, h))

    ipco = box(b"ipco", ispe(*thumbnail) + ispe(width, height))
    meta = box(b"meta", b"\0\0\0\0" + box(b"hdlr", b"\0" * 24) + box(b"iprp", ipco))
    return box(b"ftyp", b"avif\0\0\0\0mif1avif") + meta + box(b"mdat", b"\0" * 16)


# -- the header bytes -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("photo.png", "image/png"),
        ("photo.jpg", "image/jpeg"),
        ("photo.gif", "image/gif"),
        ("photo.webp", "image/webp"),
        ("lossless.webp", "image/webp"),
        ("alpha.webp", "image/webp"),
    ],
)
def test_the_size_is_read_from_the_header_of_each_format(name: str, kind: str) -> None:
    data = picture(name)
    assert sniff(data) == kind
    assert dimensions(data) == (40, 30)


def test_avif_gives_the_primary_image_size_not_the_thumbnail() -> None:
    data = avif(1200, 800)
    assert sniff(data) == "image/avif"
    assert dimensions(data) == (1200, 800)
    assert sniff(avif(1, 1).replace(b"avif", b"heic")) is None  # another ISO-BMFF picture: not ours


@pytest.mark.parametrize("name", ["photo.png", "photo.jpg", "photo.gif", "photo.webp", "alpha.webp"])
def test_a_truncated_or_damaged_header_has_no_size(name: str) -> None:
    data = picture(name)
    assert dimensions(data[:9]) is None
    assert dimensions(b"") is None and dimensions(b"\xff\xd8\xff" + b"\x00" * 40) is None


MAGIC = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"RIFF\0\0\0\0WEBPVP8", b"\0\0\0\x1cftypavif"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(MAGIC), st.binary(max_size=200))
def test_any_bytes_after_a_known_signature_give_a_size_or_none(magic: bytes, rest: bytes) -> None:
    size = dimensions(magic + rest)
    assert size is None or (isinstance(size[0], int) and isinstance(size[1], int))
    with contextlib.suppress(ImageRefused):  # refused in words, or kept: nothing else
        inspect(magic + rest, "image/png")


def test_tracking_pixels_are_known_by_their_real_size() -> None:
    for name in ("pixel.png", "pixel.gif"):
        assert dimensions(picture(name)) == (1, 1)
        with pytest.raises(ImageRefused, match="tracking pixel"):
            inspect(picture(name), "image/png" if name.endswith("png") else "image/gif")


def test_svg_is_refused_whatever_it_is_called() -> None:
    svg = picture("logo.svg")
    with pytest.raises(ImageRefused, match="SVG"):
        inspect(svg, "image/svg+xml; charset=utf-8")
    with pytest.raises(ImageRefused, match="not a PNG"):
        inspect(svg, "image/png")  # a script-capable document disguised as a picture


def test_only_pictures_are_kept_and_the_stored_type_is_what_the_bytes_are() -> None:
    with pytest.raises(ImageRefused, match="did not send a picture"):
        inspect(picture("photo.png"), "text/html")
    with pytest.raises(ImageRefused, match="no type"):
        inspect(picture("photo.png"), None)
    mislabelled = inspect(picture("photo.png"), "image/jpeg")
    assert (mislabelled.content_type, mislabelled.width, mislabelled.height) == ("image/png", 40, 30)
    assert inspect(picture("photo.jpg"), "IMAGE/JPG").content_type == "image/jpeg"


def test_a_decompression_bomb_is_refused() -> None:
    header = picture("photo.png")[:16] + struct.pack(">II", 60_000, 60_000) + b"\0" * 20
    with pytest.raises(ImageRefused, match="too large to show"):
        inspect(header, "image/png")


def test_image_urls_lead_first_each_once_absolute_web_only_capped() -> None:
    html = (
        '<p><img src="https://cdn.example/a.png?x=1&amp;y=2" alt="a &gt; b"></p>'
        '<img src="https://cdn.example/lead.jpg"><img alt="no source">'
        '<img src="http://example.org/pixel.gif"><img src="https://cdn.example/b.png">'
    )
    assert image_urls(html, "https://cdn.example/lead.jpg") == [
        "https://cdn.example/lead.jpg",
        "https://cdn.example/a.png?x=1&y=2",
        "https://cdn.example/b.png",
    ]
    assert image_urls(html, "file:///etc/passwd") == image_urls(html, None)
    many = "".join(f'<img src="https://cdn.example/{n}.png">' for n in range(50))
    assert len(image_urls(many, None)) == images.MAX_IMAGES


# -- in the product ---------------------------------------------------------------------------------------
def page_with(images_html: str, lead: str | None = None) -> bytes:
    og = f'<meta property="og:image" content="{lead}">' if lead else ""
    body = f"<p>{PARAGRAPHS[0]}</p>{images_html}<p>{PARAGRAPHS[1]}</p><p>{PARAGRAPHS[2]}</p>"
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>{og}<title>Harbour</title>"
        "<meta property='og:type' content='article'></head>"
        f"<body><article><h1>Harbour reopens</h1>{body}</article></body></html>"
    ).encode()


def img(*paths: str) -> str:
    return "".join(
        f'<figure><img src="{p}" alt="a picture"><figcaption>Boats.</figcaption></figure>' for p in paths
    )


def subscribe(
    library: Library, server: LoopbackServer, pages: dict[str, bytes], name: str = "/feed.xml"
) -> int:
    for path, body in pages.items():
        server.serve(path, body, "text/html; charset=utf-8")
    items = "".join(
        f"<item><title>Story {path}</title><link>{server.url(path)}</link><guid>{path}</guid>"
        f"<description>One sentence.</description></item>"
        for path in pages
    )
    feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>S</title>{items}</channel></rss>"
    server.serve(name, feed.encode())
    feed_id = library.write(lambda c: feed_store.add_feed(c, server.url(name), images=True))  # allowed
    library.refresh([feed_id])
    return feed_id


def serve_images(server: LoopbackServer) -> None:
    server.serve("/img/photo.png", picture("photo.png"), "image/png")
    server.serve("/img/photo.jpg", picture("photo.jpg"), "image/jpeg")
    server.serve("/img/photo.gif", picture("photo.gif"), "image/gif")
    server.serve("/img/photo.webp", picture("photo.webp"), "image/webp")
    server.serve("/img/copy.png", picture("photo.png"), "image/png")  # the same bytes at another address
    server.serve("/img/dot.png", picture("pixel.png"), "image/png")  # a tracker by its size only
    server.serve("/img/logo.svg", picture("logo.svg"), "image/svg+xml")
    server.serve("/img/page.png", b"<html>not a picture</html>", "text/html")


def count(library: Library, table: str) -> int:
    return int(library.reader().execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_an_articles_images_are_stored_and_served_from_the_store_only(
    library: Library, server: LoopbackServer
) -> None:
    serve_images(server)
    html = img("/img/photo.png", "/img/photo.jpg", "/img/photo.gif", "/img/dot.png", "/img/logo.svg")
    subscribe(library, server, {"/a.html": page_with(html + img("/img/page.png"), lead="/img/photo.webp")})
    report = library.fetch_articles()
    assert (report.extracted, report.images, report.images_failed) == (1, 4, 3)
    server.log.clear()
    png = library.image(server.url("/img/photo.png"))
    assert png == (picture("photo.png"), "image/png")
    assert library.image(server.url("/img/photo.webp")) == (picture("photo.webp"), "image/webp")
    for refused in ("/img/dot.png", "/img/logo.svg", "/img/page.png"):
        assert library.image(server.url(refused)) is None
    assert library.image(server.url("/img/never.png")) is None
    assert library.image("file:///etc/passwd") is None
    assert server.log == []  # the store only, never the network
    failure = image_store.failure(library.reader(), server.url("/img/logo.svg"))
    assert failure is not None and "SVG" in failure


def test_images_are_fetched_once_and_stored_once_by_content(library: Library, server: LoopbackServer) -> None:
    serve_images(server)
    pages = {
        "/a.html": page_with(img("/img/photo.png", "/img/logo.svg")),
        "/b.html": page_with(img("/img/photo.png", "/img/copy.png")),
    }
    subscribe(library, server, pages)
    report = library.fetch_articles()
    assert (report.extracted, report.images, report.images_failed) == (2, 2, 1)
    assert len(server.requests_to("/img/photo.png")) == 1  # shown by two stories, fetched once
    assert count(library, "images WHERE sha256 IS NOT NULL") == 2 and count(library, "image_data") == 1
    assert library.image(server.url("/img/copy.png")) == library.image(server.url("/img/photo.png"))
    server.log.clear()
    again = library.fetch_articles()
    assert (again.images, again.images_failed) == (0, 0)
    assert server.log == []  # neither a stored image nor a refused one is fetched again


def test_requests_for_images_accept_no_svg_and_send_no_referer(
    library: Library, server: LoopbackServer
) -> None:
    serve_images(server)
    subscribe(library, server, {"/a.html": page_with(img("/img/photo.png"))})
    library.fetch_articles()
    (seen,) = server.requests_to("/img/photo.png")
    assert "image/png" in seen.headers["accept"] and "svg" not in seen.headers["accept"]
    assert "referer" not in seen.headers and "cookie" not in seen.headers


def test_a_feed_can_keep_no_images(library: Library, server: LoopbackServer) -> None:
    serve_images(server)
    feed_id = subscribe(library, server, {"/a.html": page_with(img("/img/photo.png"), lead="/img/photo.jpg")})
    assert library.images_on(feed_id)
    library.set_images(feed_id, False)
    assert not library.images_on(feed_id)
    report = library.fetch_articles()
    assert (report.extracted, report.images) == (1, 0)
    assert not any(s.path.startswith("/img/") for s in server.log)
    library.set_images(feed_id, True)  # turned on later: the stored articles get their images
    assert library.fetch_articles().images == 2
    with pytest.raises(Exception, match="no feed 999"):
        library.set_images(999, True)


def test_an_image_too_large_is_refused_and_an_article_has_at_most_so_many(
    library: Library, server: LoopbackServer
) -> None:
    serve_images(server)
    server.serve("/img/huge.png", picture("photo.png") + b"\0" * (images.MAX_IMAGE_BYTES + 1), "image/png")
    many = [f"/img/{n}.png" for n in range(images.MAX_IMAGES + 5)]
    for path in many:
        server.serve(path, picture("photo.png") + path.encode(), "image/png")
    subscribe(library, server, {"/a.html": page_with(img("/img/huge.png")), "/b.html": page_with(img(*many))})
    report = library.fetch_articles()
    assert (report.images, report.images_failed) == (images.MAX_IMAGES, 1)
    failure = image_store.failure(library.reader(), server.url("/img/huge.png"))
    assert failure is not None and "too large" in failure
    assert len([s for s in server.log if s.path in many]) == images.MAX_IMAGES  # the rest never asked for


def test_an_articles_images_stop_at_its_byte_budget(
    library: Library, server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "MAX_ARTICLE_BYTES", 2 * len(picture("photo.png")))
    paths = [f"/img/{n}.png" for n in range(5)]
    for path in paths:
        server.serve(path, picture("photo.png") + path.encode(), "image/png")
    subscribe(library, server, {"/a.html": page_with(img(*paths))})
    assert library.fetch_articles().images == 2
    assert library.fetch_articles().images == 0  # the rest is dropped from the article, not tried later
    assert len([s for s in server.log if s.path in paths]) == 2


def test_an_unreachable_image_is_tried_again_later_a_few_times(
    library: Library, server: LoopbackServer
) -> None:
    server.routes["/img/busy.png"] = lambda h: Response(503, b"busy")
    server.routes["/img/gone.png"] = lambda h: Response(404, b"gone")
    subscribe(library, server, {"/a.html": page_with(img("/img/busy.png", "/img/gone.png"))})
    assert library.fetch_articles().images_failed == 2
    assert library.fetch_articles().images_failed == 0  # not at once
    for _ in range(image_store.MAX_ATTEMPTS + 2):
        library.write(lambda c: c.execute("UPDATE images SET fetched_at = fetched_at - 86400"))
        library.fetch_articles()
    assert len(server.requests_to("/img/busy.png")) == image_store.MAX_ATTEMPTS
    assert len(server.requests_to("/img/gone.png")) == 1  # a 404 is an answer: never asked again
    server.serve("/img/busy.png", picture("photo.png"), "image/png")  # a retry that succeeds is kept
    library.write(
        lambda c: c.execute("UPDATE images SET attempts = 1, fetched_at = 0 WHERE url LIKE '%busy%'")
    )
    assert library.fetch_articles().images == 1
    assert library.image(server.url("/img/busy.png")) is not None


def test_redirects_are_followed_and_checked(library: Library, server: LoopbackServer) -> None:
    serve_images(server)
    server.redirect("/img/moved.png", server.url("/img/photo.png"))
    server.redirect("/img/local.png", "file:///etc/passwd")
    subscribe(library, server, {"/a.html": page_with(img("/img/moved.png", "/img/local.png"))})
    report = library.fetch_articles()
    assert (report.images, report.images_failed) == (1, 1)
    assert library.image(server.url("/img/moved.png")) == (picture("photo.png"), "image/png")
    failure = image_store.failure(library.reader(), server.url("/img/local.png"))
    assert failure is not None and "http or https" in failure


def test_images_no_article_shows_are_deleted(library: Library, server: LoopbackServer) -> None:
    serve_images(server)
    feed_id = subscribe(library, server, {"/a.html": page_with(img("/img/photo.png", "/img/logo.svg"))})
    subscribe(library, server, {"/b.html": page_with(img("/img/photo.jpg"))}, name="/other.xml")
    library.fetch_articles()
    assert count(library, "images") == 3
    library.remove_feed(feed_id)
    library.fetch_articles()
    assert library.image(server.url("/img/photo.png")) is None
    assert count(library, "images") == 1 and count(library, "image_data") == 1
    assert library.image(server.url("/img/photo.jpg")) is not None


def test_extracting_again_lists_the_images_again(library: Library, server: LoopbackServer) -> None:
    serve_images(server)
    feed_id = subscribe(library, server, {"/a.html": page_with(img("/img/photo.png"))})
    library.fetch_articles()
    story = next(s.id for s, _ in library.stories(StoryFilter((feed_id,))))
    other = page_with(img("/img/photo.gif"))  # as if a better extractor found another picture in the page
    library.write(lambda c: c.execute("UPDATE articles SET page = ? WHERE story_id = ?", (other, story)))
    library.reextract([story])
    assert library.fetch_articles().images == 1  # listed again from the new extraction, and fetched
    assert library.image(server.url("/img/photo.gif")) is not None
    assert library.image(server.url("/img/photo.png")) is None  # no article shows it any more


def test_a_cancelled_run_fetches_no_images(library: Library, server: LoopbackServer) -> None:
    serve_images(server)
    feed_id = subscribe(library, server, {"/a.html": page_with(img("/img/photo.png"))})
    library.set_images(feed_id, False)
    library.fetch_articles()
    library.set_images(feed_id, True)
    cancel = threading.Event()
    cancel.set()
    assert library.fetch_articles(cancel=cancel).images == 0
    assert not any(s.path.startswith("/img/") for s in server.log)


def test_an_image_is_found_however_its_address_is_written(library: Library, server: LoopbackServer) -> None:
    server.serve("/img/caf%C3%A9%20au%20lait.png", picture("photo.png"), "image/png")
    subscribe(library, server, {"/a.html": page_with(img("/img/caf%C3%A9 au%20lait.png"))})
    assert library.fetch_articles().images == 1
    port = server.server_address[1]
    for written in (  # as the page wrote it, as QUrl shows it, fully encoded, with another case
        f"http://127.0.0.1:{port}/img/caf%C3%A9 au%20lait.png",
        f"http://127.0.0.1:{port}/img/café au lait.png",
        f"http://127.0.0.1:{port}/img/caf%c3%a9%20au%20lait.png",
        f"HTTP://127.0.0.1:{port}/img/caf%C3%A9%20au%20lait.png#top",
    ):
        assert library.image(written) == (picture("photo.png"), "image/png"), written
