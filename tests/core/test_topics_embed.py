"""The sentence model behind topic suggestions: it loads from the installed wheel (no download), its vectors
carry meaning words alone miss, it is cached, and without it suggestions fall back to words."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tidings.core import topics_embed
from tidings.core.topics import suggest_topics
from tidings.core.topics_suggest import SuggestSettings
from tidings.core.topics_suggest import suggest_topics as suggest_ranked

# Each topic's examples share no word with the probe filed under it below: only meaning connects them.
TOPICS = {
    "Football": [
        "Striker nets twice as the visitors win the derby",
        "Goalkeeper saves a late penalty to keep a clean sheet",
        "Midfielder signs a three-year deal with the champions",
        "Manager sacked after five straight league defeats",
    ],
    "Markets": [
        "Shares slide as investors fear a recession",
        "Central bank raises interest rates by a quarter point",
        "Bond yields climb after inflation surprises economists",
        "Oil prices jump on supply worries",
    ],
    "Cooking": [
        "A slow-roasted lamb shoulder for Sunday lunch",
        "Five ways with leftover rice",
        "How to bake a crusty sourdough loaf at home",
        "The secret to a silky custard",
    ],
}
PROBES = [
    ("Winger injured in cup semi-final", "Football"),
    ("Nasdaq tumbles as tech stocks fall", "Markets"),
    ("Currency traders sell the dollar", "Markets"),
    ("Whisking egg whites into meringue", "Cooking"),
]


def training() -> list[tuple[dict[str, str], str]]:
    return [({"title": title, "text": ""}, topic) for topic, titles in TOPICS.items() for title in titles]


@pytest.fixture
def fresh_state() -> Iterator[None]:
    """Forget the process's loaded model for the test, and give it back after."""
    saved = dict(topics_embed._state)
    topics_embed._state.clear()
    yield
    topics_embed._state.clear()
    topics_embed._state.update(saved)


def test_the_model_loads_from_the_wheel_and_gives_unit_vectors() -> None:
    model = topics_embed.embedder()
    assert model is not None, topics_embed.unavailable_reason()
    vectors = model.embed(["A headline", "Another one", ""])
    assert vectors.shape == (3, topics_embed.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert not vectors[2].any()  # an empty text is a zero row, never an error


def test_vectors_carry_meaning_that_words_miss() -> None:
    model = topics_embed.embedder()
    assert model is not None
    goal, rates, probe = model.embed(
        [
            "Striker nets twice in the derby",
            "Central bank raises interest rates",
            "Winger injured in cup final",
        ]
    )
    assert float(probe @ goal) > float(probe @ rates) + 0.1


def test_vectors_are_cached_by_text(monkeypatch: pytest.MonkeyPatch) -> None:
    model = topics_embed.embedder()
    assert model is not None
    first = model.embed(["A story embedded once for the cache test"])
    calls: list[list[str]] = []
    original = model._run
    monkeypatch.setattr(model, "_run", lambda texts: calls.append(texts) or original(texts))
    again = model.embed(["A story embedded once for the cache test", "A new one for the cache test"])
    assert calls == [["A new one for the cache test"]]
    assert np.array_equal(again[0], first[0])


def test_suggestions_use_meaning_when_words_are_not_shared() -> None:
    probes = [{"title": title, "text": ""} for title, _ in PROBES]
    ranked = suggest_topics(training(), probes)
    assert [r[0] for r in ranked] == [topic for _, topic in PROBES]
    # the probes do need meaning: words alone place some of them wrong
    by_words = suggest_ranked(training(), probes, SuggestSettings(sentences=False))
    assert [r[0] for r in by_words] != [topic for _, topic in PROBES]


def test_the_topic_name_helps_place_a_story() -> None:
    """Two topics with the same examples: only their names can tell a story about rain from one about cars."""
    same = ["An update from this morning", "Another short note", "What happened today"]
    train = [({"title": t, "text": ""}, name) for name in ("Weather", "Motoring") for t in same]
    ranked = suggest_topics(train, [{"title": "Heavy rain and thunderstorms expected tonight", "text": ""}])
    assert ranked[0][0] == "Weather"


def test_without_the_model_suggestions_come_from_words(
    monkeypatch: pytest.MonkeyPatch, fresh_state: None
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise ImportError("No module named 'onnxruntime'")

    monkeypatch.setattr(topics_embed, "Embedder", refuse)
    assert topics_embed.embedder() is None
    assert "onnxruntime" in (topics_embed.unavailable_reason() or "")
    probes = [{"title": "Goalkeeper saves a penalty in the derby", "text": ""}]
    ranked = suggest_topics(training(), probes)
    assert ranked == suggest_ranked(training(), probes, SuggestSettings(sentences=False))
    assert ranked[0][0] == "Football"


def test_a_damaged_model_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_state: None
) -> None:
    damaged = tmp_path / "model.onnx"
    damaged.write_bytes(b"\x08\x07not a model at all")
    monkeypatch.setattr(topics_embed, "model_path", lambda: damaged)
    assert topics_embed.embedder() is None
    assert "not the one Tidings was built with" in (topics_embed.unavailable_reason() or "")


def test_the_model_closes_when_idle_and_opens_again_when_needed() -> None:
    model = topics_embed.Embedder(idle_seconds=0.05)
    first = model.embed(["A story to embed before the model closes"])
    deadline = time.monotonic() + 10
    while model.is_open and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not model.is_open
    cached = model.embed(["A story to embed before the model closes"])  # from the cache: stays closed
    assert not model.is_open and np.array_equal(cached, first)
    again = model.embed(["A story to embed after the model closed"])
    assert again.shape == (1, topics_embed.DIMENSIONS) and np.linalg.norm(again[0]) > 0.99
    model.close()
    assert not model.is_open


def test_the_library_suggests_the_likeliest_topic_and_only_others_that_stand_out(library: Any) -> None:
    from tests.ui.stock import add_feed, add_story

    feed = add_feed(library, "https://one.example/feed", "One")
    collection = library.collection
    n = 0
    for topic, titles in TOPICS.items():
        topic_id = collection.create_topic(topic)
        ids = []
        for title in titles:
            n += 1
            ids.append(add_story(library, feed, n, title=title, content=f"<p>{title}.</p>"))
        collection.add_to_topic(topic_id, ids)
    probe = add_story(
        library, feed, 99, title="Nasdaq tumbles as tech stocks fall", content="<p>Wall Street.</p>"
    )
    assert collection.suggest(probe) == ["Markets"]  # the others do not stand out: not offered
    collection.add_to_topic(collection.find_topic("Markets"), [probe])
    assert "Markets" not in collection.suggest(probe)  # never a topic it is in already
