"""Topic suggestions learnt from the stories a user has filed: nearest topic centroid over TF-IDF of words and
character n-grams, with each story smoothed towards its nearest neighbours among all local stories, fused
with a sentence model's scores (topics_dense, topics_embed) when that model is there.

A headline and a one-line summary share few words with the twenty stories a topic may have, so a story is
compared as itself plus the mean of its most similar local stories (filed or not): neighbours bring in the
words its own text lacks. Document frequencies come from the same local stories. No labels are guessed for
unfiled stories; they only lend their words. The word half is pure Python, a few milliseconds a story.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .topics_dense import fuse, meaning_scores, standard
from .topics_embed import Embedder
from .topics_text import Vector, char_ngrams, dot, normalize, sublinear, words

_Article = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SuggestSettings:
    """Knobs of the suggester, picked on the development set's few-shot splits (flat around these)."""

    neighbours: int = 10  # local stories that smooth each story
    smoothing: float = 1.0  # weight of the neighbours' mean against the story itself
    char_sizes: tuple[int, ...] = (4,)  # character n-gram sizes (3 to 5 scored the same, slower)
    limit: int = 3  # topics returned per story
    sentences: bool = True  # fuse in the sentence model's scores (topics_dense) when it loads
    word_weight: float = 0.4  # weight of the words' scores against the sentence model's (0.3-0.5 alike)
    ridge: float = 1.0  # regularisation of the sentence model's per-topic regression (1-3 alike)
    name_weight: float = 0.3  # weight of a story's closeness to the topic's name (0.2-0.3 alike)


class _Corpus:
    """TF-IDF vectors of every local story: a word+character vector and a word-only one for neighbours."""

    def __init__(self, articles: Sequence[_Article], settings: SuggestSettings) -> None:
        tokens = [words(f"{a.get('title') or ''} {a.get('text') or ''}") for a in articles]
        word_counts = [_counts(f"w:{w}" for w in ws) for ws in tokens]
        char_counts = [
            _counts(f"c:{g}" for w in ws for g in char_ngrams(w, settings.char_sizes)) for ws in tokens
        ]
        df = _document_frequencies(word_counts + char_counts)
        n = len(articles)
        self.words = [_tfidf(c, df, n) for c in word_counts]
        chars = [_tfidf(c, df, n) for c in char_counts]
        self.vectors = [_join(w, c) for w, c in zip(self.words, chars, strict=True)]
        self._index = _inverted_index(self.words)

    def neighbours(self, i: int, k: int) -> list[tuple[int, float]]:
        """The k stories most similar to story i by words (cosine), best first."""
        sims: dict[int, float] = {}
        for term, weight in self.words[i].items():
            for j, w in self._index[term]:
                if j != i:
                    sims[j] = sims.get(j, 0.0) + w * weight
        return heapq.nlargest(k, sims.items(), key=lambda item: item[1])


class TopicSuggester:
    """Suggests topics for stories, from labelled examples and the unlabelled local stories around them."""

    def __init__(
        self,
        examples: Sequence[tuple[_Article, str]],
        others: Sequence[_Article] = (),
        settings: SuggestSettings | None = None,
    ) -> None:
        self.settings = settings or SuggestSettings()
        self._n_examples = len(examples)
        self._corpus = _Corpus([a for a, _ in examples] + list(others), self.settings)
        self._cache: dict[int, dict[str, float]] = {}
        smoothed = [self._smoothed(i) for i in range(self._n_examples)]
        self._centroids = _centroids(smoothed, [topic for _, topic in examples])

    @property
    def topics(self) -> list[str]:
        return sorted(self._centroids)

    def rank_local(self, position: int) -> list[str]:
        """Ranked topics for the `position`-th unlabelled story given at construction."""
        return _top(self.scores_local(position), self.settings.limit)

    def scores_local(self, position: int) -> dict[str, float]:
        """Every topic's score (cosine, smoothed by neighbours) for the `position`-th unlabelled story."""
        i = self._n_examples + position
        scores = self._scores(i)
        near = self._corpus.neighbours(i, self.settings.neighbours)
        total = sum(w for _, w in near)
        for j, w in near:
            # Linear: the neighbours' mean scored against a centroid equals the mean of their scores.
            share = self.settings.smoothing * w / total
            for topic, s in self._scores(j).items():
                scores[topic] += share * s
        return scores

    def _smoothed(self, i: int) -> Vector:
        own = self._corpus.vectors[i]
        near = self._corpus.neighbours(i, self.settings.neighbours)
        total = sum(w for _, w in near)
        if total <= 0.0:
            return own
        mixed = dict(own)
        for j, w in near:
            share = self.settings.smoothing * w / total
            for term, x in self._corpus.vectors[j].items():
                mixed[term] = mixed.get(term, 0.0) + share * x
        return normalize(mixed)

    def _scores(self, i: int) -> dict[str, float]:
        """Cosine of story i (unsmoothed) with every topic centroid, cached."""
        if i not in self._cache:
            vector = self._corpus.vectors[i]
            self._cache[i] = {topic: dot(vector, centroid) for topic, centroid in self._centroids.items()}
        return dict(self._cache[i])


