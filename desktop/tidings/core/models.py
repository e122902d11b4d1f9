"""Frozen dataclasses shared by the core, the CLI and the UI. Times are timezone-aware UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .netpolicy import Resolver


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry of a feed as parsed, before it is stored. HTML fields are raw (unsanitized)."""

    guid: str | None
    link: str | None
    title: str
    author: str | None = None
    summary_html: str = ""
    content_html: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A whole parsed feed document."""

    title: str
    format: str  # "rss20", "rss10", "rss09x", "atom10", "atom03", "json10", "json11", ...
    entries: tuple[ParsedEntry, ...]
    site_url: str | None = None
    description: str = ""
    icon_url: str | None = None
    language: str | None = None
    parser: str = "feedparser"  # which parser produced it: "fast", "feedparser" or "json"
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed offered by a website (autodiscovery result)."""

    url: str
    title: str = ""
    type: str = ""


@dataclass(frozen=True, slots=True)
class Outline:
    """One OPML outline: a folder (no xml_url, has children) or a feed (xml_url set).

    `attrs` keeps every attribute as written, in order, so an export can reproduce what was imported.
    """

    text: str
    xml_url: str | None = None
    attrs: tuple[tuple[str, str], ...] = ()
    children: tuple[Outline, ...] = ()


@dataclass(frozen=True, slots=True)
class OPMLDocument:
    title: str
    outlines: tuple[Outline, ...]
    head: tuple[tuple[str, str], ...] = ()  # head elements (name, text) in order, for a faithful export
    version: str = "2.0"


@dataclass(frozen=True, slots=True)
class Folder:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class FeedError:
    message: str
    at: datetime
    count: int  # consecutive failures


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    title: str
    folder: str | None = None
    site_url: str | None = None
    description: str = ""
    icon_url: str | None = None
    unread: int = 0
    total: int = 0
    last_checked: datetime | None = None
    next_check: datetime | None = None
    error: FeedError | None = None
    auth: str | None = None  # "basic" / "bearer" when the keyring holds a secret for it
    show: str = "auto"  # "feed", "article", or "auto": full articles when the feed carries summaries only


@dataclass(frozen=True, slots=True)
class Story:
    id: int
    feed_id: int
    title: str
    url: str | None
    published: datetime | None
    read: bool
    starred: bool
    feed_title: str = ""
    author: str | None = None
    summary_html: str = ""
    content_html: str = ""
    text: str = ""
    image_url: str | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    story: Story
    snippet: str  # plain text with [matches] marked by the caller's markers
    rank: float


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What a refresh did to one feed."""

    feed_id: int
    url: str
    status: str  # "updated", "not-modified", "unchanged", "skipped", "error"
    new: int = 0
    changed: int = 0
    http_status: int | None = None
    error: str | None = None
    moved_to: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class RefreshReport:
    outcomes: tuple[FeedOutcome, ...] = field(default_factory=tuple)
    seconds: float = 0.0
    articles: Any = None  # an articles.ArticleReport when pages of summary-only feeds were fetched

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def errors(self) -> tuple[FeedOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "error")


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Network limits for one refresh or subscription."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 60.0  # per document, over every redirect
    max_bytes: int = 10 * 1024 * 1024  # decoded size
    max_redirects: int = 5
    per_host: int = 2  # at once per host: polite
    total: int = 32  # at once overall
    # looks host names up and says which answers are public (netpolicy); None: the system's DNS
    resolver: Resolver | None = field(default=None, compare=False, repr=False)
