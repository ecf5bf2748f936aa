"""Sentence embeddings of whole texts: long texts are chunked and pooled, never truncated."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.config import ConfigError
from pipeline.embed.chunking import token_ids, tokenized_chunks
from pipeline.embed.features import encode_ids, feature_template, precision_context
from pipeline.embed.registry import RUN_PRECISIONS, EmbedError, load_model, resolve_device, resolve_precision
from pipeline.sentences import sentence_spans

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Embedded:
    """Vectors of some texts (row i is text i) and how many chunks each needed."""

    vectors: np.ndarray  # float32, (n, dim), rows L2-normalised
    n_chunks: list[int]
    model_id: str
    device: str
    sentences: tuple[str, ...] = ()  # unit "sentences": each distinct sentence, once
    sentence_vectors: np.ndarray | None = None  # row j: sentences[j]


def content_hash(text: str) -> str:
    """sha256 (hex) of the exact UTF-8 text: the key an embedding is stored under."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def model_window(model: Any) -> int:
    """Tokens of text that fit in one pass of ``model`` (its max length less special tokens)."""
    special = model.tokenizer.num_special_tokens_to_add(pair=False)
    return int(model.max_seq_length) - int(special)


def embedding_dim(model: Any) -> int:
    """The size of ``model``'s sentence vectors."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter() or 0)


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def pool_chunks(chunk_vectors: np.ndarray, weights: Sequence[int], owners: Sequence[int], n_texts: int) -> np.ndarray:
    """Mean of each text's (normalised) chunk vectors weighted by their token counts, re-normalised.

    Each text's weighted vectors are summed in float64 in the order its chunks are given
    (so the bits do not depend on how many chunks other texts have), one rank at a time:
    every text's first chunk, then every second one, ... (``np.add.at`` summed in the same
    order, at about twice the time). A text without chunks is a zero vector."""
    vecs = _normalise(np.asarray(chunk_vectors, dtype=np.float32))
    w = np.maximum(np.asarray(weights, dtype=np.float64), 1.0)
    own = np.asarray(owners, dtype=np.intp)
    out = np.zeros((n_texts, vecs.shape[1]), dtype=np.float64)
    if len(own):
        order = np.argsort(own, kind="stable")  # each text's chunks together, in their order
        grouped = own[order]
        first = np.r_[True, grouped[1:] != grouped[:-1]]
        rank = np.arange(len(grouped)) - np.flatnonzero(first)[np.cumsum(first) - 1]
        by_rank = order[np.argsort(rank, kind="stable")]
        at = 0
        for count in np.bincount(rank):  # within one rank each text appears once
            rows = by_rank[at:at + count]
            at += count
            out[own[rows]] += vecs[rows] * w[rows, None]
    return _normalise(out)


def embed_with(model: Any, texts: Sequence[str], batch_size: int = 32, chunk_tokens: int = 0,
               chunk_overlap: int = 32, progress: Progress | None = None,
               batch_tokens: int = 0) -> tuple[np.ndarray, list[int]]:
    """Embed ``texts`` whole with an already loaded sentence-transformers ``model``
    (``embed.unit = "text"``): see :func:`embed_units`. Returns (vectors, chunks per text)."""
    res = embed_units(model, texts, "text", batch_size, chunk_tokens, chunk_overlap, progress, batch_tokens)
    return res.vectors, res.n_chunks


@dataclass(frozen=True)
class UnitVectors:
    """What :func:`embed_units` encoded: row i of ``vectors`` is text i; ``n_chunks[i]``
    how many pieces text i was encoded as; ``sentences`` and ``sentence_vectors`` (row j is
    sentence j, each distinct sentence once) the sentences' own vectors when the unit is
    ``"sentences"``, else empty."""

    vectors: np.ndarray
    n_chunks: list[int]
    sentences: list[str]
    sentence_vectors: np.ndarray


UNITS = ("sentences", "text")
"""What the embed stage encodes: each sentence (``pipeline.sentences``), pooled into the
text's vector, or each text whole (in windows when long)."""


