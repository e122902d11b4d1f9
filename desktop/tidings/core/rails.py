"""Passes around readability-lxml: strip obvious non-content before it, cut headline rails after it.

Every rule here is generic evidence (tags, class/id words, link density, lead-in phrases, siblings built
alike); none is keyed on a host, a URL or a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from .metadata import name_words, words

_ALWAYS_DROP = ("script", "style", "noscript", "iframe", "form", "template", "svg", "button", "select")
_CHROME = ("nav", "footer", "aside", "header")
_NOISE_WORDS = re.compile(
    r"(?<![a-z])(?:share|sharing|sharebar|social|newsletter|subscribe|subscription|related|recommend\w*"
    r"|promo|cookie|consent|comments?|sidebar|most-?read|most-?popular|popular|trending|outbrain"
    r"|taboola|breadcrumbs?|signup|sign-up|cta|tags|tagbox|tag-?cloud|tag-?list|author-?bio|bio)s?(?![a-z])",
)
_LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-hi-res-src")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset", "srcset")
_CAMEL = re.compile(r"([a-z])([A-Z])")  # "emailSignup" is "email-signup"
_EMBED = re.compile(r"twitter-tweet|twitter-video|instagram-media|tiktok-embed|bluesky-embed|mastodon-embed")
_SET_APART = re.compile(
    r"(?<![a-z])(?:ad|ads|advert\w*|sponsor\w*|promo\w*|footer|meta|byline|author|caption|credits?|disclaimer"
    r"|note|notice|widget|shopping|callout)(?![a-z])"
)
_WRAPPERS = frozenset(["div", "figure", "section", "span", "p", "center"])
_MAIN_MARKERS = './/article|.//*[@itemprop="articleBody"]|.//main'
_LEAD_IN = re.compile(
    r"^(?:related(?: (?:articles?|stories|content|coverage|news|posts?|links|reading|topics))?"
    r"|more(?: \w+){0,2} stories"
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
    r"|filed under|topics|text size|font size|print(?: this)?(?: article| page)?|listen to (?:this )?article"
    r"|(?:reading time|read time|lesezeit|tempo de leitura|temps de lecture|tiempo de lectura|tempo di lettura)"
    r"\s*:?\s*(?:\d+|less than (?:a|one))?\s*(?:min\w*)?|\d+\s*min(?:ute)?s?\s*(?:read|reading|lesezeit))[\s:.!]*$",
    re.I,
)
_SHARE_LINE = re.compile(
    r"^(?:share|share this(?: \w+)?|share on \w+|follow us\b.*|sign up\b.*|subscribe\b.*|tweet|email|print"
    r"|facebook|twitter|linkedin|whatsapp|pinterest|reddit|copy link)[\s:.!|,]*$",
    re.I,
)
# Lines that are never story text, wherever they stand: affiliate disclosures, tag lines, newsletter and
# membership pitches, leftover shortcodes.
_PROMO_LINE = re.compile(
    r"^(?:tags?|tagged(?: with)?|topics|filed under|schlagw[öo]rter|etiquetas|themen)\s*:"
    r"|^\[\w+\b[^\]]*\].*\[/\w+\]$"
    r"|\b(?:if|when) you (?:buy|purchase|click|shop)\b.{0,80}"
    r"\b(?:commission|share of the sale|may (?:get|earn|receive))"
    r"|^if you (?:enjoyed|liked|value) (?:this|our) (?:article|story|post|journalism|reporting)"
    r"|(?:^|[.!?] )(?:sign up|subscribe|register)\b.{0,80}\b(?:newsletters?|inbox)\b"
    r"|\bnewsletters?\b.{0,80}\b(?:to|in) your inbox\b|^subscribe (?:to|for|now)\b",
    re.I,
)
# Lines that end a story page but are no part of the story: contact and follow lines, comment prompts,
# reuse notices, "click here" pitches. (Copyright lines stay: a wire story's credit is part of its text.)
_TRAILING_LINE = re.compile(
    r"\bfollow (?:us|him|her|them|me)\b.{0,60}(?:twitter|facebook|instagram|linkedin|@)"
    r"|^(?:write to|email|e-mail|contact|reach)\b.{0,80}@|\bmay be reached at\b|^have a (?:news )?tip\b"
    r"|^(?:tell us what you think|what do you think|leave a comment|join the (?:conversation|discussion))"
    r"|\bis subject to copyright\b"
    r"|^click here\b|\bclick here (?:for|to) (?:more|get|download|read|learn)",
    re.I,
)
_BIO_VERB = re.compile(r"\b(?:is|was|writes|covers)\b")
_MAX_LINE = 400
_CARD_RUN = 3
_CARD_TEXT = 300  # a kicker, a headline and a one-line summary
_CARD_HEADLINE = 160
_CARD_ELEMENTS = 40
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_BLOCKS = frozenset(["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "dd", "dt", "section", "figure"])
_SHORT_LINK_BLOCK = 120


def clean_page(doc: HtmlElement) -> None:
    """Remove obvious non-content from the whole page, never the element that holds the main text."""
    for element in list(doc.iter(*_ALWAYS_DROP)):
        _drop(element)
    _load_lazy_images(doc)
    _protect_embeds(doc)
    total = _paragraph_text(doc)
    for element in list(doc.iter(*_CHROME)):
        if not _inside_article(element) and not _holds_main(element, total):
            _drop(element)
    for element in list(doc.iter()):
        if isinstance(element.tag, str) and _is_noise(element) and not _holds_main(element, total):
            _drop(element)
    _drop_tag_lists(doc)
    _unwrap_lone_paragraphs(doc)


def _drop_tag_lists(doc: HtmlElement) -> None:
    """Blocks made of rel="tag" links (the HTML keyword for tags and categories); a tag link inside a
    sentence stays."""
    holders = {link.getparent() for link in doc.iter("a") if "tag" in (link.get("rel") or "").lower().split()}
    for holder in holders:
        if holder is None or holder.getparent() is None:
            continue
        tags = sum(len(_norm(a)) for a in holder.iter("a") if "tag" in (a.get("rel") or "").lower().split())
        if tags >= 0.5 * len(_norm(holder)):
            _drop(holder)


def _unwrap_lone_paragraphs(doc: HtmlElement) -> None:
    """A story paragraph alone in its own wrapper (page builders wrap each one) stands in the story as a
    paragraph: readability judges wrappers by class words and link density and drops such a lone paragraph
    with a link or a class like 'media'."""
    for wrapper in reversed(list(doc.iter("div", "section"))):  # inner first: nested wrappers unwrap too
        children = [c for c in wrapper if isinstance(c.tag, str)]
        if len(children) != 1 or children[0].tag != "p" or wrapper.getparent() is None:
            continue
        if (wrapper.text or "").strip() or (children[0].tail or "").strip():
            continue
        paragraph = children[0]
        if len(_norm(paragraph)) >= 25 and link_density(paragraph) < 0.5 and not _sets_apart(wrapper):
            wrapper.drop_tag()


def _sets_apart(wrapper: HtmlElement) -> bool:
    """Whether the wrapper's class or id says its paragraph is not story text (an ad, a credit, a byline)."""
    names = f"{wrapper.get('class') or ''} {wrapper.get('id') or ''}"
    return _SET_APART.search(_CAMEL.sub(r"\1-\2", names).lower()) is not None


