"""The structure pass around nh3: bounds on nesting depth, nested tables and tracking images.

Two passes, both linear (a running stack, amortised O(1) per tag, never a walk over the whole stack per tag):

* `limit_depth` runs on the raw, untrusted markup *before* nh3, whose parser is quadratic in nesting depth
  (100k nested divs take 13 s). It is only an approximate HTML tokenizer, good enough to bound the work:
  start tags that would open deeper than `PRE_DEPTH` are removed (their text stays), with their end tags.
  It is never a security boundary: nh3 still cleans whatever it leaves.
* `shape` runs on nh3's *output*, which is well-formed (every element closed, `<` and `"` escaped in text and
  attribute values, comments stripped), so a regular tokenizer is exact there. It
  - unwraps elements deeper than `MAX_DEPTH` (text kept; a space where a block ended);
  - flattens tables nested deeper than `MAX_TABLE_DEPTH` (and tables that would not fit under the depth cap
    as a whole): the table, its row groups and rows go, each cell or caption becomes a `<div>`;
  - drops images without a usable `src`, 1x1 (or 0-sized) images and images whose URL matches
    `TRACKER` (see there), leaving their `alt` text.
  Its output is again something nh3 leaves unchanged, so sanitizing is idempotent.
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

MAX_DEPTH = 48
MAX_TABLE_DEPTH = 2
PRE_DEPTH = 2 * MAX_DEPTH  # generous: the raw-markup estimate is approximate; the exact cap comes after nh3

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_INLINE = frozenset(
    {
        "a",
        "abbr",
        "b",
        "cite",
        "code",
        "del",
        "dfn",
        "em",
        "i",
        "ins",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
    }
)
_TABLE_PARTS = frozenset({"tbody", "thead", "tfoot", "tr"})
_CELLS = frozenset({"td", "th", "caption"})
_SILENT = _INLINE | _TABLE_PARTS | {"table"}  # dropped without a space: inline, or a flattened table's frame
_TABLE_SKELETON = 3  # table > tbody > tr > td: a kept table needs three more levels for its cells

# Tracking images, by generic URL patterns (case-insensitive), besides any image sized 0 or 1:
#   /pixel (pixel.gif, /pixel/…), a host starting "pixel." ; /track (track.gif, /tracking/, /tracker) ;
#   "beacon" anywhere ; /open. (open.gif, open.aspx: mail-open counters) and SendGrid's /wf/open ;
#   FeedBurner's /~r/ and /~ff/ counters ; a .gif whose query carries utm_ parameters.
TRACKER = re.compile(
    r"/pixel|//pixel\.|/track|beacon|/open\.|/wf/open|/~r/|/~ff/|\.gif\?[^#]*\butm_", re.IGNORECASE
)

# --- pass 1: before nh3, on raw markup -------------------------------------------------------------------
# A leaf element (<b>text</b>) is one token: it can't deepen anything, and dense markup costs half the loop.
_RAW_TOKEN = re.compile(r"<(?:!--|(?i:([a-z][a-z0-9]*)\b[^<>]*>[^<]*</\1\s*>)|(/?)([A-Za-z][^\s/>]*)[^>]*>?)")
_RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"}
)
_SCOPE = frozenset({"table", "td", "th", "caption", "object", "applet", "marquee", "template", "html"})
_CLOSES_P = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "div",
        "dl",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "ul",
        "li",
        "dd",
        "dt",
        "figcaption",
        "listing",
        "xmp",
        "details",
        "summary",
        "menu",
        "center",
        "dir",
        "hgroup",
        "search",
    }
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SPECIAL = (
    _CLOSES_P
    | _HEADINGS
    | {"br", "caption", "dd", "dt", "figcaption", "img", "li", "tbody", "td", "tfoot", "th", "thead", "tr"}
)
_SIBLINGS = {
    "li": ("li",),
    "dt": ("dt", "dd"),
    "dd": ("dt", "dd"),
    "td": ("td", "th"),
    "th": ("td", "th"),
    "tr": ("tr",),
    "option": ("option",),
}


def estimated_depth_exceeds(markup: str, limit: int) -> bool:
    """Cheap upper bound: nesting can't exceed the number of tags."""
    return markup.count("<") > limit


