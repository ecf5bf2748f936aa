"""Split texts longer than a model's window into overlapping token windows.

Nothing is truncated: every token of a text falls in at least one window, and the
windows are cut back to character spans of the original text.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.embed.registry import EmbedError

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    """One window of a text: its characters and how many tokens it holds."""

    text: str
    n_tokens: int
    start: int  # character offsets in the source text
    end: int


def token_windows(n_tokens: int, window: int, overlap: int) -> list[tuple[int, int]]:
    """Half-open token ranges covering ``range(n_tokens)``; consecutive ones share ``overlap``.

    >>> token_windows(10, 4, 1)
    [(0, 4), (3, 7), (6, 10)]
    """
    if window < 1:
        raise EmbedError(f"chunk window must be at least 1 token, got {window}", "set embed.chunk_tokens to 0 (the model's window) or more")
    if not 0 <= overlap < window:
        raise EmbedError(f"chunk overlap must be >= 0 and smaller than the window ({window}), got {overlap}",
                         "lower embed.chunk_overlap")
    if n_tokens <= window:
        return [(0, n_tokens)]
    step = window - overlap
    out = []
    start = 0
    while True:
        end = min(start + window, n_tokens)
        out.append((start, end))
        if end >= n_tokens:
            return out
        start += step


def token_offsets(text: str, tokenizer: Any) -> list[tuple[int, int]]:
    """Character span of every (non-special) token of ``text``.

    Uses the fast tokenizer's offset mapping; a slow tokenizer falls back to
    whitespace words, each repeated for as many sub-word tokens as it makes.
    """
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False,
                        verbose=False)
        return [(int(a), int(b)) for a, b in enc["offset_mapping"]]
    spans: list[tuple[int, int]] = []
    for m in _WORD.finditer(text):
        spans.extend([(m.start(), m.end())] * max(1, len(tokenizer.tokenize(m.group()))))
    return spans


def chunk_text(text: str, tokenizer: Any, window: int, overlap: int) -> list[Chunk]:
    """The text as one chunk when it fits in ``window`` tokens, else overlapping windows."""
    offsets = token_offsets(text, tokenizer)
    if len(offsets) <= window:
        return [Chunk(text, len(offsets), 0, len(text))]
    chunks = []
    for a, b in token_windows(len(offsets), window, overlap):
        start, end = offsets[a][0], offsets[b - 1][1]
        chunks.append(Chunk(text[start:end], b - a, start, end))
    return chunks


def chunk_texts(texts: Sequence[str], tokenizer: Any, window: int, overlap: int) -> list[list[Chunk]]:
    """:func:`chunk_text` of each text. A fast tokenizer counts the tokens of all of them
    in one call (a call per text costs more than the counting, on hundreds of thousands
    of sentences); only the texts longer than ``window`` are then cut into windows."""
    return [chunks for chunks, _ in tokenized_chunks(texts, tokenizer, window, overlap)]


def tokenized_chunks(texts: Sequence[str], tokenizer: Any, window: int,
                     overlap: int) -> list[tuple[list[Chunk], list[int] | None]]:
    """:func:`chunk_texts`, each text's chunks with the token ids (no special tokens) that
    counted them when the text is one chunk: a text is tokenised once, for its count and
    its encoding (:func:`pipeline.embed.encode.embed_units`). ``None`` for a text cut into
    windows, and for every text with a slow tokenizer."""
    texts = list(texts)
    if not getattr(tokenizer, "is_fast", False) or not texts:
        return [(chunk_text(t, tokenizer, window, overlap), None) for t in texts]
    ids = token_ids(tokenizer, texts)
    return [([Chunk(t, len(n), 0, len(t))], n) if len(n) <= window
            else (chunk_text(t, tokenizer, window, overlap), None) for t, n in zip(texts, ids)]


def token_ids(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """The token ids of each text, without special tokens and nothing cut: what
    ``tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]`` gives.

    A fast tokenizer is asked through its backend (the ``tokenizers`` library) when that
    gives the same ids as the tokenizer itself on :data:`pipeline.embed.features.PROBES`
    (checked once per tokenizer): the wrapper turns each text's encoding into a dict of
    lists, which cost more than the tokenising (0.48 s against 0.22 for 11,675 sentences).
    Truncation or padding left on the backend (by the model's files, or by
    sentence-transformers' own calls) is cleared first, as the tokenizer's own call with
    these arguments clears it. Any other tokenizer is called itself.
    """
    texts = list(texts)
    if not texts:
        return []
    backend = _checked_backend(tokenizer)
    if backend is None:
        return tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
    _clear_state(backend)
    return [e.ids for e in backend.encode_batch(texts, add_special_tokens=False)]


def _clear_state(backend: Any) -> None:
    if backend.truncation is not None:
        backend.no_truncation()
    if backend.padding is not None:
        backend.no_padding()


_BACKENDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _checked_backend(tokenizer: Any) -> Any:
    """``tokenizer``'s backend if it gives the tokenizer's own ids on the probes, else None."""
    try:
        return _BACKENDS[tokenizer]
    except KeyError:
        pass
    except TypeError:  # not weak-referenceable
        return None
    _BACKENDS[tokenizer] = backend = _same_ids_backend(tokenizer)
    return backend


def _same_ids_backend(tokenizer: Any) -> Any:
    from pipeline.embed.features import PROBES

    backend = getattr(tokenizer, "backend_tokenizer", None) if getattr(tokenizer, "is_fast", False) else None
    if backend is None or not callable(getattr(backend, "encode_batch", None)):
        return None
    probes = [t for batch in PROBES for t in batch]
    try:
        theirs = tokenizer(probes, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        _clear_state(backend)
        ours = [e.ids for e in backend.encode_batch(probes, add_special_tokens=False)]
    except Exception:  # noqa: BLE001  (any failure: ask the tokenizer itself)
        return None
    return backend if [list(x) for x in theirs] == [list(x) for x in ours] else None


def chunking_key(chunk_tokens: int, chunk_overlap: int, unit: str) -> str:
    """How texts are cut before encoding, as stored with each vector: by sentences (the
    unit ``"sentences"``) or whole (``"text"``: the key of every vector stored before units
    existed), and long pieces into windows.

    >>> chunking_key(0, 32, "text"), chunking_key(0, 32, "sentences")
    ('tokens=model,overlap=32', 'sentences,tokens=model,overlap=32')
    """
    prefix = "" if unit == "text" else f"{unit},"
    return f"{prefix}tokens={chunk_tokens or 'model'},overlap={chunk_overlap}"