def suggest_topics(
    train: Sequence[tuple[_Article, str]], test: Sequence[_Article], settings: SuggestSettings | None = None
) -> list[list[str]]:
    """Ranked topics (best first, at most `settings.limit`) for each test story, learnt from (story, topic)
    pairs. The test stories also serve, unlabelled, as local context. The words' scores are fused with the
    sentence model's when it loads (`topics_embed`); without it, words alone decide."""
    settings = settings or SuggestSettings()
    return [_top(scores, settings.limit) for scores in topic_scores(train, test, settings)]


def topic_scores(
    train: Sequence[tuple[_Article, str]], test: Sequence[_Article], settings: SuggestSettings | None = None
) -> list[dict[str, float]]:
    """Every known topic's score for each test story: standard scores (how many spreads above the mean of
    all the scores computed together), so that 0 is an ordinary topic for a story and 1 a clearly likely one."""
    if not test:
        return []
    if not train:
        return [{} for _ in test]
    settings = settings or SuggestSettings()
    suggester = TopicSuggester(train, test, settings)
    topics = suggester.topics
    rows = [[row[t] for t in topics] for row in map(suggester.scores_local, range(len(test)))]
    by_words = np.array(rows, dtype=np.float64)
    model = _sentence_model() if settings.sentences else None
    if model is None:
        fused = standard(by_words)
    else:
        by_meaning = meaning_scores(
            model, train, test, topics,
            neighbours=settings.neighbours, smoothing=settings.smoothing, ridge=settings.ridge,
            name_weight=settings.name_weight,
        )  # fmt: skip
        fused = standard(fuse(by_meaning, by_words, settings.word_weight))
    return [dict(zip(topics, map(float, row), strict=True)) for row in fused]


def _sentence_model() -> Embedder | None:
    from .topics_embed import embedder

    return embedder()


def _counts(features: Any) -> dict[str, float]:
    counts: dict[str, float] = {}
    for feature in features:
        counts[feature] = counts.get(feature, 0.0) + 1.0
    return counts


def _document_frequencies(counts: Sequence[Mapping[str, float]]) -> dict[str, int]:
    df: dict[str, int] = {}
    for c in counts:
        for term in c:
            df[term] = df.get(term, 0) + 1
    return df


def _tfidf(counts: Mapping[str, float], df: Mapping[str, int], n: int) -> Vector:
    return normalize({t: sublinear(c) * (math.log((n + 1) / (df[t] + 1)) + 1.0) for t, c in counts.items()})


def _join(a: Vector, b: Vector) -> Vector:
    """Two unit vectors over disjoint features, as one unit vector giving each half the weight."""
    scale = 1.0 / math.sqrt(2.0) if a and b else 1.0
    return {t: x * scale for part in (a, b) for t, x in part.items()}


def _inverted_index(vectors: Sequence[Vector]) -> dict[str, list[tuple[int, float]]]:
    index: dict[str, list[tuple[int, float]]] = {}
    for i, vector in enumerate(vectors):
        for term, weight in vector.items():
            index.setdefault(term, []).append((i, weight))
    return index


def _centroids(vectors: Sequence[Vector], topics: Sequence[str]) -> dict[str, Vector]:
    sums: dict[str, dict[str, float]] = {}
    for vector, topic in zip(vectors, topics, strict=True):
        total = sums.setdefault(topic, {})
        for term, x in vector.items():
            total[term] = total.get(term, 0.0) + x
    return {topic: normalize(total) for topic, total in sums.items()}


def _top(scores: Mapping[str, float], limit: int) -> list[str]:
    return [t for t, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]]