def limit_depth(markup: str, limit: int = PRE_DEPTH) -> str:
    """`markup` with start tags deeper than `limit` (and their end tags) removed; linear in its length."""
    if not estimated_depth_exceeds(markup, limit):
        return markup
    stack: list[str] = []
    # tag name -> its indexes in stack, so an end tag finds its element in O(1), not by walking the stack
    where: dict[str, list[int]] = {}
    scopes: list[int] = [-1]  # indexes of scope boundaries (table, cell…): end tags don't reach past them
    dropped: dict[str, int] = {}
    out: list[str] = []
    pos = 0
    emitted = 0
    search = _RAW_TOKEN.search

    def pop_to(index: int) -> None:
        while len(stack) > index:
            name = stack.pop()
            where[name].pop()
            if scopes[-1] == len(stack):
                scopes.pop()

    def push(name: str) -> None:
        if name in _SCOPE:
            scopes.append(len(stack))
        where.setdefault(name, []).append(len(stack))
        stack.append(name)

    while True:
        match = search(markup, pos)
        if match is None:
            break
        pos = match.end()
        leaf, closing, name = match.groups()
        if leaf:
            continue
        if name is None:  # a comment
            end = markup.find("-->", pos)
            if end < 0:
                break
            pos = end + 3
            continue
        name = name.lower()
        if closing:
            if dropped.get(name):
                dropped[name] -= 1
                out.append(markup[emitted : match.start()])
                emitted = pos
            elif where.get(name):
                index = where[name][-1]
                if name in _SCOPE or index > scopes[-1]:
                    pop_to(index)
            continue
        if name in VOID:
            continue
        if stack and (
            (name in _SIBLINGS and stack[-1] in _SIBLINGS[name]) or (name in _CLOSES_P and stack[-1] == "p")
        ):
            pop_to(len(stack) - 1)
        if len(stack) >= limit:
            dropped[name] = dropped.get(name, 0) + 1
            out.append(markup[emitted : match.start()])
            out.append(" ")
            emitted = pos
        else:
            push(name)
        if name in _RAW_TEXT:  # its content is text, not tags; find its end in one linear search
            close = re.compile(rf"</{re.escape(name)}", re.IGNORECASE).search(markup, pos)
            if close is None:
                break
            pos = close.start()
    if not out:
        return markup
    out.append(markup[emitted:])
    return "".join(out)


