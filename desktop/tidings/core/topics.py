"""Topics: same-story grouping across feeds and topic suggestions learnt from the user's own filing.

Two pure functions make the contract the app and the benchmarks use; the classes behind them
(`StoryGrouper`, `TopicSuggester`) serve the incremental use in the app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .topics_grouping import GroupingSettings, StoryGrouper, cluster_labels

if TYPE_CHECKING:  # at run time these come from __getattr__, on first use
    from .topics_suggest import SuggestSettings, TopicSuggester

__all__ = [
    "GroupingSettings",
    "StoryGrouper",
    "SuggestSettings",
    "TopicSuggester",
    "cluster_stream",
    "suggest_topics",
]


def cluster_stream(articles: Sequence[Mapping[str, Any]]) -> list[int]:
    """Group stories about the same event. `articles` come in stream (date) order with keys id, title,
    text, date, source (and optionally url); returns one group label per article, in the same order."""
    return cluster_labels(articles)


def suggest_topics(
    train: Sequence[tuple[Mapping[str, Any], str]], test: Sequence[Mapping[str, Any]]
) -> list[list[str]]:
    """Ranked topics (best first, up to three) for each test story, learnt from (story, topic) pairs the user
    filed. Stories have keys title and text; the test stories also serve, unlabelled, as local context."""
    from .topics_suggest import suggest_topics as suggest_ranked  # numpy and the sentence model: on demand

    return suggest_ranked(train, test)


def __getattr__(name: str) -> Any:
    """The suggester's classes, imported when first asked for: grouping, run after every refresh, needs
    neither numpy nor the sentence model."""
    if name in ("SuggestSettings", "TopicSuggester"):
        from . import topics_suggest

        return getattr(topics_suggest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
