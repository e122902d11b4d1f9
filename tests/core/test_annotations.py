"""Annotations: normalised text, anchoring and re-anchoring after edits, W3C JSON-LD and Markdown."""

from __future__ import annotations

import json
from bisect import bisect_left
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tidings.core.annotation_formats import (
    from_w3c,
    markdown_escape,
    to_markdown,
    to_w3c,
    to_w3c_collection,
)
from tidings.core.annotations import (
    COLORS,
    CONTEXT_CHARS,
    Anchor,
    Annotation,
    AnnotationFormatError,
    TextPositionSelector,
    TextQuoteSelector,
    anchor,
    new_annotation_id,
    normalise_map,
    normalise_text,
    reanchor,
    similarity,
)
from tidings.core.sanitize import html_to_text, sanitize_html

DATA = Path(__file__).parent.parent / "data" / "annotations"
ARTICLE_HTML = sanitize_html((DATA / "article.html").read_text(), "https://news.example.com/wall")
TEXT = normalise_text(html_to_text(ARTICLE_HTML))
WORDS = sorted(set(TEXT.split()))
WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
URL = "https://news.example.com/wall"
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at(text: str, words: str, occurrence: int = 0) -> Anchor:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(words, start + 1)
    return anchor(text, start, start + len(words), "tidings-extract/1")


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


# Normalised text


def test_normalise_text_collapses_whitespace_and_drops_invisible_characters() -> None:
    raw = "  Sea\u00a0wall\n\n\u2029 re\u00adbuilt\u200b today\tcafe\u0301 \ufeff "
    assert normalise_text(raw) == "Sea wall rebuilt today café"


def test_the_article_text_is_the_normalised_html_text() -> None:
    assert TEXT.startswith("Harbour town votes to rebuild its flooded sea wall The council of Port Ellery")
    assert "  " not in TEXT and "\n" not in TEXT


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_normalise_map_agrees_with_normalise_text(raw: str) -> None:
    text, offsets = normalise_map(raw)
    assert text == normalise_text(raw) == normalise_text(text)
    assert len(offsets) == len(text) + 1
    assert offsets == tuple(sorted(offsets))
    assert all(0 <= o <= len(raw) for o in offsets)


@given(st.text(alphabet=st.sampled_from("ab \n\t\u00a0\u00ad.\u200b"), max_size=60))
def test_normalise_map_points_at_the_characters_it_keeps(raw: str) -> None:
    text, offsets = normalise_map(raw)
    for i, ch in enumerate(text):
        assert raw[offsets[i]] == ch or (ch == " " and raw[offsets[i]].isspace())


# Similarity (Myers' bit-vector edit distance)


@given(st.text(alphabet="abc ", max_size=40), st.text(alphabet="abc ", max_size=40))
def test_similarity_is_one_minus_levenshtein_over_the_longer(a: str, b: str) -> None:
    expected = 1.0 if not (a or b) else 1 - levenshtein(a, b) / max(len(a), len(b))
    assert similarity(a, b) == pytest.approx(expected)


def test_similarity_of_long_texts() -> None:
    assert similarity(TEXT, TEXT) == 1.0
    edited = TEXT[:1000] + "XYZ" + TEXT[1010:]
    assert similarity(TEXT, edited) == pytest.approx(1 - 10 / len(TEXT))


# Anchoring


def test_anchor_keeps_the_quote_its_context_and_the_extractor() -> None:
    where = at(TEXT, "Port Ellery")
    start = TEXT.index("Port Ellery")
    assert where.quote == TextQuoteSelector(
        "Port Ellery", TEXT[start - CONTEXT_CHARS : start], TEXT[start + 11 : start + 11 + CONTEXT_CHARS]
    )
    assert where.position == TextPositionSelector(start, start + 11)
    assert where.extractor_version == "tidings-extract/1"


def test_anchor_trims_whitespace_and_refuses_empty_or_bad_spans() -> None:
    text = "one two three"
    assert anchor(text, 3, 8).quote.exact == "two"
    assert anchor(text, 0, 3).quote.prefix == ""
    assert anchor(text, 8, 13).quote.suffix == ""
    for start, end in [(3, 4), (5, 5), (-1, 2), (0, 14)]:
        with pytest.raises(ValueError):
            anchor(text, start, end)


