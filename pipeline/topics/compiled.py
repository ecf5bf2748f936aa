"""UMAP's and pynndescent's numba functions kept compiled between processes.

Most of those functions are compiled on their first call in every new process (about 6 s
of a fit with exact neighbours, 9 s with pynndescent's; ``docs/performance.md``, the
thirty-ninth pass), since the libraries ask numba to cache only some of them.
:func:`keep_compiled` turns numba's own cache on for the rest, in one folder
(``paths.compiled_dir``). numba keys each cached function by its
source file (path, modification time and size), numba's version and the processor, so an
upgraded library, another numba or another machine compiles afresh instead of loading a
stale copy; the compiled code is the same, so the topics are too.
"""

from __future__ import annotations

import importlib
import tempfile
import warnings
from pathlib import Path

MODULES = (
    "umap.umap_", "umap.layouts", "umap.utils", "umap.spectral", "umap.distances", "umap.sparse",
    "pynndescent.pynndescent_", "pynndescent.utils", "pynndescent.distances", "pynndescent.rp_trees",
    "pynndescent.sparse", "pynndescent.sparse_nndescent",
)
"""The modules whose numba functions are cached: UMAP's and its neighbour search's."""


def keep_compiled(folder: str | Path, modules: tuple[str, ...] = MODULES) -> int:
    """Cache in ``folder`` every numba function defined in ``modules`` that its library
    compiles anew in each process; returns how many were turned on now. A function whose
    cache is already on is left as it is (the libraries' own cached ones, or this call's
    earlier in the process), so the first folder given in a process stays its folder. A
    folder that cannot be made or written leaves the functions uncached (compiled in each
    process, as without this). numba finds only when it compiles a function that it
    cannot cache it (pynndescent's ``nn_descent`` holds dynamic globals): that function is
    compiled in every process as before, and numba's warning that says so is not shown."""
    import numba

    try:  # numba's own cache machinery: a numba without it compiles as before
        from numba.core.caching import NullCache
        from numba.core.dispatcher import Dispatcher
        from numba.core.errors import NumbaWarning
    except ImportError:
        return 0
    folder = str(Path(folder).resolve())
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()  # writable (numba would look elsewhere)
    except OSError:
        return 0
    warnings.filterwarnings("ignore", message=r".*Cannot cache compiled function", category=NumbaWarning)
    before, numba.config.CACHE_DIR = getattr(numba.config, "CACHE_DIR", ""), folder  # read as each cache is made
    turned = 0
    try:
        for name in modules:
            try:
                module = importlib.import_module(name)
            except ImportError:  # a module another version of the library lacks
                continue
            for fn in vars(module).values():
                if (isinstance(fn, Dispatcher) and fn.py_func.__module__ == name
                        and isinstance(getattr(fn, "_cache", None), NullCache)):
                    try:
                        fn.enable_caching()
                    except (RuntimeError, AttributeError):  # no place for its cache; another numba
                        continue
                    turned += 1
    finally:
        numba.config.CACHE_DIR = before
    return turned


__all__ = ["MODULES", "keep_compiled"]
