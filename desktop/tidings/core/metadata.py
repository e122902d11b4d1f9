"""Article metadata from a parsed page: meta tags, JSON-LD, <time> and <title>, all read defensively."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml.html import HtmlElement

from .sanitize import absolute_url

_ARTICLE_TYPES = re.compile(r"article|posting|report|blog", re.I)
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\u2013\u2014·•»:]|-{1,2})\s+")
_MAX_JSONLD = 500_000


@dataclass(frozen=True, slots=True)
class Metadata:
    """What a page says about itself, before any content extraction."""

    title: str | None
    byline: str | None
    published: datetime | None
    lead_image: str | None
    canonical_url: str | None
    language: str | None
    declares_article: bool


def read_metadata(doc: HtmlElement, url: str | None) -> Metadata:
    """Metadata of the parsed document `doc`; relative URLs are resolved against `url`."""
    meta = _meta_values(doc)
    objects = list(_jsonld_objects(doc))
    article = next((o for o in objects if _is_article(o)), objects[0] if objects else {})
    return Metadata(
        title=_title(doc, meta, article),
        byline=_byline(doc, meta, article),
        published=_published(doc, meta, article),
        lead_image=_lead_image(meta, article, url),
        canonical_url=_canonical(doc, meta, url),
        language=_language(doc, meta),
        declares_article=bool(article and _is_article(article)) or meta.get("og:type") == "article",
    )


def _meta_values(doc: HtmlElement) -> dict[str, str]:
    values: dict[str, str] = {}
    for element in doc.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        key = key or element.get("http-equiv")
        content = (element.get("content") or "").strip()
        if key and content:
            values.setdefault(key.strip().lower(), content)
    return values


def _jsonld_objects(doc: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads((script.text or "")[:_MAX_JSONLD], strict=False)
        except ValueError:
            continue
        yield from _flatten_jsonld(data, 0)


def _flatten_jsonld(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten_jsonld(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        yield from _flatten_jsonld(data.get("@graph"), depth + 1)


def _is_article(obj: dict[str, Any]) -> bool:
    kinds = obj.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and _ARTICLE_TYPES.search(k) for k in kinds)


def _text(value: Any) -> str | None:
    """A one-line string from a JSON-LD value that may be a string, a dict with a name, or a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("url") or value.get("@id")
    if isinstance(value, str | int | float) and str(value).strip():
        return " ".join(str(value).split())
    return None


def _title(doc: HtmlElement, meta: dict[str, str], article: dict[str, Any]) -> str | None:
    for value in (meta.get("og:title"), _text(article.get("headline")), meta.get("twitter:title")):
        if value and value.strip():
            return " ".join(value.split())
    title = doc.find(".//title")
    return clean_title(title.text_content()) if title is not None else None


def clean_title(title: str) -> str | None:
    """A page <title> without its " | Site name" suffix (the longest part wins)."""
    title = " ".join(title.split())
    parts = _TITLE_SEPARATORS.split(title)
    best = max(parts, key=len) if len(parts) > 1 else title
    return (best if len(best.split()) >= 3 else title) or None


def _byline(doc: HtmlElement, meta: dict[str, str], article: dict[str, Any]) -> str | None:
    names = _author_names(article.get("author"))
    if names:
        return ", ".join(dict.fromkeys(names))
    for key in ("author", "article:author", "parsely-author", "dc.creator", "sailthru.author"):
        value = meta.get(key)
        if value and not value.startswith("http"):
            return " ".join(value.split())
    return _byline_from_markup(doc)


def _author_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = [_text(item.get("name") if isinstance(item, dict) else item) for item in items[:10]]
    return [n for n in names if n and not n.startswith("http")]


def _byline_from_markup(doc: HtmlElement) -> str | None:
    paths = ('.//a[@rel="author"]', './/*[@itemprop="author"]', './/*[contains(@class, "byline")]')
    for path in paths:
        for element in doc.iterfind(path) if "contains" not in path else doc.xpath(path):
            text = " ".join(element.text_content().split())
            if 2 < len(text) < 120:
                return text
    return None


def _published(doc: HtmlElement, meta: dict[str, str], article: dict[str, Any]) -> datetime | None:
    candidates = [
        meta.get("article:published_time"),
        _text(article.get("datePublished")),
        meta.get("datepublished"),
        *(t.get("datetime") for t in doc.iterfind(".//time[@datetime]")),
        meta.get("date"),
        meta.get("dc.date"),
        meta.get("pubdate"),
        _text(article.get("dateCreated")),
    ]
    for value in candidates:
        parsed = parse_date(value)
        if parsed is not None:
            return parsed
    return None


def parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime from ISO 8601 or RFC 2822 text; naive times are taken as UTC."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _lead_image(meta: dict[str, str], article: dict[str, Any], url: str | None) -> str | None:
    image = article.get("image")
    candidates = [
        meta.get("og:image"),
        meta.get("og:image:url"),
        meta.get("og:image:secure_url"),
        meta.get("twitter:image"),
        meta.get("twitter:image:src"),
        _text(image.get("url") if isinstance(image, dict) else image),
    ]
    return _first_url(candidates, url)


def _canonical(doc: HtmlElement, meta: dict[str, str], url: str | None) -> str | None:
    links = [e.get("href") for e in doc.iter("link") if (e.get("rel") or "").lower() == "canonical"]
    return _first_url([*links, meta.get("og:url")], url)


def _first_url(candidates: list[str | None], base: str | None) -> str | None:
    for value in candidates:
        absolute = absolute_url(value, base) if value else None
        if absolute and absolute.startswith(("http://", "https://")):
            return absolute
    return None


def _language(doc: HtmlElement, meta: dict[str, str]) -> str | None:
    for value in (doc.get("lang"), doc.get("xml:lang"), meta.get("og:locale"), meta.get("content-language")):
        if value and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*", value.strip()):
            return value.strip().replace("_", "-")
    return None