def test_unchanged_text_is_exact() -> None:
    where = at(TEXT, "the sea wall that failed")
    placement = reanchor(TEXT, where)
    assert (placement.status, placement.similarity) == ("exact", 1.0)
    assert (placement.start, placement.end) == (where.position.start, where.position.end)


def test_text_inserted_before_moves_it() -> None:
    where = at(TEXT, "the sea wall that failed")
    placement = reanchor("A new first paragraph. " + TEXT, where)
    assert placement.status == "moved"
    assert placement.start == where.position.start + 23


def test_a_repeated_quote_is_told_apart_by_its_context() -> None:
    # "the wall" occurs many times; the one chosen is the one with the same words around it
    where = at(TEXT, "the wall", 2)
    shifted = "Updated: " + TEXT
    placement = reanchor(shifted, where)
    assert placement.status == "moved"
    assert (
        shifted[placement.start - 30 : placement.end] == TEXT[where.position.start - 30 : where.position.end]
    )


def test_when_context_cannot_decide_the_nearest_occurrence_wins() -> None:
    text = "alpha beta. " * 10
    text = text.strip()
    where = anchor(text, text.index("beta", 60), text.index("beta", 60) + 4)
    placement = reanchor("go " + text, where)  # occurrences 12 apart: the one 3 after beats the one 9 before
    assert placement.start == where.position.start + 3


def test_words_replaced_in_a_highlight_are_not_moved_to_the_same_words_elsewhere() -> None:
    text = "red apples and red pears"
    where = anchor(text, 15, 18)
    assert reanchor("red apples and green pears", where).status == "orphan"
    assert reanchor(text, where).status == "exact"
    assert (reanchor("red apples and ripe red pears", where).start, "moved") == (20, "moved")


def test_a_quote_whose_words_were_rewritten_elsewhere_is_an_orphan() -> None:
    where = at(TEXT, "Margaret Oduya")
    edited = TEXT.replace("said Margaret Oduya, who chairs", "said the committee's chair, who leads")
    assert "Margaret Oduya" not in edited
    assert reanchor(edited, where).status == "orphan"
    # the same name elsewhere, far from where the highlight was, without its context, is other words
    elsewhere = edited + " Later, Margaret Oduya left the meeting."
    assert reanchor(elsewhere, where).status == "orphan"


def test_a_small_change_inside_is_fuzzy_with_the_new_words() -> None:
    where = at(TEXT, "an estimated 2.3 million pounds")
    edited = TEXT.replace("an estimated 2.3 million pounds", "an estimated 2.8 million pounds")
    placement = reanchor(edited, where)
    assert placement.status == "fuzzy"
    assert edited[placement.start : placement.end] == "an estimated 2.8 million pounds"
    assert placement.similarity == pytest.approx(1 - 1 / 31)


def test_a_rewritten_highlight_is_an_orphan() -> None:
    where = at(TEXT, "The vote was close.")
    edited = TEXT.replace("The vote was close.", "It was a narrow result.")
    assert reanchor(edited, where).status == "orphan"


def test_a_deleted_highlight_is_an_orphan() -> None:
    where = at(TEXT, "The meeting, which began at six o'clock, ran until almost midnight.")
    edited = TEXT.replace("The meeting, which began at six o'clock, ran until almost midnight. ", "")
    assert reanchor(edited, where).status == "orphan"


def test_a_long_highlight_survives_the_loss_of_its_context_and_an_edit() -> None:
    start = TEXT.index("Under the plan approved")
    where = anchor(TEXT, start, start + 400)
    quote = TEXT[start : start + 400]
    edited = "Introduction. " + TEXT.replace(TEXT[start - 40 : start], "x" * 40).replace(
        TEXT[start + 400 : start + 440], "y" * 40
    )
    edited = edited.replace("eighteen months", "nineteen months")
    placement = reanchor(edited, where)
    assert placement.status == "fuzzy"
    assert edited[placement.start : placement.end] == quote.replace("eighteen", "nineteen")


def test_highlights_at_the_very_start_and_end() -> None:
    first = at(TEXT, "Harbour town")
    last = anchor(TEXT, len(TEXT) - 11, len(TEXT))
    edited = TEXT.replace("votes to", "voted to").replace("harbour mouth.", "harbour mouth!")
    assert reanchor(edited, first).status == "exact"
    placement = reanchor(edited, last)
    assert placement.status == "fuzzy" and edited[placement.start : placement.end] == "bour mouth!"


