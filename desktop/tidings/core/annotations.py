"""Highlights and notes, anchored the W3C Web Annotation way so that they survive a new version of the text.

A highlight is kept as a TextQuoteSelector (its exact words, with up to `CONTEXT_CHARS` characters of context on
each side) and a TextPositionSelector, both over the *normalised* plain text of the article (`normalise_text`),
with the version of the extractor that produced the text. When the text changes, `reanchor` finds the words again:

1. **exact**: every occurrence of the quote, scored by how much of the stored context still touches it; the best
   wins if at least `CONTEXT_MIN` of the context agrees (or the quote is long enough to vouch for itself); when
   context cannot tell two occurrences apart, the one nearest the old position wins;
2. **context**: the words may have changed, so find where the prefix ends and the suffix starts (exactly, or
   approximately near the old position) and take the words in between or next to them; they are kept if they are
   at least `FUZZY_MIN` similar to the quote (edit distance, Myers' bit-vector algorithm);
3. otherwise the highlight is an **orphan**: the caller shows it with its quote and never drops it.

A highlight is never moved to other words on weak evidence: a quote found elsewhere without context, or similar
words without context around them, make an orphan.

Positions are code points (Python `str` indices), as the W3C model says; Qt counts UTF-16 units.
"""

from __future__ import annotations

import math
import re
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .errors import UserInputError

CONTEXT_CHARS = 32  # as Hypothesis and the W3C examples: enough to tell repeated words apart
CONTEXT_MIN = 0.5  # one side of the context intact is enough: an edit touches one side at a time
SELF_EVIDENT = 32  # a quote this long found verbatim identifies itself, context or not
TIE = 0.125  # context scores this close (8 of 64 characters) cannot decide: position does
FUZZY_MIN = 0.75  # at most a quarter of the characters edited, else it is other words
MIN_FIND = 8  # a shorter context side is not distinctive enough to be searched for alone
APPROXIMATE_WINDOW = 2048  # how far from the old position a damaged context is looked for

COLORS = {
    "yellow": "#fff176",
    "green": "#c5e1a5",
    "blue": "#90caf9",
    "pink": "#f8bbd0",
    "purple": "#d1c4e9",
}
DEFAULT_COLOR = "yellow"
W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
TIDINGS_NS = "https://tidings.github.io/ns#"
_EXTRACTOR_KEY = "tidings:extractor"
_ID_NAMESPACE = uuid.UUID("6f1d3c1e-5b1a-4c1e-9a57-7469646e6773")

Status = Literal["exact", "moved", "fuzzy", "orphan"]


class AnnotationFormatError(UserInputError):
    """An annotation file that cannot be read."""


@dataclass(frozen=True, slots=True)
class TextQuoteSelector:
    exact: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True, slots=True)
