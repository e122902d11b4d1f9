"""Article extraction: readability-lxml at the heart, our own passes before and after it.

Before readability we drop obvious page chrome (navigation, share and newsletter boxes, comments) and undo
page shapes it misreads (lazy images, embedded posts in wrappers, one paragraph per wrapper); a small fix to
readability itself keeps an opening paragraph that starts with a dateline; after it we drop the headline
block (its title, byline and date are Article fields) and cut the rails of unrelated headlines it keeps
("Related", "Most read", runs of one-link paragraphs, teaser cards, pitches and bios at the end). The result
says how sure it is, and why it failed when it did, so the caller can fall back to the feed's content.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import lxml.etree
import lxml.html
from lxml.html import HtmlElement
from readability import Document
from readability.readability import Unparseable

from .metadata import Metadata, clean_title, cut_headline_block, read_metadata
from .rails import clean_page, cut_rails, link_density
from .sanitize import html_to_text, sanitize_html

EXTRACTOR_VERSION = "tidings-extract/2"
MAX_INPUT_CHARS = 8_000_000  # readability silently returns nothing for a text node over 10 MB
MIN_ARTICLE_CHARS = 250

_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([-\w:.]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_FLATTEN = re.compile(r"</?(?:div|span|section|font|center)\b[^>]*>", re.I)
_DATELINE_TAGS = frozenset(["cite", "b", "strong", "span", "time"])
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


class _Readability(Document):  # type: ignore[misc]  # readability-lxml has no type hints
    """readability-lxml with one fix: it joins a paragraph beside the best candidate by the paragraph's own
    leading text (`p.text`), so a story paragraph that opens with a <cite> or <b> dateline is lost, where
    Readability.js, which it ports, reads the whole text. Such paragraphs are offered as candidates."""

    def get_article(
        self, candidates: dict[Any, Any], best_candidate: dict[str, Any], html_partial: bool = False
    ) -> HtmlElement:
        threshold = max(10, best_candidate["content_score"] * 0.2)
        parent = best_candidate["elem"].getparent()
        for sibling in parent if parent is not None else ():
            if sibling.tag == "p" and sibling not in candidates and self._joins(sibling):
                candidates[sibling] = {"content_score": threshold, "elem": sibling}
        article: HtmlElement = super().get_article(candidates, best_candidate, html_partial)
        return article

    def _joins(self, paragraph: HtmlElement) -> bool:
        if (paragraph.text or "").strip() or not len(paragraph) or paragraph[0].tag not in _DATELINE_TAGS:
            return False
        if not (paragraph[0].tail or "").strip():  # all in one <b> or <span>: a note, not an opening line
            return False
        text = " ".join(paragraph.text_content().split())
        return len(text) > 80 and self.get_link_density(paragraph) < 0.25


class PageTooDeep(Exception):
    """The page nests deeper than the HTML parser follows, even after flattening."""


@dataclass(frozen=True, slots=True)
class Article:
    """One extracted article; `failure` is a sentence when the extraction failed or looks cut."""

    title: str | None
    byline: str | None
    published: datetime | None
    lead_image: str | None
    canonical_url: str | None
    language: str | None
    html: str
    text: str
    is_article: bool
    confidence: float
    failure: str | None
    extractor_version: str = EXTRACTOR_VERSION


def extract_article(html: str | bytes, url: str | None = None) -> Article:
    """The article in the page `html` (str, or bytes decoded from BOM or <meta charset>), links resolved
    against `url`. Never raises on bad input: a page that yields no article has `is_article` False and a
    `failure` sentence."""
    text = decode_html(html) if isinstance(html, bytes) else html
    text = _XML_DECLARATION.sub("", text, count=1)
    truncated = len(text) > MAX_INPUT_CHARS
    try:
        doc = parse_page(text[:MAX_INPUT_CHARS])
    except PageTooDeep:
        return _failed("The page is nested too deeply to be read as an article.")
    except (lxml.etree.ParserError, ValueError):
        return _failed("The page could not be parsed as HTML.")
    meta = read_metadata(doc, url)
    body, headed = _extract_body(doc, meta)
    return _article(meta, body, url, truncated, headed)


def decode_html(raw: bytes) -> str:
    """Text of page bytes: by BOM, then a <meta charset> in the first 4 KB, then UTF-8, then cp1252."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(encoding, "replace")
    declared = _META_CHARSET.search(raw[:4096])
    if declared:
        try:
            encoding = codecs.lookup(declared.group(1).decode("ascii", "ignore")).name
            if not encoding.startswith("utf-16"):  # a page that is read as ASCII cannot be UTF-16
                return raw.decode(encoding, "replace")
        except (LookupError, ValueError):
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def parse_page(text: str) -> HtmlElement:
    """The parsed document; a page nested past libxml2's depth limit is flattened once, then refused."""
    doc, too_deep = _parse(text)
    if too_deep:
        doc, too_deep = _parse(_FLATTEN.sub(" ", text))
        if too_deep:
            raise PageTooDeep
    return doc