def test_an_imported_anchor_without_position() -> None:
    where = Anchor(TextQuoteSelector("the wall", "", " has always"), None)
    placement = reanchor(TEXT, where)
    assert placement.status == "moved"
    assert TEXT[placement.start - 6 : placement.end + 11] == "where the wall has always"


# Properties: random edits of a real article


@st.composite
def highlights(draw: st.DrawFn) -> tuple[int, int]:
    starts = [0] + [i + 1 for i, ch in enumerate(TEXT) if ch == " "]
    first = draw(st.integers(0, len(starts) - 1))
    count = draw(st.integers(1, 12))
    start = starts[first]
    end = starts[first + count] - 1 if first + count < len(starts) else len(TEXT)
    return start, end


inserted = st.one_of(
    st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ,.'\"-"), max_size=40),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join),
)


def apply(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def normalised(raw: str, start: int, end: int) -> tuple[str, int, int]:
    """The normalised `raw` and where raw[start:end] went in it."""
    text, offsets = normalise_map(raw)
    return text, bisect_left(offsets, start), bisect_left(offsets, end)


@PROPERTY
@given(highlights(), st.data(), inserted)
def test_an_edit_outside_a_highlight_keeps_it_on_the_same_words(
    span: tuple[int, int], data: st.DataObject, new: str
) -> None:
    start, end = span
    before = (data.draw(st.booleans()) and start > 0) or end == len(TEXT)
    a = data.draw(st.integers(0, start) if before else st.integers(end, len(TEXT)))
    b = data.draw(st.integers(a, start) if before else st.integers(a, len(TEXT)))
    shift = len(new) - (b - a) if before else 0
    where = anchor(TEXT, start, end)
    edited, new_start, new_end = normalised(apply(TEXT, a, b, new), start + shift, end + shift)
    placement = reanchor(edited, where)
    assert placement.status in ("exact", "moved")
    assert (placement.start, placement.end) == (new_start, new_end)


@PROPERTY
@given(highlights(), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 60), inserted), max_size=5))
def test_edits_away_from_a_highlight_and_its_context_keep_it(
    span: tuple[int, int], edits: list[tuple[float, int, str]]
) -> None:
    start, end = span
    where = anchor(TEXT, start, end)
    raw, s, e = TEXT, start, end
    for fraction, length, new in edits:
        a = int(fraction * len(raw))
        b = min(len(raw), a + length)
        if a < s - CONTEXT_CHARS - 1 and b < s - CONTEXT_CHARS - 1:
            raw, s, e = apply(raw, a, b, new), s + len(new) - (b - a), e + len(new) - (b - a)
        elif a > e + CONTEXT_CHARS + 1:
            raw = apply(raw, a, b, new)
    edited, new_start, new_end = normalised(raw, s, e)
    placement = reanchor(edited, where)
    assert placement.status in ("exact", "moved")
    assert (placement.start, placement.end) == (new_start, new_end)


@PROPERTY
@given(
    highlights(), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 20), inserted), min_size=2, max_size=4)
)
def test_many_edits_outside_never_move_a_highlight_to_other_words(
    span: tuple[int, int], edits: list[tuple[float, int, str]]
) -> None:
    start, end = span
    where = anchor(TEXT, start, end)
    raw, s, e = TEXT, start, end
    for fraction, length, new in edits:
        a = int(fraction * len(raw))
        b = min(len(raw), a + length)
        if b <= s:
            raw, s, e = apply(raw, a, b, new), s + len(new) - (b - a), e + len(new) - (b - a)
        elif a >= e:
            raw = apply(raw, a, b, new)
    edited, new_start, new_end = normalised(raw, s, e)
    placement = reanchor(edited, where)
    if placement.status in ("exact", "moved"):
        assert (placement.start, placement.end) == (new_start, new_end)
    elif placement.status == "fuzzy":
        assert placement.start < new_end and placement.end > new_start


