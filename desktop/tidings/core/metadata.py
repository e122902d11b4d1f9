"""Article metadata from a parsed page: meta tags, JSON-LD, <time>, <title> and <h1>, all read defensively;
and the headline block that shows them at the top of an extracted body."""

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
_EPOCH_YEAR = 1970
_BY = re.compile(r"^(?:by|von|par|por|di)\s+", re.I)
_BYLINE_DATE = re.compile(r"\s(?:Published|Updated|Posted|Last updated)\b", re.I)


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
    headline: str | None = None  # the page's first <h1>, which may differ from the social title


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
        headline=_headline(doc),
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


def _headline(doc: HtmlElement) -> str | None:
    heading = next(doc.iter("h1"), None)
    text = " ".join(heading.text_content().split()) if heading is not None else ""
    return text[:300] or None


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
            return _clean_byline(value)
    markup = _byline_from_markup(doc)
    return _clean_byline(markup) if markup else None


def _clean_byline(value: str) -> str | None:
    """A byline without its "By" and without a date line run into it: "By Ann Lee Published 9:41 AM"."""
    value = _BYLINE_DATE.split(" ".join(value.split()), maxsplit=1)[0]
    return _BY.sub("", value).strip(" ,|-–—") or None


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
        if parsed is not None and parsed.year > _EPOCH_YEAR:  # "0001-01-01", "1970-01-01": an empty field
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


# --- the headline block at the top of the body ------------------------------------------------------------

_WORD = re.compile(r"\w+")
_DATE_WORDS = frozenset(
    " ".join(
        [
            "published updated posted modified last edited on at the of am pm a p m h um today yesterday ago",
            "hours minutes de às as à a le el la del alle veröffentlicht aktualisiert publié mis jour publicado",
            "atualizado actualizado pubblicato aggiornato est edt cst cdt mst mdt pst pdt gmt utc bst cet cest",
            "jan january feb february mar march apr april may jun june jul july aug august sep sept september",
            "oct october nov november dec december januar februar märz mai juni juli oktober dezember janvier",
            "février mars avril juin juillet août septembre octobre novembre décembre enero febrero marzo abril",
            "mayo junio julio agosto septiembre setiembre octubre noviembre diciembre janeiro fevereiro março",
            "maio junho julho setembro outubro novembro dezembro gennaio febbraio aprile maggio giugno luglio",
            "settembre ottobre dicembre mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri",
            "friday sat saturday sun sunday montag dienstag mittwoch donnerstag freitag samstag sonntag lundi",
            "mardi mercredi jeudi vendredi samedi dimanche lunes martes miércoles jueves viernes sábado domingo",
            "segunda terça quarta quinta sexta feira lunedì martedì mercoledì giovedì venerdì sabato domenica",
        ]
    ).split()
)
_BYLINE_WORDS = frozenset(["by", "and", "von", "und", "par", "et", "por", "y", "e", "di", "da"])
_HEADER_SCAN = 8
_HEADINGS = tuple(f"h{level}" for level in range(1, 7))
_LEAF_BLOCKS = frozenset(
    ["p", "li", "div", "dd", "dt", "section", "figcaption", "header", "address", *_HEADINGS]
)
_STOP_BLOCKS = frozenset(["table", "ul", "ol", "pre", "blockquote", "dl"])


def words(text: str) -> list[str]:
    """The lower-case words of `text`."""
    return _WORD.findall(text.lower())


def name_words(byline: str | None) -> set[str]:
    """The words of a byline's names, without "by" and "and"."""
    return set(words(byline or "")) - _BYLINE_WORDS


def cut_headline_block(root: HtmlElement, titles: list[str], byline: str | None) -> bool:
    """Drop the headline block at the top of the extracted body `root`: the title, its kicker, the byline and
    the date lines. The Article carries them as fields and the reader shows them in its own header; the story
    (and its dateline, which opens the first paragraph) starts after them. Nothing goes unless a title, byline
    or date line is among the first blocks, and scanning stops at the first block of story text. True when
    such a headline block was found."""
    title_words = [words(t) for t in titles]
    byline_words = set(words(byline or ""))
    run: list[tuple[HtmlElement, str]] = []
    for block in _leading_blocks(root):
        kind = _header_kind(_norm(block), title_words, byline_words)
        if kind is None or (kind == "label" and any(k != "label" for _, k in run)):
            break  # a short label after the headline is the story's first subheading
        run.append((block, kind))
    if not any(kind != "label" for _, kind in run):
        return False
    for block, _ in run:
        if block.getparent() is not None:
            block.drop_tree()
    return True


def _norm(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _leading_blocks(root: HtmlElement) -> Iterator[HtmlElement]:
    """The first leaf blocks with text, in document order, up to the first list, table or quote; figures
    (a lead image and its caption) are passed over."""
    seen = 0
    for element in root.iterdescendants():
        if not isinstance(element.tag, str):
            continue
        if element.tag in _STOP_BLOCKS:
            return
        if element.tag not in _LEAF_BLOCKS or not _norm(element) or _holds_blocks(element):
            continue
        if element.tag == "figcaption" or any(a.tag == "figure" for a in element.iterancestors()):
            continue
        yield element
        seen += 1
        if seen >= _HEADER_SCAN:
            return


def _holds_blocks(element: HtmlElement) -> bool:
    return any(
        isinstance(c.tag, str) and c.tag in _LEAF_BLOCKS | _STOP_BLOCKS for c in element.iterdescendants()
    )


def _header_kind(text: str, titles: list[list[str]], byline: set[str]) -> str | None:
    tokens = words(text)
    if not tokens or len(text) > 200:
        return None
    if any(_is_title(tokens, title) for title in titles if title):
        return "title"
    if len(text) <= 150 and _is_byline_or_date(text, tokens, byline):
        return "meta"
    if len(tokens) <= 3 and len(text) <= 30 and not re.search(r"[.!?]", text):
        return "label"
    return None


def _is_title(tokens: list[str], title: list[str]) -> bool:
    if tokens == title:
        return True
    if len(tokens) >= 3 and _contains(title, tokens):
        return True
    return len(title) >= 3 and len(tokens) <= len(title) + 3 and _contains(tokens, title)


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _is_byline_or_date(text: str, tokens: list[str], byline: set[str]) -> bool:
    """A line made only of the byline's names, date and time words, and numbers, or "By" and a few names."""
    allowed = byline | _DATE_WORDS | _BYLINE_WORDS
    strangers = [w for w in tokens if w not in allowed and not w.isdigit()]
    if tokens[0] == "by":  # "By Ann Lee and Bo Chan, Monday 4 May", not "By Tuesday the storm had passed."
        names = text.split()[1:3]
        return (
            len(strangers) <= 6 and all(n[:1].isupper() for n in names) and not text.endswith((".", "!", "?"))
        )
    dated = any(w.isdigit() for w in tokens) or all(w in _DATE_WORDS for w in tokens)
    if dated:  # time zones, in capitals: "9:41 AM WET"
        zones = {w.lower() for w in _WORD.findall(text) if w.isupper() and 2 <= len(w) <= 5}
        strangers = [w for w in strangers if w not in zones]
    return not strangers and (dated or any(w in byline for w in tokens))