class TextPositionSelector:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a highlight is, over the normalised text made by `extractor_version`. An imported anchor may lack
    the position."""

    quote: TextQuoteSelector
    position: TextPositionSelector | None
    extractor_version: str = ""

    def __post_init__(self) -> None:
        if not self.quote.exact:
            raise ValueError("an anchor needs the words it highlights")
        pos = self.position
        if pos is not None and not 0 <= pos.start <= pos.end:
            raise ValueError(f"bad position {pos.start}..{pos.end}")


@dataclass(frozen=True, slots=True)
class Annotation:
    """A highlight (with `anchor`) or a note on the whole story (`anchor` None). Times are aware UTC."""

    id: str
    anchor: Anchor | None
    created: datetime
    note: str = ""
    color: str = DEFAULT_COLOR
    modified: datetime | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("an annotation needs an id")
        if self.color not in COLORS:
            raise ValueError(f"unknown colour {self.color!r}")
        for moment in (self.created, self.modified):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError("annotation times must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Placement:
    """Where `reanchor` put a highlight in the new text: `start`/`end` are None for an orphan; `similarity` is
    1.0 unless the words changed."""

    status: Status
    start: int | None = None
    end: int | None = None
    similarity: float = 0.0

    @property
    def placed(self) -> bool:
        return self.status != "orphan"


@dataclass(frozen=True, slots=True)
class ImportedAnnotation:
    """An annotation read from a W3C document, with the address of the page it annotates."""

    source: str
    annotation: Annotation


def new_annotation_id() -> str:
    """A fresh IRI for an annotation."""
    return f"urn:uuid:{uuid.uuid4()}"


# Normalised text

_IGNORED = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))  # soft hyphen, zero-width space, joiners, BOM
_TOKEN = re.compile(r"\S+")


def normalise_text(text: str) -> str:
    """The text highlights are anchored in: NFC, invisible characters (soft hyphens, zero-width spaces) removed,
    every run of whitespace (paragraph breaks included) one space, no space at either end. Use it on
    `sanitize.html_to_text(article_html)`, or on what the reader shows."""
    return " ".join(unicodedata.normalize("NFC", text.translate(_IGNORED)).split())


def normalise_map(text: str) -> tuple[str, tuple[int, ...]]:
    """`normalise_text(text)` and, for each of its characters, the index in `text` it comes from; one more
    entry maps the end. Lets a selection in the raw text become an anchor, and a placement be shown."""
    parts: list[str] = []
    offsets: list[int] = []
    for match in _TOKEN.finditer(text):
        word, places = _normalise_token(match.group(), match.start())
        if not word:
            continue
        if parts:
            parts.append(" ")
            offsets.append(match.start() - 1)
        parts.append(word)
        offsets.extend(places)
    offsets.append(offsets[-1] + 1 if offsets else 0)
    return "".join(parts), tuple(offsets)


def _normalise_token(token: str, start: int) -> tuple[str, Sequence[int]]:
    if token.isascii():  # nothing to drop or compose: most words
        return token, range(start, start + len(token))
    kept = [(i, ch) for i, ch in enumerate(token, start) if ord(ch) not in _IGNORED]
    word = unicodedata.normalize("NFC", "".join(ch for _, ch in kept))
    if len(word) == len(kept):
        return word, [i for i, _ in kept]
    return word, [kept[k * len(kept) // len(word)][0] for k in range(len(word))]  # composed: spread evenly


# Anchoring


def anchor(text: str, start: int, end: int, extractor_version: str = "") -> Anchor:
    """The selectors of `text[start:end]` (`text` normalised), without whitespace at its ends."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"bad span {start}..{end} in a text of {len(text)} characters")
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise ValueError("the selection is only whitespace")
    quote = TextQuoteSelector(
        text[start:end], text[max(0, start - CONTEXT_CHARS) : start], text[end : end + CONTEXT_CHARS]
    )
    return Anchor(quote, TextPositionSelector(start, end), extractor_version)


def reanchor(text: str, where: Anchor) -> Placement:
    """Where the highlight `where` is in `text` (normalised), or an orphan. See the module docstring."""
    return _place_exact(text, where) or _place_by_context(text, where) or Placement("orphan")


def similarity(a: str, b: str) -> float:
    """1 - edit distance / length of the longer: 1.0 for equal strings, 0.0 for nothing in common."""
    longest = max(len(a), len(b))
    if not longest:
        return 1.0
    # stripping what is common leaves the edits: cheap, and exact for Levenshtein
    head = _common_prefix(a, b)
    a, b = a[head:], b[head:]
    tail = _common_prefix(a[::-1], b[::-1])
    a, b = a[: len(a) - tail], b[: len(b) - tail]
    return 1.0 - _edit_scores(a, b, anchored=True)[-1] / longest


def _place_exact(text: str, where: Anchor) -> Placement | None:
    quote, hint = where.quote, _hint(where)
    if hint is not None and text.startswith(quote.exact, hint) and _context_score(text, hint, quote) == 1.0:
        return _found(where, hint, hint + len(quote.exact), 1.0)  # unchanged: nothing can score higher
    scored = [(_context_score(text, s, quote), s) for s in _candidates(text, quote)]
    if not scored:
        return None
    best = max(score for score, _ in scored)
    if best < CONTEXT_MIN and len(quote.exact) < SELF_EVIDENT:
        return None
    tied = [s for score, s in scored if score >= best - TIE]
    start = min(tied, key=lambda s: _distance(s, hint))
    return _found(where, start, start + len(quote.exact), 1.0)


