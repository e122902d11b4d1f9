"""Pure update decisions: identities, new vs changed."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from tidings.core.models import ParsedEntry, ParsedFeed
from tidings.core.update import decide, prepare, story_uids


def entry(
    guid: str | None = None, link: str | None = None, title: str = "T", content: str = ""
) -> ParsedEntry:
    return ParsedEntry(
        guid=guid, link=link, title=title, content_html=content, published=datetime(2024, 5, 1, tzinfo=UTC)
    )


def test_identity_is_guid_then_link_then_content() -> None:
    uids = story_uids(
        [entry("g1", "https://x/1"), entry(None, "https://x/2"), entry(None, None, "Only a title")]
    )
    assert uids[0] == "g:g1" and uids[1] == "l:https://x/2" and uids[2].startswith("h:")


def test_a_guid_repeated_for_different_entries_is_not_trusted() -> None:
    uids = story_uids(
        [entry("same", "https://x/1"), entry("same", "https://x/2"), entry("own", "https://x/3")]
    )
    assert uids == ["l:https://x/1", "l:https://x/2", "g:own"]


def test_identity_survives_an_edit_and_the_edit_is_seen_as_a_change() -> None:
    before = prepare(ParsedFeed("F", "rss20", (entry("g1", content="<p>first</p>"),)))
    after = prepare(ParsedFeed("F", "rss20", (entry("g1", content="<p>corrected</p>"),)))
    stored = {r.uid: r.content_hash for r in before.rows}
    new, changed = decide(stored, after.rows)
    assert new == [] and [r.uid for r in changed] == ["g:g1"]
    assert decide(stored, before.rows) == ([], [])


def test_a_document_repeating_an_entry_keeps_one() -> None:
    prepared = prepare(
        ParsedFeed("F", "rss20", (entry("g1"), entry(None, "https://x/a"), entry(None, "https://x/a")))
    )
    assert [r.uid for r in prepared.rows] == ["g:g1", "l:https://x/a"]


def test_rows_carry_plain_text_for_search() -> None:
    prepared = prepare(
        ParsedFeed("F", "rss20", (entry("g", content="<p>Hello&nbsp;<b>world</b></p><script>x()</script>"),))
    )
    assert prepared.rows[0].text == "Hello world"
    assert prepared.rows[0].published == int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(max_size=8)),
            st.one_of(st.none(), st.text(max_size=8)),
            st.text(max_size=8),
        ),
        max_size=30,
    )
)
def test_uids_are_deterministic_and_unique_after_prepare(
    specs: list[tuple[str | None, str | None, str]],
) -> None:
    entries = tuple(
        entry(g or None, ("https://x/" + link) if link else None, title) for g, link, title in specs
    )
    first = prepare(ParsedFeed("F", "rss20", entries))
    second = prepare(ParsedFeed("F", "rss20", entries))
    uids = [r.uid for r in first.rows]
    assert uids == [r.uid for r in second.rows]
    assert len(uids) == len(set(uids))
