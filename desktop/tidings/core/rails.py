"""Passes around readability-lxml: strip obvious non-content before it, cut headline rails after it.

Every rule here is generic evidence (tags, class/id words, link density, lead-in phrases); none is keyed
on a host, a URL or a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

_ALWAYS_DROP = ("script", "style", "noscript", "iframe", "form", "template", "svg", "button", "select")
_CHROME = ("nav", "footer", "aside", "header")
_NOISE_WORDS = re.compile(
    r"(?<![a-z])(?:share|sharing|sharebar|social|newsletter|subscribe|subscription|related|recommend\w*"
    r"|promo|cookie|consent|comments?|sidebar|most-?read|most-?popular|popular|trending|outbrain"
    r"|taboola|breadcrumbs?)s?(?![a-z])",
)
_EMBED = re.compile(r"twitter-tweet|twitter-video|instagram-media|tiktok-embed|bluesky-embed|mastodon-embed")
_MAIN_MARKERS = './/article|.//*[@itemprop="articleBody"]|.//main'
_LEAD_IN = re.compile(
    r"^(?:related(?: (?:articles?|stories|content|coverage|news|posts?|links|reading|topics))?"
    r"|read (?:more|next|also)|more (?:from|on|about|in|stories|news|like this|to read)|latest(?: \w+){0,3}"
    r"|most (?:read|popular|viewed|shared)|you (?:may|might) (?:also )?(?:like|enjoy|be interested)"
    r"|don'?t miss|recommended(?: \w+){0,2}|see also|trending(?: \w+){0,2}|top stories|also read"
    r"|tags|tagged|topics|filed under"
    r"|further reading|editor'?s picks?|popular(?: \w+){0,2}|what to read next|in other news"
    r"|mehr zum thema|mehr (?:aus|von|zu)\b.*|auch interessant|das k[öo]nnte sie (?:auch )?interessieren"
    r"|meistgelesen\w*|lesen sie auch|weitere artikel|verwandte (?:artikel|themen)|zum thema"
    r"|[àa] lire aussi|lire aussi|sur le m[êe]me sujet|les plus lus|voir aussi|articles? li[ée]s|[àa] voir aussi"
    r"|lo m[áa]s le[íi]do|m[áa]s le[íi]d[oa]s|te puede interesar|noticias relacionadas|lee tambi[ée]n"
    r"|tambi[ée]n te puede interesar|le pi[ùu] lette|leggi anche|potrebbe interessarti|articoli correlati"
    r"|mais lidas|leia tamb[ée]m|veja tamb[ée]m|not[íi]cias relacionadas|mais (?:de|sobre))"
    r"\s*[:.!?»›>\-–—]*$",
    re.I,
)
_STANDALONE_LEAD_IN = re.compile(
    r"^(?:related(?: \w+)?|read (?:more|also|next)|see (?:more|also)|also read|leggi anche|lesen sie auch"
    r"|mehr zum thema|[àa] lire aussi|lire aussi|lee tambi[ée]n|leia tamb[ée]m|veja tamb[ée]m|more on this"
    r"|don'?t miss|you (?:may|might) also like)\s*[:.!»›>\-–—]*$|^.{1,40}:$",
    re.I,
)
_INLINE_LEAD_IN = re.compile(
    r"^[\[(]?\s*(?:related(?: \w+)?|read (?:more|also|next)|see (?:more|also)|more|also read|also see|watch"
    r"|listen|recommended|don'?t miss|leggi anche(?: su)?|lesen sie auch|mehr zum thema|lire aussi"
    r"|[àa] lire aussi|lee tambi[ée]n|leia tamb[ée]m|veja tamb[ée]m|mira tambi[ée]n)\s*[:\-–—|]",
    re.I,
)
_BOILERPLATE_LINE = re.compile(
    r"^(?:advert(?:isement)?|anzeige|publicidad|publicit[ée]|pubblicit[àa]|close|comments?|\d+ comments?"
    r"|image \d+ of \d+|\d+ of \d+|this slideshow requires javascript\.?|share this on \w+|tags?|tagged"
    r"|filed under|topics)[\s:.!]*$",
    re.I,
)
_SHARE_LINE = re.compile(
    r"^(?:share|share this(?: \w+)?|share on \w+|follow us\b.*|sign up\b.*|subscribe\b.*|tweet|email|print"
    r"|facebook|twitter|linkedin|whatsapp|pinterest|reddit|copy link)[\s:.!|,]*$",
    re.I,
)
_BLOCKS = frozenset(["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "dd", "dt", "section", "figure"])
_SHORT_LINK_BLOCK = 120


def clean_page(doc: HtmlElement) -> None:
    """Remove obvious non-content from the whole page, never the element that holds the main text."""
    for element in list(doc.iter(*_ALWAYS_DROP)):
        _drop(element)
    _protect_embeds(doc)
    total = _paragraph_text(doc)
    for element in list(doc.iter(*_CHROME)):
        if not _inside_article(element) and not _holds_main(element, total):
            _drop(element)
    for element in list(doc.iter()):
        if isinstance(element.tag, str) and _is_noise(element) and not _holds_main(element, total):
            _drop(element)


def _protect_embeds(doc: HtmlElement) -> None:
    """Social embeds look like sidebars to readability (class 'twitter-tweet'): mark them as quotes."""
    for quote in doc.iter("blockquote"):
        if _EMBED.search(quote.get("class") or ""):
            quote.set("class", "quoted-post")
            for anc in quote.iterancestors():
                if _EMBED.search((anc.get("class") or "") + (anc.get("id") or "")) or "embed" in (
                    anc.get("class") or ""
                ):
                    anc.attrib.pop("class", None)
                    anc.attrib.pop("id", None)


def _is_noise(element: HtmlElement) -> bool:
    if element.tag in ("html", "body", "article", "main", "blockquote"):
        return False
    words = " ".join(
        v
        for v in (element.get("class"), element.get("id"), element.get("role"), element.get("aria-label"))
        if v
    )
    return bool(words) and bool(_NOISE_WORDS.search(words.lower()))


def _inside_article(element: HtmlElement) -> bool:
    return any(
        a.tag in ("article", "main") or a.get("itemprop") == "articleBody" for a in element.iterancestors()
    )


def _paragraph_text(element: HtmlElement) -> int:
    return sum(len(p.text_content()) for p in element.iter("p"))


def _holds_main(element: HtmlElement, total: int) -> bool:
    """Whether `element` holds the story: an <article>/<main> or a large share of the page's paragraphs."""
    if element.getparent() is None or element.xpath(_MAIN_MARKERS):
        return True
    return _paragraph_text(element) > max(0.3 * total, 200)


