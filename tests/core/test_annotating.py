"""Annotations in a real library: made durably, re-anchored when the story's text changes, never dropped,
exported and imported back."""

from __future__ import annotations

import json

import pytest

from tests.ui.stock import add_feed, add_story
from tidings.core.errors import UserInputError
from tidings.core.library import Library
from tidings.core.storage import articles as article_store
from tidings.core.storage.articles import PageRow

BODY = (
    "<p>The council voted on Tuesday to rebuild the old harbour wall before the winter storms.</p>"
    "<p>Engineers said the wall had cracked in three places. The work will cost four million.</p>"
)


def story(library: Library, content: str = BODY) -> int:
    feed = add_feed(library, "https://port.example/feed", "Port")
    return add_story(library, feed, 1, title="Harbour wall", content=content)


def article(story_id: int, html: str, version: str = "tidings-extract/1") -> PageRow:
    return PageRow(
        story_id, "https://port.example/1", b"<html/>", "text/html", version, "Harbour wall", None, None, None,
        None, "en", html, "", True, 0.9, None,
    )  # fmt: skip


def test_a_highlight_is_stored_with_quote_context_and_position(library: Library) -> None:
    story_id = story(library)
    placed = library.annotations.highlight(
        story_id, "cracked in three places", note="Since when?", color="green"
    )
    text = library.annotations.story_text(story_id).text
    assert text[placed.start : placed.end] == "cracked in three places"  # type: ignore[misc]
    [again] = library.annotations.of_story(story_id)
    anchor = again.annotation.anchor
    assert anchor is not None and anchor.quote.prefix.endswith("the wall had ") and again.status == "exact"
    assert again.annotation.note == "Since when?" and again.annotation.color == "green"


def test_a_quote_that_is_not_there_or_ambiguous_is_refused(library: Library) -> None:
    story_id = story(library, "<p>the wall, the wall, the wall</p>")
    with pytest.raises(UserInputError, match="does not contain"):
        library.annotations.highlight(story_id, "a bridge")
    with pytest.raises(UserInputError, match="more than once"):
        library.annotations.highlight(story_id, "the wall")
    assert library.annotations.highlight(story_id, "the wall", prefix="wall, the wall,").start == 20


def test_highlights_follow_a_new_extraction_and_unplaceable_ones_become_orphans(library: Library) -> None:
    story_id = story(library)
    kept = library.annotations.highlight(story_id, "rebuild the old harbour wall")
    lost = library.annotations.highlight(story_id, "four million")
    library.annotations.note(story_id, "Follow up in spring.")
    # the page is extracted: a new paragraph before, the cost sentence rewritten entirely
    new_html = (
        "<p>PORT TOWN — A long-awaited decision.</p>"
        "<p>The council voted on Tuesday to rebuild the old harbour wall before the winter storms.</p>"
        "<p>Engineers said the wall had cracked in three places. Nobody has said what it costs.</p>"
    )
    library.write(lambda c: article_store.save(c, article(story_id, new_html, "tidings-extract/2"), None))
    placed = {p.annotation.id: p for p in library.annotations.of_story(story_id)}
    text = library.annotations.story_text(story_id).text
    moved = placed[kept.annotation.id]
    assert (
        moved.status in ("exact", "moved") and text[moved.start : moved.end] == "rebuild the old harbour wall"
    )  # type: ignore[misc]
    assert placed[lost.annotation.id].status == "orphan" and placed[lost.annotation.id].start is None
    assert placed[lost.annotation.id].annotation.anchor.quote.exact == "four million"  # type: ignore[union-attr]
    assert [p.annotation.note for p in placed.values() if p.status == "note"] == ["Follow up in spring."]
    assert len(placed) == 3  # nothing dropped


def test_edit_delete_and_restore(library: Library) -> None:
    story_id = story(library)
    placed = library.annotations.highlight(story_id, "winter storms")
    before = library.annotations.edit(placed.annotation.id, note="Which winter?", color="pink")
    assert before.annotation.note == ""
    [edited] = library.annotations.of_story(story_id)
    assert edited.annotation.note == "Which winter?" and edited.annotation.color == "pink"
    gone = library.annotations.delete(placed.annotation.id)
    assert library.annotations.of_story(story_id) == []
    library.annotations.restore(gone)
    assert [p.annotation.note for p in library.annotations.of_story(story_id)] == ["Which winter?"]


def test_markdown_and_w3c_export_and_w3c_import_round_trip(library: Library, tmp_path: object) -> None:
    story_id = story(library)
    library.annotations.highlight(story_id, "cracked in three places", note="Since when?")
    markdown = library.annotations.export([story_id], "md")
    assert "==cracked in three places==" in markdown and "Since when?" in markdown
    assert "https://example.com/" in markdown  # the source link
    w3c = library.annotations.export(None, "w3c")
    doc = json.loads(w3c)
    assert "http://www.w3.org/ns/anno.jsonld" in json.dumps(doc["@context"])
    before = library.annotations.of_story(story_id)
    library.annotations.delete(before[0].annotation.id)
    report = library.annotations.import_w3c(w3c)
    assert report.added == 1 and report.unmatched == ()
    [back] = library.annotations.of_story(story_id)
    assert back.annotation.id == before[0].annotation.id and back.annotation.note == "Since when?"
    assert back.start == before[0].start
    assert library.annotations.import_w3c(w3c).already == 1