def _parse(text: str) -> tuple[HtmlElement, bool]:
    parser = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)
    data = text.encode("utf-8", "replace")
    doc = lxml.html.document_fromstring(data or b"<html></html>", parser=parser)
    too_deep = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
    return doc, too_deep


def _extract_body(doc: HtmlElement, meta: Metadata) -> tuple[str, bool]:
    """The story's HTML, and whether it began with its own headline block (evidence of an article)."""
    clean_page(doc)
    body = doc.find("body")
    if body is None or not body.text_content().strip():  # readability would hand back the bare <head>
        return "", False
    try:
        # Links stay relative here: the sanitizer resolves them against the page URL, one pass less.
        summary: str = _Readability(lxml.html.tostring(doc, encoding="unicode")).summary(html_partial=True)
        root = lxml.html.fragment_fromstring(summary, create_parent="div") if summary.strip() else None
    except (Unparseable, lxml.etree.ParserError, ValueError, AssertionError):
        return "", False
    if root is None:
        return "", False
    headed = cut_headline_block(root, [t for t in (meta.title, meta.headline) if t], meta.byline)
    cut_rails(root, meta.byline)
    return str(lxml.html.tostring(root, encoding="unicode")), headed


def _article(meta: Metadata, body: str, url: str | None, truncated: bool, headed: bool) -> Article:
    html = sanitize_html(body, url) if body else ""
    text = html_to_text(html) if html else ""
    confidence = _confidence(meta, html, text, headed)
    failure = _failure(text, truncated)
    return Article(
        title=meta.title,
        byline=meta.byline,
        published=meta.published,
        lead_image=meta.lead_image,
        canonical_url=meta.canonical_url,
        language=meta.language,
        html=html,
        text=text,
        is_article=failure is None and confidence >= 0.4,
        confidence=confidence if failure is None else min(confidence, 0.1),
        failure=failure,
    )


def _confidence(meta: Metadata, html: str, text: str, headed: bool) -> float:
    if not text:
        return 0.0
    paragraphs = text.count("\n\n") + 1
    score = min(len(text) / 2000, 1.0) * 0.5 + min(paragraphs / 5, 1.0) * 0.2
    score += 0.2 if meta.declares_article else 0.0
    score += 0.1 if headed else 0.0
    density = link_density(lxml.html.fragment_fromstring(html, create_parent="div"))
    score += 0.1 * (1.0 - density)
    return round(max(0.0, min(score * (1.0 - density), 1.0)), 3)


def _failure(text: str, truncated: bool) -> str | None:
    if not text:
        return "No article text was found on the page."
    if len(text) < MIN_ARTICLE_CHARS:
        return "The extracted text is very short: the page may not be an article, or the extraction was cut."
    if truncated:
        return "The page is too large; only its beginning was read, so the article may be cut."
    return None


def _failed(reason: str) -> Article:
    return Article(None, None, None, None, None, None, "", "", False, 0.0, reason)


__all__ = ["EXTRACTOR_VERSION", "Article", "clean_title", "decode_html", "extract_article", "parse_page"]