def _candidates(text: str, quote: TextQuoteSelector) -> list[int]:
    """The occurrences of the quote that may score at least CONTEXT_MIN - TIE: they keep at least `half` of
    the needed context characters on one side, so they contain that much of it next to the quote; or they sit
    at the start or end of the text, as the quote did. A short quote may occur thousands of times; this finds
    the few that matter at the speed of `str.find`."""
    prefix, exact, suffix = quote.prefix, quote.exact, quote.suffix
    if len(exact) >= SELF_EVIDENT:
        return _occurrences(text, exact)
    half = math.ceil(math.ceil((CONTEXT_MIN - TIE) * (len(prefix) + len(suffix))) / 2)
    found: set[int] = set()
    if len(prefix) >= half:
        found.update(s + half for s in _occurrences(text, prefix[len(prefix) - half :] + exact))
    if len(suffix) >= half:
        found.update(_occurrences(text, exact + suffix[:half]))
    if len(prefix) < CONTEXT_CHARS and text.startswith(prefix + exact):
        found.add(len(prefix))
    if len(suffix) < CONTEXT_CHARS and text.endswith(exact + suffix):
        found.add(len(text) - len(suffix) - len(exact))
    return sorted(found)


def _context_score(text: str, start: int, quote: TextQuoteSelector) -> float:
    """The share of the stored context that still touches this occurrence (unbroken, from the quote out).
    A context cut short by the start or end of the text counts as a full one where the occurrence is cut
    short the same way: being at the start is as telling as having the same 32 characters before."""
    prefix, suffix = quote.prefix, quote.suffix
    end = start + len(quote.exact)
    before = _common_prefix(text[max(0, start - len(prefix)) : start][::-1], prefix[::-1])
    after = _common_prefix(text[end : end + len(suffix)], suffix)
    total = len(prefix) + len(suffix)
    if len(prefix) < CONTEXT_CHARS and before == len(prefix) == start:
        before, total = CONTEXT_CHARS, total + CONTEXT_CHARS - len(prefix)
    if len(suffix) < CONTEXT_CHARS and after == len(suffix) == len(text) - end:
        after, total = CONTEXT_CHARS, total + CONTEXT_CHARS - len(suffix)
    return (before + after) / total if total else 1.0


def _common_prefix(a: str, b: str) -> int:
    """How many characters `a` and `b` share at their start (binary search over C-speed comparisons)."""
    low, high = 0, min(len(a), len(b))
    if a[:high] == b[:high]:
        return high
    while high - low > 1:  # a[:low] == b[:low], a[:high] != b[:high]
        middle = (low + high) // 2
        low, high = (middle, high) if a[low:middle] == b[low:middle] else (low, middle)
    return low


def _place_by_context(text: str, where: Anchor) -> Placement | None:
    exact = where.quote.exact
    for start, end in _context_spans(text, where.quote, _hint(where)):
        if start == end:
            continue
        if text[start:end] == exact:
            return _found(where, start, end, 1.0)
        score = similarity(exact, text[start:end])
        if score >= FUZZY_MIN:
            return _found(where, start, end, score)
    return None


def _context_spans(text: str, quote: TextQuoteSelector, hint: int | None) -> Iterator[tuple[int, int]]:
    """Where the words may be, best guess first: between the surviving prefix and suffix, then next to either.
    A long quote's own first and last `CONTEXT_CHARS` characters stand in for a lost prefix or suffix."""
    m, long = len(quote.exact), len(quote.exact) >= 2 * CONTEXT_CHARS
    start = _prefix_end(text, quote.prefix, hint)
    end = _suffix_start(text, quote.suffix, None if hint is None else hint + m)
    if start is None and long:
        start = _nearest(_occurrences(text, quote.exact[:CONTEXT_CHARS]), hint)
    if end is None and long:
        at = _nearest(_occurrences(text, quote.exact[-CONTEXT_CHARS:]), None if hint is None else hint + m)
        end = None if at is None else at + CONTEXT_CHARS
    if start is not None and end is not None and start < end <= start + 2 * m + CONTEXT_CHARS:
        yield _trim(text, start, end)
    if start is not None:
        yield _trim(text, *_align_after(text, quote.exact, start))
    if end is not None:
        yield _trim(text, *_align_before(text, quote.exact, end))