def _load_lazy_images(doc: HtmlElement) -> None:
    """Lazy-loaded images keep their address in a data attribute (src is empty or a placeholder): use it.
    An image with no address but an inline placeholder is dropped, so its alt text can't become story text."""
    for image in list(doc.iter("img")):
        current = (image.get("src") or "").strip()
        lazy = _first_value(image, _LAZY_SRC)
        if lazy:
            image.set("src", lazy)
        elif not current or current.startswith("data:"):
            candidates = _first_value(image, _LAZY_SRCSET).split(",")[0].split()
            if candidates:
                image.set("src", candidates[0])
            else:
                _drop(image)


def _first_value(element: HtmlElement, attributes: tuple[str, ...]) -> str:
    return next((value.strip() for name in attributes if (value := element.get(name) or "").strip()), "")


def _protect_embeds(doc: HtmlElement) -> None:
    """Social embeds look like sidebars to readability (class 'twitter-tweet', a wrapper of links): mark them
    as quotes and lift them out of wrappers that hold nothing else, so they stand in the story as quotes."""
    for quote in list(doc.iter("blockquote")):
        if _EMBED.search(quote.get("class") or ""):
            quote.set("class", "quoted-post")
            _lift_out_of_wrappers(quote)
            for anc in quote.iterancestors():
                if _EMBED.search((anc.get("class") or "") + (anc.get("id") or "")) or "embed" in (
                    anc.get("class") or ""
                ):
                    anc.attrib.pop("class", None)
                    anc.attrib.pop("id", None)


def _lift_out_of_wrappers(quote: HtmlElement) -> None:
    text = _norm(quote)
    top = quote
    for ancestor in quote.iterancestors():
        if ancestor.tag not in _WRAPPERS or _norm(ancestor) != text:
            break
        top = ancestor
    if top is not quote and top.getparent() is not None:
        quote.tail = None
        top.addprevious(quote)
        top.drop_tree()


def _is_noise(element: HtmlElement) -> bool:
    if element.tag in ("html", "body", "article", "main", "blockquote"):
        return False
    names = " ".join(
        v
        for v in (element.get("class"), element.get("id"), element.get("role"), element.get("aria-label"))
        if v
    )
    if not names:
        return False
    lowered = names.lower()
    if _NOISE_WORDS.search(lowered):
        return True
    return lowered != names and _NOISE_WORDS.search(_CAMEL.sub(r"\1-\2", names).lower()) is not None


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