def _drop(element: HtmlElement) -> None:
    if element.getparent() is not None:
        element.drop_tree()


def cut_rails(root: HtmlElement) -> None:
    """Cut headline rails, link runs, share bars and other teasers from readability's output `root`."""
    _cut_lead_in_rails(root)
    _cut_teaser_lines(root)
    _cut_boilerplate_lines(root)
    _cut_link_runs(root)
    _cut_link_lists(root)
    _cut_trailing_chrome(root)


def _norm(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _link_text_length(element: HtmlElement) -> int:
    return sum(len(" ".join(a.text_content().split())) for a in element.iter("a"))


def link_density(element: HtmlElement) -> float:
    """Share of the text of `element` that sits inside links (0 when it has no text)."""
    text = len(_norm(element))
    return min(1.0, _link_text_length(element) / text) if text else 0.0


def _is_link_block(element: HtmlElement) -> bool:
    text = _norm(element)
    if not text or len(text) > _SHORT_LINK_BLOCK * 2:
        return False
    return link_density(element) > 0.7 and len(element.findall(".//a")) <= 3


def _is_empty(element: HtmlElement) -> bool:
    return not _norm(element)


def _cut_lead_in_rails(root: HtmlElement) -> None:
    for element in list(root.iter(*_BLOCKS, "strong", "b", "span")):
        if element.getparent() is None or element is root:
            continue
        text = _norm(element)
        if len(text) > 60 or not _LEAD_IN.match(text):
            continue
        _cut_rail_after(element)


def _cut_rail_after(heading: HtmlElement) -> None:
    anchor = _block_of(heading)
    container = anchor.getparent()
    if container is not None and container.getparent() is not None and _rail_container(container, anchor):
        _drop(container)
        return
    following = list(_rail_run(anchor.itersiblings()))
    if following or link_density(anchor) > 0.5 or _STANDALONE_LEAD_IN.match(_norm(anchor)):
        for element in [anchor, *following]:
            _drop(element)


def _block_of(element: HtmlElement) -> HtmlElement:
    """The nearest block that holds `element` and nothing much besides it."""
    block = element
    while block.tag not in _BLOCKS and block.getparent() is not None:
        parent = block.getparent()
        if len(_norm(parent)) > len(_norm(block)) + 3:
            break
        block = parent
    return block


def _rail_container(container: HtmlElement, heading: HtmlElement) -> bool:
    rest = len(_norm(container)) - len(_norm(heading))
    if rest <= 0 or rest > 3000:
        return False
    links = _link_text_length(container) - _link_text_length(heading)
    return links / rest > 0.6


def _rail_run(siblings: Iterable[HtmlElement]) -> Iterable[HtmlElement]:
    for element in siblings:
        if not isinstance(element.tag, str):
            continue
        if _is_empty(element) or _is_link_block(element) or _is_link_list(element):
            yield element
        else:
            return


def _cut_teaser_lines(root: HtmlElement) -> None:
    """Single teaser paragraphs inside the story: "Read more: <headline>", or a shouted one-link line."""
    for element in list(root.iter("p", "div", "h2", "h3", "h4", "h5", "h6", "li", "strong")):
        if element.getparent() is None or element.find(".//p") is not None:
            continue
        text = _norm(element)
        if not text or len(text) > 250 or element.find(".//a") is None:
            continue
        density = link_density(element)
        if (density > 0.4 and _INLINE_LEAD_IN.match(text)) or (density > 0.9 and _is_shouted(text)):
            _drop(_block_of(element))


def _cut_boilerplate_lines(root: HtmlElement) -> None:
    for element in list(root.iter(*_BLOCKS, "span", "strong", "b")):
        if element.getparent() is not None and len(element) <= 3 and _BOILERPLATE_LINE.match(_norm(element)):
            _drop(_block_of(element))


def _is_shouted(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(text.split()) >= 3 and sum(c.isupper() for c in letters) > 0.8 * len(letters)


def _is_link_list(element: HtmlElement) -> bool:
    items = [c for c in element if isinstance(c.tag, str)]
    if len(items) < 2 or len(_norm(element)) > 3000:
        return False
    return link_density(element) > 0.6 and all(_is_link_block(i) or _is_empty(i) for i in items)


def _cut_link_runs(root: HtmlElement) -> None:
    for parent in list(root.iter()):
        if not isinstance(parent.tag, str) or (parent.getparent() is None and parent is not root):
            continue
        run: list[HtmlElement] = []
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag in _BLOCKS and _is_link_block(child):
                run.append(child)
                continue
            if isinstance(child.tag, str) and run and _is_empty(child):
                continue
            _drop_run(run)
            run = []
        _drop_run(run)


def _drop_run(run: list[HtmlElement]) -> None:
    if len(run) >= 3:
        for element in run:
            _drop(element)


def _cut_link_lists(root: HtmlElement) -> None:
    for element in list(root.iter("ul", "ol")):
        if element.getparent() is not None and len(element) >= 3 and _is_link_list(element):
            _drop(element)


def _cut_trailing_chrome(root: HtmlElement) -> None:
    """Share bars and lone link lines at the very end of the article."""
    while True:
        last = _last_block(root)
        if last is None or last is root:
            return
        text = _norm(last)
        if not text and (last.tag == "img" or last.find(".//img") is not None):
            return
        if text and not _SHARE_LINE.match(text) and not (_is_link_block(last) and len(text) < 60):
            return
        _drop(last)


def _last_block(root: HtmlElement) -> HtmlElement | None:
    element = root
    while True:
        children = [c for c in element if isinstance(c.tag, str) and c.tag not in ("br", "hr")]
        if not children:
            return element
        last = children[-1]
        if last.tag not in ("div", "section", "article"):
            return last
        element = last