def check_unit(unit: str) -> str:
    """``unit`` if it is one of :data:`UNITS`, else a ConfigError."""
    if unit not in UNITS:
        raise ConfigError(f"embed.unit must be one of {', '.join(UNITS)}, got {unit!r}")
    return unit


def text_units(text: str, unit: str) -> list[str]:
    """The pieces of ``text`` that are encoded on their own before pooling: its sentences
    (a text without any non-blank character is its own one piece), or the text whole."""
    if unit == "sentences":
        spans = sentence_spans(text)
        if spans:
            return [text[a:b] for a, b in spans]
    return [text]


def embed_units(model: Any, texts: Sequence[str], unit: str, batch_size: int = 32, chunk_tokens: int = 0,
                chunk_overlap: int = 32, progress: Progress | None = None,
                batch_tokens: int = 0, known: Mapping[str, np.ndarray] | None = None,
                precision: str = "float32") -> UnitVectors:
    """Embed ``texts`` with an already loaded sentence-transformers ``model``.

    Each text is cut into units (``unit``: see :func:`text_units`); each distinct unit is
    encoded once, in windows when it is longer than the model's window (nothing is
    truncated), and its windows' vectors pooled (weighted by tokens); a text's vector is
    the mean of its units' vectors weighted by their tokens, re-normalised.

    ``chunk_tokens`` = 0 uses the model's window; the overlap is capped at half the
    window. Pieces go through the model longest first, in batches of **one token length**
    (:func:`token_batches`): nothing is padded, and in float32 a piece's vector is the
    same bits whatever else is encoded beside it (``docs/scaling.md``). ``batch_tokens``
    > 0 sizes each batch by tokens instead of a fixed count: as many pieces as fit in
    ``batch_tokens`` tokens, and never fewer than ``batch_size`` (short sentences go in
    batches of hundreds, where a fixed 32 spends most of the pass on per-batch overhead);
    ``batch_tokens`` = 0: ``batch_size`` pieces a batch.

    ``known`` (unit text -> its vector, as an earlier call gave it: a stored sentence
    vector) gives units that are not encoded again: they are only tokenised, for their
    weight in their texts' vectors.

    ``precision``: ``"bfloat16"`` runs the forward passes in PyTorch's CPU autocast, on
    one thread (:func:`pipeline.embed.features.precision_context`); anything else as the
    model is.
    """
    check_unit(unit)
    known = known or {}
    texts = list(texts)
    window = model_window(model)
    if chunk_tokens:
        if chunk_tokens > window:
            raise ConfigError(f"embed.chunk_tokens={chunk_tokens} exceeds the model's window of {window} tokens")
        window = chunk_tokens
    dim = embedding_dim(model)
    if not texts:
        return UnitVectors(np.zeros((0, dim), dtype=np.float32), [], [], np.zeros((0, dim), dtype=np.float32))
    unit_of: dict[str, int] = {}      # distinct unit text -> its row
    text_units_: list[list[int]] = []  # per text, its units' rows
    for text in texts:
        rows = []
        for piece in text_units(text, unit):
            rows.append(unit_of.setdefault(piece, len(unit_of)))
        text_units_.append(rows)
    pieces: list[str] = []
    piece_ids: list[list[int] | None] = []  # the ids that counted a piece (one tokenisation)
    weights: list[int] = []
    owners: list[int] = []
    unit_chunks: list[int] = []
    unit_tokens = np.zeros(len(unit_of), dtype=np.float64)
    for u, (piece, (chunks, ids)) in enumerate(zip(unit_of, tokenized_chunks(
            list(unit_of), model.tokenizer, window, min(chunk_overlap, window // 2)))):
        unit_chunks.append(len(chunks))
        unit_tokens[u] = sum(c.n_tokens for c in chunks)
        if piece in known:
            continue
        for c in chunks:
            pieces.append(c.text)
            piece_ids.append(ids)
            weights.append(c.n_tokens)
            owners.append(u)
    # The counted ids go to the model as they are when it takes them that way (features.py);
    # the windows of a long piece are tokenised here (their edges may split words).
    template = feature_template(model) if pieces and batch_tokens > 0 else None
    if template is not None:
        cut = [i for i, ids in enumerate(piece_ids) if ids is None]
        if cut:
            for i, ids in zip(cut, token_ids(model.tokenizer, [pieces[i] for i in cut])):
                piece_ids[i] = ids
    # Longest first over the whole run, in batches of one token length (sentence-transformers
    # sorts only within one encode call and pads each batch to its longest piece, and a
    # piece's vector then depends on its neighbours' lengths). Vectors are put back in input
    # order before pooling.
    order = length_order(weights)
    vectors = []
    special = model.tokenizer.num_special_tokens_to_add(pair=False)
    bounds = token_batches([weights[i] + special for i in order], batch_tokens, batch_size)
    with precision_context(precision):
        for start, end in bounds:
            if progress:
                progress("embed", start, len(pieces))
            if template is not None:
                vectors.append(encode_ids(model, template, [piece_ids[i] for i in order[start:end]]))
                continue
            window_ = [pieces[i] for i in order[start:end]]
            vectors.append(np.asarray(model.encode(window_, batch_size=len(window_),
                                                   convert_to_numpy=True, show_progress_bar=False),
                                      dtype=np.float32))
    if progress:
        progress("embed", len(pieces), len(pieces))
    stacked = np.vstack(vectors) if vectors else np.zeros((0, dim), dtype=np.float32)
    unsorted = np.empty_like(stacked)
    unsorted[order] = stacked
    unit_vectors = pool_chunks(unsorted, weights, owners, len(unit_of))
    for u, piece in enumerate(unit_of):
        if piece in known:
            unit_vectors[u] = np.asarray(known[piece], dtype=np.float32)
    text_owner = [t for t, rows in enumerate(text_units_) for _ in rows]
    text_rows = [r for rows in text_units_ for r in rows]
    doc_vectors = pool_chunks(unit_vectors[text_rows], unit_tokens[text_rows], text_owner, len(texts))
    # A text of one unit IS that unit (a one-sentence comment, a theme's example): it gets
    # the unit's vector, the same bits, not a re-normalised copy that can differ in the last
    # bit. Both are stored under the one content hash (as a text and as a sentence), so any
    # reader finds one vector for it, whichever table or cache it reads first.
    single = [t for t, rows in enumerate(text_units_) if len(rows) == 1]
    if single:
        doc_vectors[single] = unit_vectors[[text_units_[t][0] for t in single]]
    n_chunks = [int(sum(unit_chunks[r] for r in rows)) for rows in text_units_]
    if unit == "sentences":  # the sentences (a blank text is its own piece, not a sentence)
        keep = [i for i, u in enumerate(unit_of) if u.strip()]
        return UnitVectors(doc_vectors, n_chunks, [u for u in unit_of if u.strip()], unit_vectors[keep])
    return UnitVectors(doc_vectors, n_chunks, [], np.zeros((0, dim), dtype=np.float32))


def token_batches(lengths: Sequence[int], batch_tokens: int, min_size: int) -> list[tuple[int, int]]:
    """Consecutive ``(start, end)`` ranges over pieces sorted longest first (``lengths``:
    each piece's tokens, its special tokens included), each holding pieces of **one**
    length only: as many as fit in ``batch_tokens`` tokens, and at least
    ``min_size`` (or what is left of that length); ``batch_tokens`` <= 0: ``min_size``.

    A batch of one length has no padding, so a piece's vector does not depend on which
    other pieces it is encoded beside: in float32 the same bits alone and in any batch
    (measured on all-MiniLM-L6-v2 with MKL's strict mode; ``docs/scaling.md``), where
    batches of like lengths padded to their longest gave 73 of the 3,373 sentences of 400
    generated texts other bits. In bfloat16 a vector still depends on its batch's row
    count. It also encodes no padding tokens."""
    n_tokens = np.asarray(lengths, dtype=np.int64)
    out: list[tuple[int, int]] = []
    if not len(n_tokens):
        return out
    edges = np.flatnonzero(n_tokens[1:] != n_tokens[:-1]) + 1
    for a, b in zip(np.r_[0, edges].tolist(), np.r_[edges, len(n_tokens)].tolist()):
        size = max(1, int(min_size))
        if batch_tokens > 0:
            size = max(size, int(batch_tokens) // max(1, int(n_tokens[a])))
        out.extend((s, min(b, s + size)) for s in range(a, b, size))
    return out


def length_order(n_tokens: Sequence[int]) -> np.ndarray:
    """Indices of the pieces, longest (in tokens) first, ties in input order."""
    return np.argsort(-np.asarray(n_tokens, dtype=np.int64), kind="stable")


def encode_plan(device: str, batch_size: int, cuda_batch_size: int, cuda_fp16: bool, cpu_precision: str,
                cpu_flags: Sequence[str] | frozenset[str] = ()) -> tuple[int, str]:
    """``(batch size, precision)`` for a resolved device: on CUDA the larger
    ``embed.cuda_batch_size``, in float16 if ``embed.cuda_fp16``; elsewhere
    ``embed.batch_size``, on the CPU in ``embed.cpu_precision`` (``auto``: bfloat16 where
    ``cpu_flags`` say the processor has it in hardware; see
    :func:`pipeline.embed.registry.resolve_precision`)."""
    batch = cuda_batch_size if device.startswith("cuda") else batch_size
    return max(1, batch), resolve_precision(device, cuda_fp16, cpu_precision, cpu_flags)


def embed_texts(texts: Sequence[str], model: str | None = None, batch_size: int = 32, device: str | None = None,
                chunk_tokens: int = 0, chunk_overlap: int = 32, progress: Progress | None = None,
                precision: str = "float32", batch_tokens: int = 0, unit: str = "text",
                known: Mapping[str, np.ndarray] | None = None) -> Embedded:
    """Load ``model`` (registry name or local folder; cached) and embed ``texts``
    (``precision``: ``float32``, ``float16`` (weights halved; CUDA only) or ``bfloat16``
    (CPU autocast; CPU only), as ``encode_plan`` resolves it; ``batch_tokens``, ``unit``
    and ``known``: see ``embed_units``; the stages pass ``embed.unit``)."""
    dev = resolve_device(device)
    if precision not in RUN_PRECISIONS or (precision == "bfloat16" and dev != "cpu"):
        raise EmbedError(f"cannot encode in {precision!r} on {dev!r} (bfloat16 on the CPU, float16 on CUDA)")
    st_model, model_id = load_model(model, dev, half=precision == "float16")
    res = embed_units(st_model, texts, unit, batch_size, chunk_tokens, chunk_overlap, progress, batch_tokens, known,
                      precision)
    return Embedded(res.vectors, res.n_chunks, model_id, dev, tuple(res.sentences), res.sentence_vectors)


def encode(texts: list[str], model: str | None = None, batch_size: int = 32, device: str | None = None) -> np.ndarray:
    """L2-normalised float32 embeddings (one row per text), chunk-pooled for long texts.

    ``model``: ``None``/``"all-MiniLM-L6-v2"`` or a local sentence-transformers folder.
    ``device``: ``None``/``"auto"`` (GPU when present), ``"cpu"``, ``"cuda"``.
    Uses the model's own window and an overlap of 32 tokens, each text whole.
    """
    return embed_texts(texts, model, batch_size, device).vectors


def encode_shard(texts: Sequence[str], model: str | None, batch_size: int, device: str, chunk_tokens: int,
                 chunk_overlap: int, precision: str, unit: str, batch_tokens: int = 0
                 ) -> tuple[np.ndarray, list[int], str, list[str], np.ndarray | None]:
    """One shard of the embed stage (what a Dask worker runs): ``(vectors, chunks per
    text, model id, sentences, sentence vectors)``. Pure apart from loading the model
    (cached per process)."""
    res = embed_texts(list(texts), model, batch_size, device, chunk_tokens, chunk_overlap, None, precision=precision,
                      batch_tokens=batch_tokens, unit=unit)
    return res.vectors, res.n_chunks, res.model_id, list(res.sentences), res.sentence_vectors