@PROPERTY
@given(highlights(), st.data(), inserted)
def test_an_edit_inside_a_highlight_makes_it_fuzzy_or_orphan_never_other_words(
    span: tuple[int, int], data: st.DataObject, new: str
) -> None:
    start, end = span
    a = data.draw(st.integers(start, end - 1))
    b = data.draw(st.integers(a, end))
    assume(TEXT[a:b] != new)
    where = anchor(TEXT, start, end)
    edited, low, high = normalised(apply(TEXT, a, b, new), start, end + len(new) - (b - a))
    placement = reanchor(edited, where)
    if placement.status == "fuzzy":
        assert placement.start < high and placement.end > low
        assert placement.similarity >= 0.75
    elif placement.status in ("exact", "moved"):
        # only when the edit left the very words in place (e.g. a letter doubled at the end)
        assert low <= placement.start and placement.end <= high
        assert edited[placement.start : placement.end] == where.quote.exact


def test_reanchoring_in_a_100_kb_text_finds_the_words() -> None:
    big = " ".join([TEXT.replace("Port Ellery", f"Port Ellery {i}") for i in range(30)])
    start = big.index("Port Ellery 17")
    where = anchor(big, start, start + 40)
    edited = big[: start - 3] + "!!!" + big[start:]
    placement = reanchor(edited[:5000] + edited[7000:], where)
    assert placement.status == "moved" and placement.start == start - 2000


# W3C Web Annotation


@st.composite
def annotations(draw: st.DrawFn) -> Annotation:
    text = st.text(max_size=20)
    moments = st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
    where = None
    if draw(st.booleans()):
        position = None
        if draw(st.booleans()):
            start = draw(st.integers(0, 10**6))
            position = TextPositionSelector(start, start + draw(st.integers(0, 1000)))
        quote = TextQuoteSelector(draw(st.text(min_size=1, max_size=30)), draw(text), draw(text))
        where = Anchor(quote, position, draw(text))
    return Annotation(
        id=draw(st.one_of(st.just(new_annotation_id()), st.text(min_size=1, max_size=30))),
        anchor=where,
        created=draw(moments),
        note=draw(text),
        color=draw(st.sampled_from(sorted(COLORS))),
        modified=draw(st.one_of(st.none(), moments)),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(annotations(), max_size=5), st.text(min_size=1, max_size=30))
def test_w3c_json_out_and_back_in_is_exact(items: list[Annotation], url: str) -> None:
    doc = json.loads(json.dumps(to_w3c(items, url)))
    back = from_w3c(doc)
    assert [i.annotation for i in back] == items
    assert all(i.source == url for i in back)
    assert to_w3c([i.annotation for i in back], url) == doc


def test_w3c_document_shape() -> None:
    highlight = Annotation("urn:uuid:1", at(TEXT, "Port Ellery"), WHEN, note="Who?", color="green")
    note = Annotation("urn:uuid:2", None, WHEN, note="On the whole story")
    doc = to_w3c([highlight, note], URL, label="Sea wall")
    assert doc["@context"][0] == "http://www.w3.org/ns/anno.jsonld"
    assert (doc["type"], doc["total"], doc["label"]) == ("AnnotationCollection", 2, "Sea wall")
    first, second = doc["first"]["items"]
    assert first["motivation"] == "commenting" and first["created"] == "2024-05-01T09:30:00Z"
    assert first["body"] == {
        "type": "TextualBody",
        "value": "Who?",
        "format": "text/plain",
        "purpose": "commenting",
    }
    target = first["target"]
    assert target["source"] == URL and target["styleClass"] == "green"
    assert [s["type"] for s in target["selector"]] == ["TextQuoteSelector", "TextPositionSelector"]
    assert target["selector"][0]["exact"] == "Port Ellery"
    assert target["tidings:extractor"] == "tidings-extract/1"
    assert second["target"] == {"source": URL, "styleClass": "yellow"}


def test_w3c_collection_of_several_stories() -> None:
    a = Annotation("urn:a", at(TEXT, "sea wall"), WHEN)
    b = Annotation("urn:b", None, WHEN, note="x")
    doc = to_w3c_collection([("https://one.example/", [a]), ("https://two.example/", [b])])
    assert [(i.source, i.annotation) for i in from_w3c(doc)] == [
        ("https://one.example/", a),
        ("https://two.example/", b),
    ]


