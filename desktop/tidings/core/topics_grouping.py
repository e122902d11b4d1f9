"""Same-story grouping: one online pass over the stream of stories, so the app can group each story as it
arrives. Grouping only labels stories; it never hides or drops one.

Each story becomes a unit TF-IDF vector (headline words, character 4-grams of them, the first words of its
text and the words of its URL slug; document frequencies grow with the stream, nothing looks ahead). A story
joins the active group whose centroid is most similar, if that cosine, scaled down by the time since the
group's last story, reaches a threshold; otherwise it starts a group. Headlines of one event written by
different desks share few words, so one event often starts as two groups; when a group grows, it is merged
with a candidate group whose centroid has become similar enough. Candidate groups come from an inverted
index over the active groups only, which keeps a story well under a millisecond.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .topics_text import Vector, add_features, char_ngrams, dot, slug_words, sublinear, words

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class GroupingSettings:
    """Knobs of the grouper. Thresholds chosen by leave-one-day-out cross-validation on the development set."""

    threshold: float = 0.12  # decayed cosine to a group's centroid needed to join it
    merge_threshold: float = 0.22  # decayed cosine between two centroids needed to merge the groups
    merge_min_size: int = 3  # a group is checked for merging once it has this many stories
    merge_candidates: int = 4  # how many of the story's next-best groups are checked
    window_days: float = 3.0  # a group whose last story is older than this takes no more
    decay_days: float = 2.0  # similarity is scaled by exp(-age / decay_days)
    char_weight: float = 0.3  # weight of each character 4-gram against a whole word
    text_weight: float = 0.5  # weight of a word of the text against a word of the headline
    slug_weight: float = 0.5  # weight of a word of the URL slug
    lead_words: int = 40  # how many words of the text count (the lead says what happened)


@dataclass(slots=True)
class _Group:
    centroid: Vector = field(default_factory=dict)
    norm2: float = 0.0
    last: float = 0.0
    size: int = 0


class StoryGrouper:
    """Online same-story grouping. Feed stories in arrival order with `add`; read labels with `label`.

    A label is a group number. Later stories can merge two groups (so an earlier story's label may change
    to the merged group's), but never split one."""

    def __init__(self, settings: GroupingSettings | None = None) -> None:
        self.settings = settings or GroupingSettings()
        self._df: dict[str, int] = {}
        self._seen = 0
        self._groups: list[_Group] = []
        self._index: dict[str, set[int]] = {}
        self._parent: dict[int, int] = {}
        self._labels: list[int] = []
        self._now = 0.0

    def add(self, article: Mapping[str, Any]) -> int:
        """Group one story (keys title, text, date, url; all optional) and return its label."""
        when = self._when(article.get("date"))
        vector = self._vector(story_features(article, self.settings))
        sims = self._similarities(vector, when)
        best = max(sims, key=sims.__getitem__, default=-1)
        gid = best if best >= 0 and sims[best] >= self.settings.threshold else self._new_group(when)
        self._absorb(gid, vector, when)
        self._labels.append(gid)
        if self._groups[gid].size >= self.settings.merge_min_size:
            self._merge_similar(gid, sims, when)
        if len(self._labels) % 256 == 0:
            self._expire(when)
        return self.label(len(self._labels) - 1)

    def label(self, position: int) -> int:
        """The current label of the story added at that position."""
        return self._root(self._labels[position])

    def labels(self) -> list[int]:
        """Current labels of every story added so far, in order."""
        return [self._root(gid) for gid in self._labels]

    def _when(self, value: object) -> float:
        days = to_days(value)
        if days is not None:
            self._now = days
        return self._now

    def _vector(self, counts: Mapping[str, float]) -> Vector:
        self._seen += 1
        for term in counts:
            self._df[term] = self._df.get(term, 0) + 1
        n = self._seen
        weights = {t: sublinear(c) * (math.log((n + 1) / (self._df[t] + 1)) + 1.0) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def _similarities(self, vector: Vector, when: float) -> dict[int, float]:
        dots: dict[int, float] = {}
        groups = self._groups
        for term, weight in vector.items():
            for gid in self._index.get(term, ()):
                dots[gid] = dots.get(gid, 0.0) + groups[gid].centroid[term] * weight
        return {
            gid: d / math.sqrt(groups[gid].norm2) * decay
            for gid, d in dots.items()
            if (decay := self._decay(groups[gid], when)) > 0.0
        }

    def _decay(self, group: _Group, when: float) -> float:
        age = abs(when - group.last)
        if age > self.settings.window_days:
            return 0.0
        return math.exp(-age / self.settings.decay_days) if self.settings.decay_days > 0 else 1.0

    def _new_group(self, when: float) -> int:
        self._groups.append(_Group(last=when))
        return len(self._groups) - 1

    def _absorb(self, gid: int, vector: Vector, when: float) -> None:
        group = self._groups[gid]
        centroid = group.centroid
        group.norm2 += 2.0 * dot(vector, centroid) + sum(w * w for w in vector.values())
        for term, weight in vector.items():
            if term not in centroid:
                self._index.setdefault(term, set()).add(gid)
                centroid[term] = weight
            else:
                centroid[term] += weight
        group.last = max(group.last, when)
        group.size += 1

    def _merge_similar(self, gid: int, sims: Mapping[int, float], when: float) -> None:
        group = self._groups[gid]
        others = sorted((g for g in sims if g != gid and self._groups[g].size), key=sims.__getitem__)
        best, best_sim = -1, self.settings.merge_threshold
        for other in others[-self.settings.merge_candidates :]:
            candidate = self._groups[other]
            sim = dot(group.centroid, candidate.centroid) / math.sqrt(group.norm2 * candidate.norm2)
            sim *= self._decay(candidate, when)
            if sim >= best_sim:
                best, best_sim = other, sim
        if best >= 0:
            self._merge(gid, best)

    def _merge(self, a: int, b: int) -> None:
        keep, gone = (a, b) if self._groups[a].size >= self._groups[b].size else (b, a)
        kept, lost = self._groups[keep], self._groups[gone]
        kept.norm2 += lost.norm2 + 2.0 * dot(kept.centroid, lost.centroid)
        for term, weight in lost.centroid.items():
            postings = self._index[term]
            postings.discard(gone)
            if term in kept.centroid:
                kept.centroid[term] += weight
            else:
                postings.add(keep)
                kept.centroid[term] = weight
        kept.size += lost.size
        kept.last = max(kept.last, lost.last)
        self._groups[gone] = _Group()
        self._parent[gone] = keep

    def _expire(self, when: float) -> None:
        """Drop groups past the window from the index: they take no more stories, so they cost nothing."""
        for gid, group in enumerate(self._groups):
            if group.size and abs(when - group.last) > self.settings.window_days:
                for term in group.centroid:
                    self._index[term].discard(gid)
                group.centroid = {}

    def _root(self, gid: int) -> int:
        while gid in self._parent:
            gid = self._parent[gid]
        return gid


def story_features(article: Mapping[str, Any], settings: GroupingSettings) -> dict[str, float]:
    """Weighted feature counts of one story: headline words and their 4-grams, lead words, slug words."""
    counts: dict[str, float] = {}
    _add_words(counts, words(str(article.get("title") or "")), 1.0, settings)
    lead = words(str(article.get("text") or ""))[: settings.lead_words]
    _add_words(counts, lead, settings.text_weight, settings)
    _add_words(counts, slug_words(str(article.get("url") or "")), settings.slug_weight, settings)
    return counts


def _add_words(
    counts: dict[str, float], tokens: list[str], weight: float, settings: GroupingSettings
) -> None:
    add_features(counts, (f"w:{w}" for w in tokens), weight)
    grams = (f"c:{g}" for w in tokens for g in char_ngrams(w, (4,)))
    add_features(counts, grams, weight * settings.char_weight)


def to_days(value: object) -> float | None:
    """Days since the Unix epoch of an ISO date or datetime string, a datetime, a date or Unix seconds.

    Naive times count as UTC; anything unreadable gives None."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value) / SECONDS_PER_DAY
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        parsed = _parse_iso(value.strip())
        if parsed is None:
            return None
        moment = parsed
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() / SECONDS_PER_DAY


def _parse_iso(text: str) -> datetime | None:
    for candidate in (text.replace("Z", "+00:00"), text[:10]):
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    return None


def cluster_labels(
    articles: Iterable[Mapping[str, Any]], settings: GroupingSettings | None = None
) -> list[int]:
    """Group a stream of stories (in arrival order) in one pass; one label per story."""
    grouper = StoryGrouper(settings)
    for article in articles:
        grouper.add(article)
    return grouper.labels()