# --- pass 2: after nh3, on well-formed output -----------------------------------------------------------
_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)((?:[^>"]|"[^"]*")*)>')
# An inline element holding only text (<b>x</b>) is one token: nothing in it can be misnested.
_LEAF_NAMES = "|".join(sorted(_INLINE - {"a"}))
_SHAPE_TOKEN = re.compile(
    rf'<(?:((?:{_LEAF_NAMES})(?: [^<>]*)?>([^<]*)</(?:{_LEAF_NAMES})>)|(/?)([a-z][a-z0-9]*)((?:[^>"]|"[^"]*")*)>)'
)
_ATTRIBUTE = re.compile(r'([a-z][a-z0-9_:-]*)="([^"]*)"')
_KEEP, _DROP, _DIV = 0, 1, 2
# A <pre> start tag with its attributes (nh3 keeps title and lang on any tag) and the newlines after it.
_PRE_NEWLINES = re.compile(r'(<pre(?: (?:[^>"]|"[^"]*")*)?>)\n+')
_REL_FIRST = '<a rel="noopener noreferrer" '
_REL_FIRST_TAG = re.compile(r'<a rel="noopener noreferrer"((?: [a-z]+="[^"]*")+)>')


def _image_text(attributes: str, keep: bool) -> str | None:
    """None to keep this image, else the (escaped) text that replaces it."""
    values = dict(_ATTRIBUTE.findall(attributes))
    src = html.unescape(values.get("src", ""))
    sizes = [
        html.unescape(values[k]).strip().lower().removesuffix("px")
        for k in ("width", "height")
        if k in values
    ]
    if keep and src and not TRACKER.search(src) and not any(size in {"0", "1"} for size in sizes):
        return None
    alt = html.unescape(values.get("alt", ""))
    return html.escape(alt, quote=False).replace("\xa0", "&nbsp;")  # nh3's own text escaping


class _State(NamedTuple):
    """What a parser would look at when the next start tag arrives (in-body rules of the HTML standard)."""

    parent: str = ""  # nearest kept element
    in_p: bool = False  # a <p> open in button scope: a block start tag would close it
    in_a: bool = False  # an <a> open since the last cell/caption: another <a> would be split
    in_li: bool = False  # an <li> open in list item scope
    in_dd: bool = False  # a <dd>/<dt> open likewise


def _misnested(name: str, state: _State) -> bool:
    """Would a parser, seeing this start tag in `state`, close an open element instead of nesting? nh3 can
    emit such trees (after unwrapping a removed element or from the adoption agency); a second parse would
    rearrange them, so they are unwrapped to keep sanitizing idempotent."""
    return (
        (state.in_p and name in _CLOSES_P)
        or (name in _HEADINGS and state.parent in _HEADINGS)
        or (name == "a" and state.in_a)
        or (name == "li" and state.in_li)
        or (name in {"dd", "dt"} and state.in_dd)
    )


def _entered(name: str, state: _State) -> _State:
    in_p, in_a, in_li, in_dd = state.in_p, state.in_a, state.in_li, state.in_dd
    if name in _SCOPE:
        in_p = in_a = False
    if name in _SPECIAL and name not in {"div", "p", "address"}:
        in_li = in_dd = False
    return _State(
        name, in_p or name == "p", in_a or name == "a", in_li or name == "li", in_dd or name in {"dd", "dt"}
    )


def shape(cleaned: str) -> str:
    """nh3 output with depth and table nesting capped, misnesting unwrapped and tracking images replaced by
    their alt text."""
    if "<pre" in cleaned:
        # A parser drops one newline right after <pre> and nh3 doesn't write it back, so text starting with
        # newlines would lose one per round: drop them all once, and sanitizing stays idempotent.
        cleaned = _PRE_NEWLINES.sub(r"\1", cleaned)
    if _REL_FIRST in cleaned:
        # nh3 writes rel in the place of a removed href, and at the end otherwise: always at the end, so that
        # cleaning the output again gives the same string.
        cleaned = _REL_FIRST_TAG.sub(r'<a\1 rel="noopener noreferrer">', cleaned)
    out: list[str] = []
    stack: list[tuple[int, _State]] = []  # per open element: the action taken, the state before it
    tables: list[bool] = []  # for each open table: flattened?
    state = _State()
    depth = 0  # kept elements open
    kept_tables = 0
    emitted = 0
    for match in _SHAPE_TOKEN.finditer(cleaned):
        leaf, text, closing, name, attributes = match.groups()
        replacement: str | None = None
        if leaf:
            if depth < MAX_DEPTH:
                continue
            replacement = text
        elif closing:
            action, state = stack.pop()
            if action != _DROP:
                depth -= 1
            if name == "table" and not tables.pop():
                kept_tables -= 1
            if action == _DIV:
                replacement = "</div>"
            elif action == _DROP:
                replacement = "" if name in _SILENT else " "
        elif name == "img":
            replacement = _image_text(attributes, keep=depth < MAX_DEPTH)
        elif name in VOID:
            if depth >= MAX_DEPTH or (name == "hr" and state.in_p):
                replacement = " "
        else:
            action = _KEEP
            flat_parent = bool(tables) and tables[-1]
            if name == "table":
                flat = kept_tables >= MAX_TABLE_DEPTH or depth + 1 + _TABLE_SKELETON > MAX_DEPTH or state.in_p
                tables.append(flat)
                action = _DROP if flat else _KEEP
                kept_tables += not flat
            elif name in _TABLE_PARTS and flat_parent:
                action = _DROP
            elif name in _CELLS and flat_parent:
                action = _DIV if depth < MAX_DEPTH and not _misnested("div", state) else _DROP
            elif depth >= MAX_DEPTH or _misnested(name, state):
                action = _DROP
            stack.append((action, state))
            if action != _DROP:
                depth += 1
                state = _entered("div" if action == _DIV else name, state)
            if action == _DIV:
                replacement = "<div>"
            elif action == _DROP:
                replacement = "" if name in _SILENT else " "
        if replacement is not None:
            out.append(cleaned[emitted : match.start()])
            out.append(replacement)
            emitted = match.end()
    if not out:
        return cleaned
    out.append(cleaned[emitted:])
    return "".join(out)


def max_depth(markup: str) -> int:
    """The deepest element nesting of well-formed markup (void elements count as one level)."""
    deepest = depth = 0
    for closing, name in re.findall(r"<(/?)([a-z][a-z0-9]*)", markup):
        if closing:
            depth -= 1
        else:
            deepest = max(deepest, depth + 1)
            depth += name not in VOID
    return deepest


def max_table_depth(markup: str) -> int:
    deepest = depth = 0
    for closing in re.findall(r"<(/?)table\b", markup):
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    return deepest