def test_w3c_from_other_tools() -> None:
    doc = json.loads((DATA / "w3c-foreign.json").read_text())
    now = datetime(2025, 1, 1, tzinfo=UTC)
    imported = from_w3c(doc, now=now)
    assert [i.source for i in imported] == ["http://example.org/page1", "http://example.org/page2", URL]
    first, second, third = (i.annotation for i in imported)
    assert first.id == "http://example.org/anno1"
    assert first.anchor == Anchor(TextQuoteSelector("anotation", "this is an ", " that has some"), None)
    assert first.note == "Comment text" and first.created == datetime(2015, 1, 28, 12, tzinfo=UTC)
    assert second.anchor is None and second.note == "A note given as bodyValue"
    assert second.created == now and second.id.startswith("urn:uuid:")
    assert second.id == from_w3c(doc, now=now)[1].annotation.id  # the same id when imported again
    assert third.anchor is not None and third.anchor.position == TextPositionSelector(100, 111)
    assert third.created == datetime(2024, 3, 1, 10, tzinfo=UTC)  # +02:00 turned into UTC
    assert reanchor(TEXT, third.anchor).placed


def test_w3c_single_annotation_page_and_list() -> None:
    item = to_w3c([Annotation("urn:x", at(TEXT, "sea wall"), WHEN)], URL)["first"]["items"][0]
    page = {"type": "AnnotationPage", "items": [item]}
    for doc in (item, page, [item]):
        assert [i.annotation.id for i in from_w3c(doc)] == ["urn:x"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("text", "not a W3C annotation document"),
        ({"type": "Book"}, "no Annotation type"),
        ({"type": "Annotation", "id": "a"}, "no target page"),
        (
            {"type": "Annotation", "target": {"source": "u", "selector": {"type": "CssSelector"}}},
            "TextQuoteSelector",
        ),
        (
            {"type": "Annotation", "target": {"source": "u", "selector": {"type": "TextQuoteSelector"}}},
            "no exact",
        ),
        ({"type": "Annotation", "target": "u", "created": "yesterday"}, "cannot be read"),
        (
            {"type": "AnnotationCollection", "total": 3, "first": "https://example.org/page1"},
            "pages it does not",
        ),
        (
            {
                "type": "Annotation",
                "target": {
                    "source": "u",
                    "selector": [
                        {"type": "TextQuoteSelector", "exact": "x"},
                        {"type": "TextPositionSelector"},
                    ],
                },
            },
            "whole-number",
        ),
    ],
)
def test_w3c_errors_are_sentences(doc: object, message: str) -> None:
    with pytest.raises(AnnotationFormatError, match=message):
        from_w3c(doc)


def test_annotation_validation() -> None:
    with pytest.raises(ValueError):
        Annotation("a", None, datetime(2024, 1, 1))  # naive
    with pytest.raises(ValueError):
        Annotation("a", None, WHEN, color="mauve")
    with pytest.raises(ValueError):
        Anchor(TextQuoteSelector(""), None)
    with pytest.raises(ValueError):
        Anchor(TextQuoteSelector("x"), TextPositionSelector(5, 4))
    local = Annotation("a", None, datetime(2024, 5, 1, 11, 30, tzinfo=timezone(timedelta(hours=2))))
    assert from_w3c(to_w3c([local], URL))[0].annotation == local


# Markdown


def test_markdown_of_a_story() -> None:
    items = [
        Annotation("3", at(TEXT, "an estimated 2.3 million pounds"), WHEN, note="Source?\n\nSee *report*."),
        Annotation("1", at(TEXT, "Port Ellery"), WHEN),
        Annotation("2", None, WHEN, note="Worth reading again."),
    ]
    assert to_markdown(items, URL, title="Harbour town [votes]") == (
        "## Harbour town \\[votes\\]\n\n"
        f"Source: <{URL}>\n\n"
        "Worth reading again.\n\n"
        "==Port Ellery==\n\n"
        "==an estimated 2.3 million pounds==\n\n"
        "Source?\n\n"
        "See \\*report\\*.\n"
    )


def test_markdown_escapes_what_would_change_meaning() -> None:
    assert markdown_escape("# not a heading\n- nor a list\n1. nor this") == (
        "\\# not a heading\n\\- nor a list\n\\1. nor this"
    )
    assert markdown_escape("a <b> `c` [d](e) == f") == "a \\<b\\> \\`c\\` \\[d\\](e) =\\= f"
    quote = Annotation("1", Anchor(TextQuoteSelector("x = y == z"), None), WHEN)
    assert "==x \\= y \\=\\= z==" in to_markdown([quote], "https://e.org/a b", title=None)
    assert "Source: <https://e.org/a%20b>" in to_markdown([quote], "https://e.org/a b")
