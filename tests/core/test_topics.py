"""Same-story grouping and topic suggestions on small hand-written stories (tests/data/topics)."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from tidings.core.topics import (
    GroupingSettings,
    StoryGrouper,
    TopicSuggester,
    cluster_stream,
    suggest_topics,
)
from tidings.core.topics_grouping import to_days
from tidings.core.topics_text import slug_words, words

DATA = json.loads((Path(__file__).parents[1] / "data" / "topics" / "stories.json").read_text("utf-8"))
STREAM: list[dict[str, Any]] = DATA["stream"]


def public(article: dict[str, Any]) -> dict[str, Any]:
    return {k: article[k] for k in ("id", "title", "text", "date", "source", "url")}


def grouped() -> dict[str, int]:
    labels = cluster_stream([public(a) for a in STREAM])
    return {a["id"]: label for a, label in zip(STREAM, labels, strict=True)}


def test_one_label_per_story_in_order() -> None:
    labels = cluster_stream([public(a) for a in STREAM])
    assert len(labels) == len(STREAM)


def test_wire_copies_are_grouped() -> None:
    labels = grouped()
    assert labels["a1"] == labels["a2"]  # the same headline from two feeds


def test_different_write_ups_of_one_event_are_grouped() -> None:
    labels = grouped()
    assert labels["a1"] == labels["a3"] == labels["a4"]
    assert labels["b1"] == labels["b2"] == labels["b3"]
    assert labels["d1"] == labels["d2"]


def test_unrelated_stories_are_not_grouped() -> None:
    labels = grouped()
    events = {"a1": "bridge", "b1": "chips", "c1": "orchestra", "d1": "marathon"}
    assert len({labels[i] for i in events}) == len(events)


def test_grouping_matches_the_gold_events() -> None:
    labels = grouped()
    for a, b in combinations(STREAM, 2):
        same_event = a["event"] == b["event"]
        assert (labels[a["id"]] == labels[b["id"]]) == same_event, (a["id"], b["id"])


def test_time_window_is_respected() -> None:
    labels = grouped()
    assert labels["a5"] != labels["a1"]  # the same wire copy two weeks later is a new story
    week = [public(STREAM[0]), {**public(STREAM[0]), "id": "x", "date": "2024-05-08T08:00:00Z"}]
    assert len(set(cluster_stream(week))) == 1  # two days later it is still the same story


def test_labels_are_deterministic() -> None:
    articles = [public(a) for a in STREAM]
    assert cluster_stream(articles) == cluster_stream([dict(a) for a in articles])


def test_incremental_labels_match_the_batch_and_later_stories_never_split_a_group() -> None:
    articles = [public(a) for a in STREAM]
    grouper = StoryGrouper()
    returned = [grouper.add(a) for a in articles]
    final = cluster_stream(articles)
    assert grouper.labels() == final
    for i, j in combinations(range(len(articles)), 2):
        if returned[i] == returned[j]:  # together when j arrived: together at the end
            assert final[i] == final[j]


def test_stories_without_date_text_or_url_are_grouped() -> None:
    bare = [{"id": "1", "title": "Harbor Bridge closed after ship strikes pillar"}, {"id": "2", "title": ""}]
    bare.append({"id": "3", "title": "Harbor Bridge closed after ship strikes pillar", "date": "garbage"})
    labels = cluster_stream(bare)
    assert labels[0] == labels[2] != labels[1]


def test_empty_stream() -> None:
    assert cluster_stream([]) == []


def test_a_stricter_threshold_splits_more() -> None:
    articles = [public(a) for a in STREAM]
    strict = StoryGrouper(GroupingSettings(threshold=0.5, merge_threshold=2.0))
    labels = [strict.add(a) for a in articles]
    assert labels[0] == labels[2]  # wire copies still meet
    assert len(set(labels)) > len(set(cluster_stream(articles)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-06", 19849.0),
        ("2024-05-06T12:00:00Z", 19849.5),
        ("2024-05-06T14:00:00+02:00", 19849.5),
        (19849.5 * 86400, 19849.5),
        ("", None),
        ("not a date", None),
        (None, None),
    ],
)
def test_dates(value: object, expected: float | None) -> None:
    assert to_days(value) == expected


def test_words_fold_possessives_and_plurals() -> None:
    assert words("eBay's Chromecasts and the T-Mobile deal") == ["ebay", "chromecast", "t-mobile", "deal"]


def test_slug_words() -> None:
    url = "https://x.example/2024/05/06/harbor-bridge-closed.html?a=1"
    assert slug_words(url) == ["harbor", "bridge", "closed"]
    assert slug_words("https://x.example/news/article-30908.aspx") == []
    assert slug_words("not a url") == []


def training() -> list[tuple[dict[str, str], str]]:
    return [
        ({"title": title, "text": ""}, topic) for topic, titles in DATA["topics"].items() for title in titles
    ]


def test_suggestions_rank_the_right_topic_first() -> None:
    probes = DATA["probes"]
    ranked = suggest_topics(training(), [{"title": p["title"], "text": p["text"]} for p in probes])
    assert [r[0] for r in ranked] == [p["topic"] for p in probes]


def test_suggestions_are_at_most_three_distinct_known_topics() -> None:
    train = [*training(), ({"title": "Quarterly earnings beat forecasts", "text": ""}, "Business")]
    ranked = suggest_topics(train, [{"title": "A recipe for bread", "text": ""}])
    assert len(ranked[0]) == 3
    assert len(set(ranked[0])) == 3
    assert set(ranked[0]) <= {topic for _, topic in train}


def test_suggestions_with_empty_inputs() -> None:
    assert suggest_topics(training(), []) == []
    assert suggest_topics([], [{"title": "Anything", "text": ""}]) == [[]]


def test_a_story_with_no_known_words_still_gets_suggestions() -> None:
    ranked = suggest_topics(training(), [{"title": "", "text": ""}, {"title": "zzz qqq", "text": ""}])
    assert all(len(r) == 3 for r in ranked)


def test_suggester_ranks_its_local_stories() -> None:
    probes = [{"title": p["title"], "text": p["text"]} for p in DATA["probes"]]
    suggester = TopicSuggester(training(), probes)
    assert suggester.rank_local(1)[0] == "Cooking"
