"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read into a draft.

The document is hostile: any field may have any type, so every value is checked before use, and
nothing is walked recursively (json.loads itself refuses absurd nesting with RecursionError).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tidings.core.drafts import NO_IMAGE, EntryDraft, FeedDraft
from tidings.core.errors import FeedParseError

VERSION_PREFIX = "https://jsonfeed.org/version/"
MAX_JSON_FEED_BYTES = 50 * 1024 * 1024  # json.loads holds it all at once, several times its size
_FORMATS = {"1": "json10", "1.0": "json10", "1.1": "json11"}
_NOT_A_FEED = "This address returned JSON, but not a JSON Feed."


def read_json_feed(body: bytes) -> FeedDraft:
    """Read a JSON Feed document; raise FeedParseError if it is not valid JSON or not a JSON Feed."""
    data = _load(body)
    version = _str(data.get("version"))
    if not version.startswith(VERSION_PREFIX):
        raise FeedParseError(_NOT_A_FEED)
    items = data.get("items")
    return FeedDraft(
        format=_format(version.removeprefix(VERSION_PREFIX)),
        parser="json",
        title=_str(data.get("title")),
        site_url=_str(data.get("home_page_url")) or None,
        description=_str(data.get("description")),
        icon=_str(data.get("icon")) or _str(data.get("favicon")) or None,
        language=_str(data.get("language")) or None,
        entries=[_entry(item) for item in items if isinstance(item, dict)] if isinstance(items, list) else [],
        warnings=[] if isinstance(items, list) else ["The JSON Feed has no list of items."],
    )


def _load(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_JSON_FEED_BYTES:  # a download is capped lower (FetchPolicy.max_bytes): a backstop
        raise FeedParseError(f"This JSON Feed is too large to read (over {MAX_JSON_FEED_BYTES // 2**20} MB).")
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise FeedParseError("The document is JSON nested too deeply to be a feed.") from exc
    except ValueError as exc:  # includes bad UTF-8 and over-long numbers
        raise FeedParseError("This address returned something that is neither a feed nor JSON.") from exc
    if not isinstance(data, dict):
        raise FeedParseError(_NOT_A_FEED)
    return data


def _format(version: str) -> str:
    version = version.strip("/")
    if version in _FORMATS:
        return _FORMATS[version]
    return "json" + version.replace(".", "") if re.fullmatch(r"\d{1,2}(\.\d{1,2})?", version) else "json"


def _entry(item: dict[str, Any]) -> EntryDraft:
    image = _str(item.get("image")) or _str(item.get("banner_image")) or None
    return EntryDraft(
        guid=_id(item.get("id")),
        link=_str(item.get("url")) or _str(item.get("external_url")) or None,
        title=_str(item.get("title")),
        author=_author(item),
        summary=_str(item.get("summary")),
        summary_type="text",
        contents=_contents(item),
        published=_str(item.get("date_published")) or None,
        updated=_str(item.get("date_modified")) or None,
        image=image,
        image_rank=0 if image else NO_IMAGE,
    )


def _contents(item: dict[str, Any]) -> list[tuple[str, str]]:
    """content_html if there is one, else content_text (escaped into paragraphs later)."""
    content_html, content_text = _str(item.get("content_html")), _str(item.get("content_text"))
    if content_html.strip():
        return [(content_html, "html")]
    return [(content_text, "text")] if content_text.strip() else []


def _author(item: dict[str, Any]) -> str | None:
    """The first named author: `authors` (1.1), else `author` (1.0)."""
    authors = item.get("authors")
    candidates = [*(authors if isinstance(authors, list) else []), item.get("author")]
    names = (_str(author.get("name")) for author in candidates if isinstance(author, dict))
    return next((name for name in names if name.strip()), None)


def _id(value: object) -> str | None:
    """Item ids are strings, but numbers are common in the wild: keep them as their text."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