def cut_rails(root: HtmlElement, byline: str | None = None) -> None:
    """Cut headline rails, link runs, share bars and other teasers from readability's output `root`;
    `byline` helps to find the author's bio and contact lines at the end."""
    _cut_lead_in_rails(root)
    _cut_teaser_lines(root)
    _cut_boilerplate_lines(root)
    _cut_promo_lines(root)
    _cut_link_runs(root)
    _cut_link_lists(root)
    _cut_card_runs(root)
    _cut_trailing_chrome(root, name_words(byline))


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
        if _is_empty(element) or _is_link_block(element) or _is_link_list(element) or _is_link_cloud(element):
            yield element
        else:
            return


def _is_link_cloud(element: HtmlElement) -> bool:
    """A paragraph of many links and little else ("a, b, c, d"): tags or topics after their lead-in."""
    return len(element.findall(".//a")) >= 4 and len(_norm(element)) <= 3000 and link_density(element) > 0.8


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


def _cut_promo_lines(root: HtmlElement) -> None:
    for element in list(root.iter("p", "div", "li", "h2", "h3", "h4", "h5", "h6")):
        if element.getparent() is None or any(child.tag in _BLOCKS for child in element):
            continue  # a container: its own blocks come in turn
        text = _norm(element)
        if text and len(text) <= _MAX_LINE and _PROMO_LINE.search(text):
            _drop(_block_of(element))


def _cut_card_runs(root: HtmlElement) -> None:
    """Teaser cards: three or more sibling blocks built alike, each a short headline or kicker with an image,
    behind a link to another page (the link may be an empty overlay, the headline outside it). Runs that
    hold most of the text stay: that page is a list of items (a shopping list, a gallery), not a story."""
    total = len(_norm(root))
    for parent in list(root.iter()):
        if not isinstance(parent.tag, str) or (parent is not root and parent.getparent() is None):
            continue
        for run in _runs_alike(parent):
            if len(run) >= _CARD_RUN and sum(len(_norm(card)) for card in run) <= total / 2:
                for card in run:
                    _drop(card)


def _runs_alike(parent: HtmlElement) -> list[list[HtmlElement]]:
    """Runs of consecutive card-like children of `parent` that share a shape."""
    runs: list[list[HtmlElement]] = []
    shape: tuple[str, ...] | None = None
    for child in parent:
        child_shape = _card_shape(child)
        if child_shape is not None and child_shape == shape:
            runs[-1].append(child)
        elif child_shape is not None:
            runs.append([child])
        shape = child_shape
    return runs


def _card_shape(element: HtmlElement) -> tuple[str, ...] | None:
    """What a teaser card looks like (its tag and class, else all its tags in order), or None when `element`
    is not one."""
    if not isinstance(element.tag, str) or element.tag in ("figure", "p", "blockquote", "table"):
        return None
    tags: list[str] = []
    for descendant in element.iter():
        if isinstance(descendant.tag, str):
            tags.append(descendant.tag)
        if len(tags) > _CARD_ELEMENTS:  # a container, not a card: stop early, this runs on every element
            return None
    if "figcaption" in tags or not any(_is_page_link(a) for a in element.iter("a")):
        return None
    text = _norm(element)
    if len(text) > _CARD_TEXT:
        return None
    headed = any(t in _HEADINGS for t in tags)
    if "img" not in tags and not (headed and len(text) <= _CARD_HEADLINE):
        return None
    classes = element.get("class")  # cards built alike share a class, or else their tags
    return (element.tag, classes) if classes else tuple(tags)


def _is_page_link(link: HtmlElement) -> bool:
    href = (link.get("href") or "").lower().split("?")[0]
    return bool(href) and not href.startswith("#") and not href.endswith(_IMAGE_SUFFIXES)


def _cut_trailing_chrome(root: HtmlElement, byline: set[str]) -> None:
    """Share bars, lone link lines, contact, follow and bio lines and dangling lead-ins at the very end."""
    while True:
        last = _last_block(root)
        if last is None or last is root:
            return
        text = _norm(last)
        if not text and (last.tag == "img" or last.find(".//img") is not None):
            return
        if text and not _is_trailing_chrome(last, text, byline):
            return
        _drop(last)


def _is_trailing_chrome(block: HtmlElement, text: str, byline: set[str]) -> bool:
    if _SHARE_LINE.match(text) or (_is_link_block(block) and len(text) < 60):
        return True
    if len(text) > _MAX_LINE:
        return False
    if _TRAILING_LINE.search(text) or (len(text) <= 60 and _LEAD_IN.match(text)):
        return True
    return _is_author_line(text, byline)


def _is_author_line(text: str, byline: set[str]) -> bool:
    """The author's name alone, or a short bio that names the author: "Ann Lee is a reporter for ..."."""
    tokens = words(text)
    named = len(byline) >= 2 and len(byline & set(tokens[:4])) >= 2
    return named and (len(tokens) <= len(byline) + 2 or _BIO_VERB.search(text) is not None)


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
