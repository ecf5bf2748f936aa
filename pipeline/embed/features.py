"""A model's features made from token ids already counted: each piece tokenised once.

:func:`pipeline.embed.encode.embed_units` tokenises every piece to count its tokens
(for batching by length, windows and pooling weights); ``model.encode(texts)`` would then
tokenise it again in its ``preprocess`` (20.1 s of embed's 438.5 s at 30,000 documents,
``docs/performance.md``). Here the counted ids become the features that ``preprocess``
makes: the tokenizer's special tokens around each piece, padding to the batch's longest,
the attention mask and, where the model takes them, zero token types; the model's
``forward`` then runs on them as ``encode`` would.

That is only right for a model whose preprocessing is exactly this, and
sentence-transformers changes between versions. So :func:`feature_template` derives the
special tokens from the tokenizer and checks the result against the model's own
``preprocess`` and ``encode`` on :data:`PROBES` (spaces either side, accents, emoji, a
blank, a text past the window). Any difference (a prompt, stripping or lower-casing of its
own, another input modality, a slow tokenizer, a library that changed) gives ``None``,
and the caller encodes texts with ``model.encode`` as before.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

PROBES = (
    ("The officer's caseload rose again – 60+ cases, and Napo said nothing.",
     "  spaces either side  ",
     "Café, déjà vu, naïve façade; «quotes» and “curly” ones",
     "emoji 🙂👍 and 漢字 and \t a tab\nand a line break",
     "UPPER lower MiXeD 1,234.56 e-mail@example.org http://example.org/a?b=c",
     "a",
     " "),
    (" ".join(["supervision"] * 40 + ["unpaid", "work", "hours", "were", "never", "counted"] * 70),),
)
"""Batches of texts the derived features are checked on against the model's own (the
second: one text longer than any model's window, alone so that the short ones are not
padded to it)."""


@dataclass(frozen=True)
class FeatureTemplate:
    """How a piece's token ids (without special tokens) become the model's features."""

    prefix: tuple[int, ...]  # special tokens before the piece
    suffix: tuple[int, ...]  # and after it
    max_tokens: int  # a piece's ids are cut to this many (the model's window less the special tokens)
    pad_id: int
    pad_left: bool
    token_types: bool  # the model takes token_type_ids (all 0 for one text)
    extra: tuple[tuple[str, Any], ...]  # entries that are not tensors (e.g. modality = "text")

    def features(self, ids: Sequence[Sequence[int]]) -> dict[str, Any]:
        """The features of a batch of pieces, padded to its longest piece."""
        import torch

        lengths = np.array([min(len(x), self.max_tokens) for x in ids], dtype=np.int64)
        lengths += len(self.prefix) + len(self.suffix)
        width = int(lengths.max()) if len(lengths) else 0
        flat: list[int] = []
        for x in ids:
            flat.extend(self.prefix)
            flat.extend(x[: self.max_tokens])
            flat.extend(self.suffix)
        cols = np.arange(width)
        mask = cols >= width - lengths[:, None] if self.pad_left else cols < lengths[:, None]
        input_ids = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        input_ids[mask] = flat  # row-major order of the mask's cells is the order of ``flat``
        out: dict[str, Any] = {"input_ids": torch.from_numpy(input_ids)}
        if self.token_types:
            out["token_type_ids"] = torch.zeros_like(out["input_ids"])
        out["attention_mask"] = torch.from_numpy(mask.astype(np.int64))
        out.update(self.extra)
        return out


def autocast(precision: str) -> AbstractContextManager:
    """PyTorch's CPU autocast for ``bfloat16`` on the threads the process has (as a user
    of sentence-transformers would run it: the benchmarks' limit), nothing otherwise."""
    if precision != "bfloat16":
        return nullcontext()
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16)


