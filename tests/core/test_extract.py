"""Article extraction: real pages from the dev set, one synthetic page per kind of rail or of lost story part,
metadata, failures."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tidings.core.extract import EXTRACTOR_VERSION, Article, decode_html, extract_article

DATA = Path(__file__).resolve().parents[1] / "data" / "extract"
RAILS = Path(__file__).resolve().parents[1] / "data" / "pages" / "rails"

STORY = " ".join(
    [
        "<p>The city council voted on Tuesday to rebuild the old harbour bridge, ending a debate that had",
        "divided residents for more than a decade and cost two mayors their jobs along the way.</p>",
        "<p>Engineers say the new span will carry trams as well as cars, and that work on the foundations",
        "can start next spring once the river is low enough for the barges to reach the piers safely.</p>",
        "<p>Opponents of the plan, who wanted a tunnel instead, said they would keep fighting in court,",
        "although their lawyers admitted that the chances of stopping the project were now quite slim.</p>",
        "<p>The bridge is expected to open in four years, at a cost the council puts at 240 million euros,",
        "most of it paid by the regional government and a smaller share by the national rail company.</p>",
    ]
)
KEPT = "rebuild the old harbour bridge"
LAST = "the national rail company"


def page(body: str, head: str = "") -> str:
    return f"<html><head><title>Harbour bridge | Daily Example</title>{head}</head><body>{body}</body></html>"


def article_page(extra_inside: str = "", extra_outside: str = "", head: str = "") -> str:
    story = f'<article><h1>Harbour bridge to be rebuilt</h1><div class="body">{STORY}{extra_inside}</div></article>'
    return page(story + extra_outside, head)


def headlines(n: int = 5, tag: str = "p") -> str:
    titles = [f"Teaser headline number {i} about something else entirely" for i in range(n)]
    return "".join(f'<{tag}><a href="/story/{i}">{t}</a></{tag}>' for i, t in enumerate(titles))


def assert_story_without(article: Article, *gone: str) -> None:
    assert KEPT in article.text and LAST in article.text
    for text in gone:
        assert text not in article.text, text
    assert article.is_article and article.failure is None


# --- real pages (dev set, gzipped, with snippets from the hand-written ground truth) ---

REAL_PAGES = [
    (
        "04a6711caa",
        "https://www.nytimes.com/2019/11/19/opinion/republicans-elections-impeachment.html",
        [
            "Americans have gone to the polls four times this month",
            "under the guise of making America great again",
        ],
        [],
    ),
    (
        "291a8bf33e",
        "https://www.crn.com/news/cloud/tim-cook-on-apple-being-pulled-into-the-enterprise-",
        ['Apple was "pulled into the enterprise," CEO Tim Cook said', 'not "bolt-on things," Cook said'],
        ["Salesforce Dreamforce Keynote: AI, Integration, Alicia Keys And Protestors"],
    ),
    (
        "ba4dfe2d3e",
        "https://www.express.co.uk/news/science/1205992/bubonic-plague-china",
        ["Health authorities in China", "with up to a dozen people diagnosed annually"],
        ["China plague outbreak confirmed: Two diagnosed with disease in Beijing"],
    ),
    (
        "6a72de37e8",
        "https://www.dawgsbynature.com/2019/11/18/20970600/browns-defensive-snap-counts-stats-and-notes-week-11",
        ["Below, we analyze the snap counts", "it’ll probably be his starting job the rest of the way"],
        ["Steelers’ Mike Tomlin admits club’s role in Helmetgate", "We use cookies"],
    ),
    (  # embedded tweets in wrappers of links; the reporter's contact line at the end
        "3f65af7b6b",
        "https://www.nj.com/entertainment/2019/11/florida-man-exists-south-dakota-hold-my-beer-meth-were-on-it.html",
        [
            "Yes this is real and yes the state spent nearly half a million dollars",
            "Cooper Lund (@cooperlund)",
        ],
        ["Have a tip?", "Follow her on Twitter"],
    ),
    (  # the headline block (title, byline, date) above the story
        "776a1c0467",
        "https://www.usatoday.com/story/news/nation/2019/11/19/meth-were-it-south-dakota-campaign-working-kristi-noem-says/4236383002/",
        [
            "SIOUX FALLS, S.D. – People across the nation are talking about it",
            "Twitter seemed a bit confused",
        ],
        ["Lisa Kaczke and Trevor J. Mitchell", "Published 10:02 AM EST"],
    ),
    (  # a list of rel="tag" links after a "Tags" lead-in
        "cc03ddb5ef",
        "http://www.autoracing.com.br/calendario-stock-car-2018/",
        ["1a etapa: 10 de março – Interlagos", "12a etapa: 9 de dezembro – Interlagos"],
        ["stock car santa cruz do sul", "segunda-feira, 22 de janeiro de 2018"],
    ),
    (  # a paragraph with a link, alone in two nested wrappers
        "f344ca5fb3",
        "https://www.hawaiinewsnow.com/2019/11/19/scientists-use-hawaii-telescope-spot-water-vapor-one-jupiters-moon/",
        ["HONOLULU, Hawaii (HawaiiNewsNow) - NASA scientists", "The discovery was announced in an article"],
        [],
    ),
]


@pytest.mark.parametrize(("name", "url", "present", "absent"), REAL_PAGES, ids=[p[0] for p in REAL_PAGES])
def test_real_pages_keep_the_story_and_cut_the_rails(
    name: str, url: str, present: list[str], absent: list[str]
) -> None:
    raw = gzip.decompress((DATA / f"{name}.html.gz").read_bytes())
    article = extract_article(raw, url)
    text = " ".join(article.text.split())
    for snippet in present:
        assert snippet in text, snippet
    for snippet in absent:
        assert snippet not in text, snippet
    assert article.is_article and article.confidence > 0.5
    assert article.extractor_version == EXTRACTOR_VERSION


# --- one synthetic page per kind of rail ---


def test_related_list_after_a_lead_in_heading_is_cut() -> None:
    article = extract_article(article_page(f"<h3>Related articles</h3><ul>{headlines(4, 'li')}</ul>"))
    assert_story_without(article, "Related articles", "Teaser headline number 2")


def test_most_read_rail_in_another_language_is_cut() -> None:
    article = extract_article(article_page(f"<div><h2>Meistgelesen</h2>{headlines(5)}</div>"))
    assert_story_without(article, "Meistgelesen", "Teaser headline number 0")


def test_a_run_of_one_link_paragraphs_is_cut_without_a_lead_in() -> None:
    article = extract_article(article_page(headlines(4)))
    assert_story_without(article, "Teaser headline number 3")


def test_an_inline_read_more_teaser_is_cut() -> None:
    teaser = '<p>READ MORE: <a href="/x">Another story that is not this one at all</a></p>'
    body = STORY.replace("</p>", f"</p>{teaser}", 1)
    article = extract_article(page(f"<article><h1>Bridge</h1>{body}</article>"))
    assert_story_without(article, "Another story that is not this one")


def test_share_bar_newsletter_box_and_cookie_banner_are_cut() -> None:
    share = '<div class="share-bar"><a href="#">Share on Facebook</a><a href="#">Share on Twitter</a></div>'
    newsletter = '<div class="newsletter-signup"><p>Get our daily newsletter with all the news.</p></div>'
    cookie = '<div id="cookie-consent"><p>We use cookies to improve your experience on this site.</p></div>'
    article = extract_article(article_page(share + newsletter, cookie))
    assert_story_without(article, "Share on Facebook", "daily newsletter", "We use cookies")


def test_comments_are_cut() -> None:
    comments = (
        '<section id="comments"><h2>12 comments</h2>'
        "<p>What a waste of money, the tunnel would have been so much better for everybody here.</p></section>"
    )
    article = extract_article(article_page(extra_outside=comments))
    assert_story_without(article, "What a waste of money")


def test_headings_lists_tables_quotes_and_figures_are_kept() -> None:
    extras = (
        "<h2>What happens next</h2><ul><li>Surveys in the winter months</li><li>Piers in spring</li></ul>"
        "<table><tr><th>Year</th><th>Work on the bridge</th><th>Cost</th></tr>"
        "<tr><td>2025</td><td>Foundations, piers and the temporary ferry service</td><td>80 million</td></tr>"
        "<tr><td>2026</td><td>Steel deck, tram tracks and the two access ramps</td><td>110 million</td></tr>"
        "<tr><td>2027</td><td>Lighting, paint, safety tests and the opening</td><td>50 million</td></tr></table>"
        "<blockquote><p>It is the best day for this city in twenty years.</p></blockquote>"
        "<pre><code>span = 420 m</code></pre>"
        '<figure><img src="https://img.example/bridge.jpg"><figcaption>The old bridge at dawn.</figcaption></figure>'
    )
    article = extract_article(article_page(extras), "https://news.example/bridge")
    for text in ("What happens next", "Surveys in the winter", "80 million", "best day for this city"):
        assert text in article.text
    assert "span = 420 m" in article.text and "The old bridge at dawn." in article.text
    assert "<table>" in article.html and "<blockquote>" in article.html and "<figcaption>" in article.html


def test_an_embedded_tweet_is_kept_as_a_quote() -> None:
    tweet = (
        '<blockquote class="twitter-tweet"><p lang="en">The bridge vote passed, finally a good day for the'
        ' harbour!</p>&mdash; Mayor (@mayor) <a href="https://twitter.com/mayor/status/1">May 1, 2024</a>'
        "</blockquote>"
    )
    body = STORY.replace("</p>", f"</p>{tweet}", 2)
    article = extract_article(page(f"<article>{body}</article>"))
    assert "finally a good day for the harbour" in article.text
    assert "<blockquote>" in article.html
    assert KEPT in article.text


# --- synthetic pages (tests/data/pages/rails/), one per shape of rail or of lost story ---

RAIL_PAGES = [
    (
        "cards",  # teaser cards inside the story: kicker + headline + image behind an empty overlay link
        [
            "has keepers again",
            "The lamp room, repainted",
            "The weather station, rebuilt",
            "since the cannery closed",
        ],
        [
            "Transport",
            "Island ferries to run on batteries",
            "Council doubles harbour fees",
            "Seal colony grows",
        ],
    ),
    (
        "headline",  # the headline block at the top of the body: kicker, title, byline, date, reading time
        ["LISBON — Dockers at the port", "By Tuesday evening the first container", "What the union won"],
        [
            "Business",
            "Dockers end nine-day strike",
            "By Ana Lopes and Rui Dias",
            "Updated 9:41",
            "4 min read",
        ],
    ),
    (
        "wrapped",  # a lead paragraph with a <cite> dateline, and a linked paragraph, each in its own wrapper
        [
            "OSLO (Ledger) — Sales of heat pumps",
            "The group expects growth to slow",
            "hire more than a thousand",
        ],
        [],
    ),
    (
        "embeds",  # embedded posts inside wrappers of links
        ["I have read the new slogan four times", "read your slogan out loud", "chosen by a public vote"],
        [],
    ),
    (
        "trailing",  # disclosure, newsletter pitch, tag list, author bio, follow line, a dangling lead-in
        ["A comet discovered only in January", "a second, straight tail made of charged gas"],
        [
            "may earn a commission",
            "morning newsletter",
            "night sky, science",
            "science correspondent",
            "Follow her on Twitter",
            "More Great Ledger Stories",
            "observatory dome",  # the alt text of a lazy-loaded image is not story text
        ],
    ),
]


@pytest.mark.parametrize(("name", "present", "absent"), RAIL_PAGES, ids=[p[0] for p in RAIL_PAGES])
def test_synthetic_pages_keep_the_story_and_cut_the_rails(
    name: str, present: list[str], absent: list[str]
) -> None:
    article = extract_article((RAILS / f"{name}.html").read_bytes(), "https://news.example/story")
    for snippet in present:
        assert snippet in article.text, snippet
    for snippet in absent:
        assert snippet not in article.text, snippet
    assert article.is_article and article.failure is None


def test_figures_stay_when_teaser_cards_go() -> None:
    article = extract_article((RAILS / "cards.html").read_bytes(), "https://news.example/cape")
    assert article.html.count("<figcaption>") == 3
    assert "https://img.herald.example/cape-2.jpg" in article.html
    assert "https://img.herald.example/t1.jpg" not in article.html


def test_cards_that_are_the_page_itself_stay() -> None:
    items = "".join(
        f'<div class="pick"><a href="/shop/{i}"><img src="https://img.example/{i}.jpg"></a>'
        f"<h3>Pick number {i}: a sturdy kettle for the office</h3><p>Boils a litre in two minutes.</p></div>"
        for i in range(6)
    )
    article = extract_article(page(f"<article><p>Six kettles we tried this winter.</p>{items}</article>"))
    assert "Pick number 0" in article.text and "Pick number 5" in article.text


def test_the_headline_block_goes_but_its_fields_stay() -> None:
    article = extract_article((RAILS / "headline.html").read_bytes())
    assert article.title == "Port strike ends after nine days"
    assert article.byline == "Ana Lopes"
    assert article.text.startswith("LISBON — Dockers")


def test_an_opening_sentence_that_looks_like_a_byline_stays() -> None:
    opening = "<p>By John Smith's account, the council misled the public about the cost of the bridge.</p>"
    article = extract_article(article_page().replace('<div class="body">', f'<div class="body">{opening}'))
    assert article.text.startswith("By John Smith's account")
    assert "Harbour bridge to be rebuilt" not in article.text  # the headline above it goes


def test_embedded_posts_are_kept_as_quotes() -> None:
    article = extract_article((RAILS / "embeds.html").read_bytes(), "https://news.example/slogan")
    assert article.html.count("<blockquote>") == 2
    assert "Marta Vieira (@martav)" in article.text


def test_lazy_images_get_their_real_address() -> None:
    article = extract_article((RAILS / "trailing.html").read_bytes(), "https://news.example/comet")
    assert '<img src="https://img.ledger.example/comet.jpg"' in article.html


# --- metadata ---


def test_metadata_from_meta_tags() -> None:
    head = (
        '<meta property="og:title" content="Harbour bridge to be rebuilt">'
        '<meta name="author" content="Ana Lopes">'
        '<meta property="article:published_time" content="2024-05-01T09:30:00+02:00">'
        '<meta property="og:image" content="/img/bridge.jpg">'
        '<link rel="canonical" href="https://news.example/bridge">'
    )
    html = article_page(head=head).replace("<html>", '<html lang="pt-BR">')
    article = extract_article(html, "https://news.example/bridge?utm=1")
    assert article.title == "Harbour bridge to be rebuilt"
    assert article.byline == "Ana Lopes"
    assert article.published == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
    assert article.lead_image == "https://news.example/img/bridge.jpg"
    assert article.canonical_url == "https://news.example/bridge"
    assert article.language == "pt-BR"


def test_metadata_from_json_ld_graph_with_bad_json_beside_it() -> None:
    jsonld = (
        '<script type="application/ld+json">{not json</script>'
        '<script type="application/ld+json">{"@graph": [{"@type": "WebSite", "name": "Example"},'
        '{"@type": ["NewsArticle"], "headline": "Bridge vote", "datePublished": "2024-05-01T10:00:00Z",'
        '"author": [{"@type": "Person", "name": "Ana Lopes"}, {"name": "Rui Dias"}],'
        '"image": {"url": "https://img.example/a.jpg"}}]}</script>'
    )
    article = extract_article(article_page(head=jsonld))
    assert article.title == "Bridge vote"
    assert article.byline == "Ana Lopes, Rui Dias"
    assert article.published == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert article.lead_image == "https://img.example/a.jpg"


def test_an_empty_date_field_is_skipped_and_the_byline_is_cleaned() -> None:
    head = (
        '<meta property="article:published_time" content="0001-01-01T00:00:00">'
        '<meta name="date" content="2024-05-01T09:30:00Z">'
    )
    byline = '<p class="byline">By Ana Lopes and Rui Dias Published 9:30 AM UTC May 1, 2024</p>'
    article = extract_article(article_page(head=head, extra_outside=byline))
    assert article.published == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert article.byline == "Ana Lopes and Rui Dias"


def test_title_falls_back_to_the_cleaned_page_title() -> None:
    html = article_page().replace(
        "Harbour bridge | Daily Example", "Council votes to rebuild bridge | Daily Example"
    )
    assert extract_article(html).title == "Council votes to rebuild bridge"


# --- failure detection, bounds, charsets ---


def test_ten_thousand_nested_divs_fail_or_succeed_quickly() -> None:
    html = "<html><body>" + "<div>" * 10_000 + STORY + "</div>" * 10_000 + "</body></html>"
    started = time.monotonic()
    article = extract_article(html)
    assert time.monotonic() - started < 5
    assert (article.is_article and KEPT in article.text) or (not article.is_article and article.failure)


def test_a_page_of_links_is_not_an_article() -> None:
    links = "".join(f'<li><a href="/s/{i}">Headline of story number {i} today</a></li>' for i in range(60))
    started = time.monotonic()
    article = extract_article(page(f"<ul>{links}</ul>"))
    assert time.monotonic() - started < 5
    assert not article.is_article and article.failure and article.confidence < 0.4


def test_an_empty_page_is_a_failure_not_an_empty_story() -> None:
    article = extract_article("")
    assert not article.is_article and article.failure and article.text == ""


@pytest.mark.parametrize(
    "html", ["<html><head><title>Only a title here</title></head></html>", "<title>x</title>", "<frameset>"]
)
def test_a_page_without_a_body_is_a_failure_not_a_crash(html: str) -> None:
    article = extract_article(html)
    assert not article.is_article and article.failure and article.text == ""


def test_a_huge_page_finishes_in_bounded_time() -> None:
    html = page(STORY + "<p>" + "filler " * 3_000_000 + "</p>")
    started = time.monotonic()
    article = extract_article(html)
    assert time.monotonic() - started < 10
    assert article.failure is None or isinstance(article.failure, str)


def test_bytes_with_a_wrong_charset_do_not_crash() -> None:
    raw = article_page(head='<meta charset="no-such-charset">').encode("utf-8") + b"\xff\xfe\x80"
    assert KEPT in extract_article(raw).text
    wrong = article_page(head='<meta charset="utf-8">').replace("euros", "€uros").encode("cp1252")
    assert KEPT in extract_article(wrong).text


def test_bytes_are_decoded_by_bom_then_meta_charset() -> None:
    assert decode_html(b"\xef\xbb\xbfcaf\xc3\xa9") == "café"
    assert "café" in decode_html(b'<meta charset="iso-8859-1">caf\xe9')
    assert decode_html(b"caf\xe9") == "café"
