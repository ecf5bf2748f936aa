"""Run the benchmarks: ``python -m benchmarks`` runs every ``*_bench`` module with its
defaults; ``python -m benchmarks NAME [ARGS]`` runs one (``scale``, ``dedupe``, ...)."""

import importlib
import pkgutil
import sys

import benchmarks

names = sorted(i.name for i in pkgutil.iter_modules(benchmarks.__path__) if i.name.endswith("_bench"))
if len(sys.argv) > 1:
    name = sys.argv[1] if sys.argv[1].endswith("_bench") else f"{sys.argv[1]}_bench"
    if name not in names:
        raise SystemExit(f"no benchmark {sys.argv[1]!r}; benchmarks: {', '.join(n[:-6] for n in names)}")
    importlib.import_module(f"benchmarks.{name}").main(sys.argv[2:])
else:
    for name in names:
        if name == "scale_bench":
            continue  # long: run it by name
        print(f"== {name}")
        importlib.import_module(f"benchmarks.{name}").main([])
