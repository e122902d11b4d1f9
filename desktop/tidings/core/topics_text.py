"""Text features shared by story grouping and topic suggestions: words, character n-grams, URL slugs and
sparse TF-IDF vectors. Pure Python; a vector is a plain ``dict`` from feature to weight."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

Vector = dict[str, float]

# Words keep inner apostrophes, dots, ampersands and hyphens: "T-Mobile", "J.C.", "S&P" stay one token.
_WORD = re.compile(r"[^\W_]+(?:['’.&-][^\W_]+)*")
_SLUG_SPLIT = re.compile(r"[-_+.,;]+")

_STOPWORDS_TEXT = """a an the and or but if of to in on at by for with from as is are was were be been being it its
    this that these those he she they we you i his her their our your my me him them us not no nor so than too very
    can will just do does did done has have had having would should could may might must shall about above
    after again against all any both each few more most other some such only own same into over under up down
    out off then once here there when where why how what which who whom whose says said say new update updates
    video photos watch report reports via amp quot vs get gets got"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

# Path words that say where a page lives, not what it is about.
_URL_WORDS_TEXT = """www com html htm php asp aspx shtml story stories article articles news post posts index default
    cms tabid articleid id blog blogs entry category content view item page utm source medium rss feed mainrss
    link read more"""
_URL_WORDS = frozenset(_URL_WORDS_TEXT.split())


def fold(word: str) -> str:
    """Lower-case a word and fold possessives and regular plurals, so "eBay's" meets "ebay"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """The content words of a text, folded, in order (stop words and single letters dropped)."""
    out = []
    for raw in _WORD.findall(text):
        w = fold(raw)
        if len(w) > 1 and w not in STOPWORDS:
            out.append(w)
    return out


def char_ngrams(word: str, sizes: Iterable[int]) -> list[str]:
    """Character n-grams of one word with boundary marks: they match "chromecasts" to "chromecast"."""
    padded = f"<{word}>"
    return [padded[i : i + n] for n in sizes for i in range(len(padded) - n + 1)]


def slug_words(url: str) -> list[str]:
    """The words of a URL's slug (its longest path segment of three or more words), or none.

    A publisher's slug often says in full what a cut headline ("... ") leaves out."""
    try:
        path = unquote(urlsplit(url or "").path)
    except ValueError:
        return []
    best: list[str] = []
    for segment in path.split("/"):
        parts = [p for p in _SLUG_SPLIT.split(segment) if p.isalpha()]
        if len(parts) >= 3 and len(parts) > len(best):
            best = parts
    return [w for w in words(" ".join(best)) if w not in _URL_WORDS]


def sublinear(count: float) -> float:
    """1 + log(tf) for whole counts; fractional weights (down-weighted features) stay as they are."""
    return 1.0 + math.log(count) if count >= 1.0 else count


def idf(df: int, n: int) -> float:
    """Smoothed inverse document frequency, never below 1."""
    return math.log((n + 1) / (df + 1)) + 1.0


def normalize(vector: Mapping[str, float]) -> Vector:
    """Scale to unit length (an empty or zero vector stays as it is)."""
    norm = math.sqrt(sum(x * x for x in vector.values()))
    if norm == 0.0:
        return dict(vector)
    return {t: x / norm for t, x in vector.items()}


def tfidf(counts: Mapping[str, float], df: Mapping[str, int], n: int) -> Vector:
    """Unit-length TF-IDF vector of raw feature counts, with sublinear tf."""
    return normalize({t: sublinear(c) * idf(df.get(t, 0), n) for t, c in counts.items()})


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Sparse dot product (iterates over the smaller vector)."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def add_features(counts: dict[str, float], features: Iterable[str], weight: float) -> None:
    """Count each feature with a weight."""
    for feature in features:
        counts[feature] = counts.get(feature, 0.0) + weight