@contextmanager
def precision_context(precision: str) -> Iterator[None]:
    """What the forward passes of one call run in for ``precision``: ``bfloat16`` is
    PyTorch's CPU autocast (the weights stay float32; matrix products run in bfloat16,
    normalisation and softmax in float32) on ONE thread, restored after. oneDNN's bfloat16
    products split a small batch's sums between threads, so their last bits depend on the
    thread count (1e-4 on some batches of short sentences); on one thread they are the same
    in any process, on any runner. The embed stage gets its cores back by running its
    shards in ``scale.processes`` worker processes (``pipeline.jobs.embed``). ``float32``
    (MKL's strict mode makes it the same on any number of threads) and ``float16`` (CUDA
    weights halved when the model is loaded) need nothing."""
    if precision != "bfloat16":
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with autocast(precision):
            yield
    finally:
        torch.set_num_threads(threads)


def encode_ids(model: Any, template: FeatureTemplate, ids: Sequence[Sequence[int]]) -> np.ndarray:
    """float32 sentence vectors of a batch of pieces given as token ids: the model's
    ``forward`` on :meth:`FeatureTemplate.features`, as ``model.encode`` runs it."""
    import torch

    device = model.device
    feats = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in template.features(ids).items()}
    with torch.inference_mode():
        out = model(feats)
    return out["sentence_embedding"].float().cpu().numpy()


_TEMPLATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def feature_template(model: Any) -> FeatureTemplate | None:
    """The model's :class:`FeatureTemplate` if it reproduces the model's own features and
    vectors on :data:`PROBES`, else ``None`` (module docstring). Checked once per model
    object."""
    try:
        return _TEMPLATES[model]
    except KeyError:
        pass
    except TypeError:  # not weak-referenceable: derive every time
        return _derive(model)
    template = _derive(model)
    _TEMPLATES[model] = template
    return template


def _derive(model: Any) -> FeatureTemplate | None:
    import torch

    tok = getattr(model, "tokenizer", None)
    if tok is None or not getattr(tok, "is_fast", False) or tok.pad_token_id is None \
            or not callable(getattr(model, "preprocess", None)):
        return None
    try:
        bare = list(tok("x", add_special_tokens=False)["input_ids"])
        full = list(tok("x", add_special_tokens=True)["input_ids"])
        at = next((i for i in range(len(full) - len(bare) + 1) if full[i:i + len(bare)] == bare), None)
        if not bare or at is None:
            return None
        template = None
        for probes in PROBES:
            theirs = model.preprocess(list(probes))
            if template is None:
                extra = tuple((k, v) for k, v in theirs.items() if not isinstance(v, torch.Tensor))
                if not all(isinstance(v, (str, int, float, bool, type(None))) for _, v in extra):
                    return None
                window = int(model.max_seq_length) - (len(full) - len(bare))  # the probe past it checks this
                template = FeatureTemplate(tuple(full[:at]), tuple(full[at + len(bare):]), window,
                                           int(tok.pad_token_id), getattr(tok, "padding_side", "right") == "left",
                                           "token_type_ids" in theirs, extra)
            ids = tok(list(probes), add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
            if not _same_features(template.features(ids), theirs):
                return None
            expected = np.asarray(model.encode(list(probes), batch_size=len(probes), convert_to_numpy=True,
                                               show_progress_bar=False), dtype=np.float32)
            got = encode_ids(model, template, ids)
            if got.shape != expected.shape or not np.allclose(got, expected, rtol=0.0, atol=1e-5):
                return None
    except Exception:  # noqa: BLE001  (any failure of the check means: encode texts as before)
        return None
    return template


def _same_features(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    import torch

    if set(ours) != set(theirs):
        return False
    for key, value in theirs.items():
        mine = ours[key]
        if isinstance(value, torch.Tensor):
            if not isinstance(mine, torch.Tensor) or mine.dtype != value.dtype or mine.shape != value.shape \
                    or not torch.equal(mine, value.to(mine.device)):
                return False
        elif mine != value:
            return False
    return True


__all__ = ["PROBES", "FeatureTemplate", "encode_ids", "feature_template"]