def _prefix_end(text: str, prefix: str, hint: int | None) -> int | None:
    if len(prefix) < CONTEXT_CHARS and text.startswith(prefix):
        return len(prefix)  # a short prefix is the start of the text
    if len(prefix) < MIN_FIND:
        return None
    at = _nearest(_occurrences(text, prefix), None if hint is None else hint - len(prefix))
    if at is not None:
        return at + len(prefix)
    return None if hint is None else _approximate_end(text, prefix, hint)


def _suffix_start(text: str, suffix: str, hint: int | None) -> int | None:
    if len(suffix) < CONTEXT_CHARS and text.endswith(suffix):
        return len(text) - len(suffix)
    if len(suffix) < MIN_FIND:
        return None
    at = _nearest(_occurrences(text, suffix), hint)
    if at is not None:
        return at
    if hint is None:
        return None
    flipped = _approximate_end(text[::-1], suffix[::-1], len(text) - hint)
    return None if flipped is None else len(text) - flipped


def _approximate_end(text: str, pattern: str, hint: int) -> int | None:
    """The end of the best match of `pattern` near `hint` with at most a quarter of its characters edited."""
    lo = max(0, hint - APPROXIMATE_WINDOW)
    scores = _edit_scores(pattern, text[lo : hint + APPROXIMATE_WINDOW], anchored=False)
    best = min(scores)
    if best > len(pattern) // 4:
        return None
    return lo + min((j for j, s in enumerate(scores) if s == best), key=lambda j: abs(lo + j - hint))


def _align_after(text: str, exact: str, start: int) -> tuple[int, int]:
    """The span from `start` whose words are closest to `exact`."""
    window = text[start : start + len(exact) + len(exact) // 2 + 8]
    return start, start + _best_length(exact, window)


def _align_before(text: str, exact: str, end: int) -> tuple[int, int]:
    """The span ending at `end` whose words are closest to `exact`."""
    window = text[max(0, end - len(exact) - len(exact) // 2 - 8) : end]
    return end - _best_length(exact[::-1], window[::-1]), end


def _best_length(exact: str, window: str) -> int:
    """The j for which window[:j] is closest to `exact` (nearest len(exact) among equals)."""
    head = _common_prefix(exact, window)
    scores = _edit_scores(exact[head:], window[head:], anchored=True)
    return head + min(range(len(scores)), key=lambda j: (scores[j], abs(head + j - len(exact))))


def _edit_scores(pattern: str, text: str, *, anchored: bool) -> list[int]:
    """Edit distance from `pattern` to `text[:j]` (anchored) or to the best substring of `text` ending at j
    (not anchored), for every j. Myers' bit-vector algorithm (Hyyrö's formulation): a handful of operations
    on len(pattern)-bit integers per character of `text`."""
    m = len(pattern)
    if not m:
        return list(range(len(text) + 1)) if anchored else [0] * (len(text) + 1)
    mask, high, carry = (1 << m) - 1, 1 << (m - 1), int(anchored)
    peq: dict[str, int] = {}
    for i, ch in enumerate(pattern):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    pv, mv, score = mask, 0, m
    scores = [m]
    for ch in text:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        score += 1 if ph & high else -1 if mh & high else 0
        ph = ((ph << 1) | carry) & mask
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
        scores.append(score)
    return scores


def _occurrences(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at >= 0:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def _nearest(starts: list[int], hint: int | None) -> int | None:
    return min(starts, key=lambda s: _distance(s, hint), default=None)


def _distance(start: int, hint: int | None) -> int:
    return 0 if hint is None else abs(start - hint)


def _hint(where: Anchor) -> int | None:
    return None if where.position is None else where.position.start


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    return start, end


def _found(where: Anchor, start: int, end: int, score: float) -> Placement:
    pos = where.position
    if score < 1.0:
        return Placement("fuzzy", start, end, score)
    same = pos is not None and (pos.start, pos.end) == (start, end)
    return Placement("exact" if same else "moved", start, end, 1.0)
