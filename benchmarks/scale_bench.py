"""Scale: the whole flow on a generated corpus, stage by stage, against (a) the limit,
encoding the same texts with sentence-transformers alone, and (b) the baseline a
researcher would otherwise write (pandas, BERTopic with defaults, VADER in a loop,
row-by-row inserts), all in the same run.

    python -m benchmarks scale --comments 6000 [--seed 1] [--skip-baseline] [--keep DIR] [--incremental] [--one-process]
    python -m benchmarks scale --limit-only --keep DIR     # the limit alone, of an earlier run's corpus
    python -m benchmarks scale --baseline-only --keep DIR  # the notebook baseline alone, likewise
    python -m benchmarks scale --incremental-only --keep DIR --comments N  # the +1% and no-input runs alone,
                                                           # after an --incremental run whose full run finished

Each stage runs in its own process (as ``probation-corpus run --stage S`` would), so
its peak memory is its own; CPU seconds count the process and the child processes it
started and waited for (a stage's worker processes, ``scale.processes``, or a local
Dask cluster's workers with ``scale.runner = "dask"``, read from ``./probation-corpus.toml``:
their share and the largest one's peak are printed in the row, and the row's peak is that of
the process and its workers together, sampled (their RSS summed: a page that forked workers
share with the forkserver counts once in each; their PSS, which counts it once among them, is
printed beside it); a cluster at an address is not counted). The last
two lines are ``end-to-end / encode-only: R`` and ``peak RSS: M MiB``. The limit is
sentence-transformers as shipped (float32, ``embed.batch_size``), on the device the flow's
embed uses (``embed.device``: a CUDA GPU when torch sees one); when the flow encoded in
another precision (bfloat16 on the CPU with ``embed.cpu_precision``, ``auto`` on a processor
with it in hardware; float16 on a GPU with ``embed.cuda_fp16``, in ``embed.cuda_batch_size``),
the same texts are also encoded alone so and the ratios to that are printed as well. On a GPU
the rows add the GPU memory PyTorch took. The corpus is SYNTHETIC (benchmarks/generate.py).

``--one-process``: the whole flow once more, in ONE process on a fresh database from the
same corpus, as ``probation-corpus run`` does it (one interpreter and one Prefect start-up
for every stage, one forkserver for every stage's workers: ``scale.start_method``),
printed with its ratios to the limits and to the stage processes' total.

``--incremental``: the newest 1% of the generated documents are held back; after the
full run on the other 99%, the flow runs again (on a copy of its database: ``flow.duckdb`` stays
as the full run left it, and ``--incremental-only`` can run the incremental part again from it) with only them as new input (in a file
of their own, naming their stored posts and parents by id; every stage, as a nightly run
would), then once more with no new input. Printed as ``+1% / full: R``
and ``no new input / full: R`` (wall and CPU seconds of the whole flow), with the
database file's size before and after each (what a nightly run adds to it). Both are measured twice
from the same state (a copy of the database after the full run): each stage in its own
process (so per-stage figures), and the whole flow in ONE process through Prefect's local
mode, as ``probation-corpus run`` does (one start-up; the second time it is given the same
file again, which holds nothing new). With the notebook baseline as well, one more line
compares a night's work: the notebook keeps nothing, so it runs on the whole corpus again
(``nightly, 1% new: notebook ... / flow ...: R``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.child import find_result

CHILD = r"""
import json, resource, sys, threading, time
import psutil
t0 = time.perf_counter(); c0 = time.process_time()
# the peak of this process and its children together (worker processes run side by side:
# each one's own peak, from rusage, would understate it), and each child's own, sampled
# every 0.2 s (rusage's peak of a spawned child counts the copy of this process it was
# forked as before it ran Python afresh: the stage's memory, not the worker's)
# and of the tree's proportional set size (PSS: a page shared by n processes counts 1/n in
# each), since the RSS sum counts a shared page once per process that maps it, as forked
# workers map the forkserver's imported modules (scale.start_method). A process's PSS is
# read by the kernel walking every page it maps (about 15 ms for a process of 2 GB, four
# such processes in embed at 150k): read every 0.2 s, that was a fifth of a core spent by
# this thread and charged to the stage (forty-second pass), so it is read every 2 s, and
# this thread's own CPU time is reported (sampler_cpu)
_me, _tree, _each, _pss, _spent = psutil.Process(), [0], {}, [0], [0.0]
_PSS_EVERY = 10  # samples of RSS (0.2 s apart) per sample of PSS
def _rss(p):
    try:
        return p.memory_info().rss
    except psutil.Error:  # a worker that ended between listing and reading
        return 0
def _pss_of(p):
    try:
        return p.memory_full_info().pss
    except (psutil.Error, AttributeError):  # ended meanwhile; no PSS on this platform
        return 0
def _sample():
    n = 0
    while True:
        kids = _me.children(recursive=True)
        sizes = [(c.pid, _rss(c)) for c in kids]
        for pid, size in sizes:
            _each[pid] = max(_each.get(pid, 0), size)
        _tree[0] = max(_tree[0], _rss(_me) + sum(size for _, size in sizes))
        if n % _PSS_EVERY == 0:
            _pss[0] = max(_pss[0], sum(_pss_of(p) for p in [_me, *kids]))
        n += 1
        _spent[0] = time.thread_time()
        time.sleep(0.2)
threading.Thread(target=_sample, daemon=True).start()
what, db, paths = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
out = {}
if what.startswith("encode-only"):
    # on the device the flow's embed uses (embed.device: a CUDA GPU when torch sees one):
    # "encode-only" (float32, embed.batch_size: sentence-transformers as shipped),
    # "encode-only:bfloat16" (the same call in PyTorch's CPU autocast on every thread, as a
    # user would run it; the flow encodes so with embed.cpu_precision, one thread a process in
    # worker processes) or "encode-only:float16" (CUDA: the weights halved, in the flow's
    # embed.cuda_batch_size, as the flow runs it with embed.cuda_fp16)
    import json as _j
    from pipeline.config import load_config
    from pipeline.embed.encode import encode_plan
    from pipeline.embed.features import autocast
    from pipeline.embed.registry import load_model, resolve_device
    texts = [_j.loads(l)["body"] for p in paths for l in open(p, encoding="utf-8")]
    cfg = load_config().section("embed")
    device = resolve_device(cfg["device"])
    precision = what.partition(":")[2] or "float32"
    batch = cfg["batch_size"] if precision == "float32" else encode_plan(  # the flow's batch
        device, cfg["batch_size"], cfg["cuda_batch_size"], cfg["cuda_fp16"], cfg["cpu_precision"])[0]
    model, _ = load_model(cfg["model"], device, half=precision == "float16")
    with autocast(precision):
        model.encode(texts, batch_size=batch, convert_to_numpy=True, normalize_embeddings=True)
    out = {"documents": len(texts), "precision": precision, "device": device, "batch_size": batch}
elif what == "baseline":
    import duckdb, pandas as pd
    from bertopic import BERTopic
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    from pipeline.config import load_config
    from pipeline.embed.registry import load_model, resolve_device
    df = pd.concat([pd.read_json(p, lines=True) for p in paths], ignore_index=True)
    model, _ = load_model(load_config().get("embed.model"), resolve_device(load_config().get("embed.device")))
    topics, _ = BERTopic(embedding_model=model).fit_transform(df["body"].tolist())
    sia = SentimentIntensityAnalyzer()
    df["sentiment"] = [sia.polarity_scores(t)["compound"] for t in df["body"]]
    df["topic"] = topics
    con = duckdb.connect(db)
    con.execute("CREATE TABLE docs (id VARCHAR, body VARCHAR, topic INTEGER, sentiment DOUBLE)")
    for r in df.itertuples():
        con.execute("INSERT INTO docs VALUES (?, ?, ?, ?)", [r.id, r.body, int(r.topic), float(r.sentiment)])
    con.close()
    out = {"documents": len(df)}
elif what == "flow":
    # the whole flow in one process, as a user's `probation-corpus run` does it (Prefect's
    # local mode, every stage, no report)
    from pipeline.api import Corpus
    from pipeline.jobs import STAGES
    s = Corpus(db).run(paths, stages=list(STAGES))
    out = {"stages": len(s.get("stages", {}))}
else:
    from pipeline.api import Corpus
    s = Corpus(db).run_stage(what, paths if what == "ingest" else ())
    out = {k: v for k, v in s.items() if isinstance(v, (int, float, str))}
ru = resource.getrusage(resource.RUSAGE_SELF)
# child processes that ended and were waited for (worker processes): their CPU is part of
# the stage's. Workers forked by the forkserver (scale.start_method) are its children: they
# count here once it has been stopped and waited for (as it is at exit)
from pipeline.jobs.context import stop_worker_server
stop_worker_server()
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
# the GPU memory this process's PyTorch took at most, where it used a CUDA GPU
_torch = sys.modules.get("torch")
_gpu = (_torch.cuda.max_memory_allocated() / 2**20
        if _torch is not None and _torch.cuda.is_available() and _torch.cuda.is_initialized() else 0.0)
print("\nRESULT " + json.dumps({"wall": time.perf_counter() - t0,
                              "cpu": time.process_time() - c0 + ch.ru_utime + ch.ru_stime,
                              "children_cpu": ch.ru_utime + ch.ru_stime, "children_peak_mib": max(dict(_each).values(), default=0) / 2**20,
                              "maxrss_mib": ru.ru_maxrss / 1024,
                              "tree_peak_mib": _tree[0] / 2**20, "tree_pss_peak_mib": _pss[0] / 2**20,
                              "gpu_peak_mib": _gpu, "sampler_cpu": _spent[0], "summary": out}), flush=True)
"""


def token_counts(db: Path, paths: list[str]) -> dict[str, int]:
    """Word pieces each side encodes: the encode-only limit (every body, cut at the model's
    window, plus its two special tokens), the unique own texts whole, and what the embed
    stage encodes with ``embed.unit = "sentences"`` (each distinct sentence of those texts,
    plus two special tokens each). Tokenising only: a few seconds."""
    import duckdb
    from transformers import AutoTokenizer

    from pipeline.config import load_config
    from pipeline.embed.registry import resolve_model
    from pipeline.sentences import sentence_spans

    _, folder = resolve_model(load_config().get("embed.model"))
    tok = AutoTokenizer.from_pretrained(str(folder))
    window = tok.model_max_length if tok.model_max_length < 10**6 else 512
    window = min(window, 256) - 2  # sentence-transformers' max_seq_length for MiniLM, less [CLS] and [SEP]

    def pieces(texts: list[str]) -> list[int]:
        return [len(ids) for ids in tok(texts, add_special_tokens=False, verbose=False)["input_ids"]] if texts else []

    bodies = [json.loads(line)["body"] for p in paths for line in open(p, encoding="utf-8")]
    con = duckdb.connect(str(db), read_only=True)
    try:
        own = [r[0] for r in con.execute("SELECT DISTINCT own_text FROM documents_unique "
                                         "WHERE own_text IS NOT NULL AND length(trim(own_text)) > 0").fetchall()]
    finally:
        con.close()
    sentences = list(dict.fromkeys(t[a:b] for t in own for a, b in sentence_spans(t)))
    return {"limit": sum(min(n, window) + 2 for n in pieces(bodies)),
            "own_texts_whole": sum(n + 2 for n in pieces(own)),
            "sentences": sum(n + 2 for n in pieces(sentences))}


def run_child(what: str, db: Path, paths: list[str]) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, what, str(db), json.dumps(paths)],
                          capture_output=True, text=True, check=False)
    wall_total = time.perf_counter() - t0
    res = find_result(proc.stdout)
    if proc.returncode != 0 or res is None:
        raise SystemExit(f"{what} failed ({proc.returncode}), no RESULT line:\nstdout: {proc.stdout[-1500:]}\n"
                         f"stderr: {proc.stderr[-3000:]}")
    res["wall_with_startup"] = wall_total
    return res


def record(keep: Path | None, run: str, r: dict) -> None:
    """Append a child's whole result to ``keep/results.jsonl`` (nothing without ``--keep``),
    named ``run`` and stamped with the time, so that a long run's figures outlive its
    printed rows."""
    if keep is None:
        return
    keep.mkdir(parents=True, exist_ok=True)
    with (keep / "results.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"run": run, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **r}) + "\n")


def nightly_line(notebook: dict, plus: dict) -> str:
    """The nightly sync's comparison: the notebook keeps nothing between runs, so a night
    with 1% new comments costs it a whole run again (here its run on the 99% before them,
    which flatters it), against the flow's +1% run in one process."""
    return (f"nightly, 1% new: notebook (the whole corpus again) / flow (+1%, one process): "
            f"{notebook['wall'] / max(plus['wall'], 1e-9):.1f}x (wall), "
            f"{notebook['cpu'] / max(plus['cpu'], 1e-9):.1f}x (CPU)")


def one_process_line(whole: dict, enc: dict, other: tuple[str, dict] | None, stages_wall: float) -> str:
    """The whole flow run in one process (``--one-process``) against the float32 limit
    ``enc``, the limit in the flow's own precision (``other``: its name and run, when not
    float32) and the stage processes' total wall seconds of the same corpus."""
    def ratio(a: float, b: float) -> str:
        return f"{a / max(b, 1e-9):.2f}"

    line = (f"whole flow in one process: {whole['wall']:.1f} s, {whole['cpu']:.1f} CPU-s; / encode-only "
            f"{ratio(whole['wall'], enc['wall'])} (wall), {ratio(whole['cpu'], enc['cpu'])} (CPU)")
    if other is not None:
        line += f"; / encode-only in {other[0]} {ratio(whole['wall'], other[1]['wall'])} (wall)"
    return line + f"; / the stage processes {ratio(whole['wall'], stages_wall)} (wall)"


def runner_line(scale: dict, precision: str = "float32") -> str:
    """Where the stages' shards run, from the ``[scale]`` section the stage processes load
    (the defaults, or ``./probation-corpus.toml``) and the precision embed encodes in on
    this processor (bfloat16 encodes one thread a process, in the same workers)."""
    if scale["runner"] != "dask":
        from pipeline.jobs.context import ProcessMap

        n = ProcessMap(scale["processes"], scale["start_method"]).processes
        where = "in the stage's own process" if n == 1 else f"in {n} worker processes ({scale['start_method']})"
        if precision == "bfloat16":
            return (f"runner: default (the shards of clean, segment's text signals, dedupe's hashing, quotes, embed "
                    f"(bfloat16, one thread each), the topics fit's tagging and classify {where})")
        return (f"runner: default (the shards of clean, segment's text signals, dedupe's hashing, quotes, the topics "
                f"fit's tagging and classify {where}; embed's shards in its own process, one after another)")
    where = (f"the cluster at {scale['address']}" if scale["address"] else
             f"a local cluster of {scale['n_workers']} worker processes, started by each stage that hands out shards")
    return f"runner: dask, {where}"


def peak(r: dict) -> float:
    """A run's peak memory in MiB: its process's own, or, when worker processes ran beside
    it, the sampled peak of the process and its workers together, if larger."""
    return max(r["maxrss_mib"], r.get("tree_peak_mib", 0.0))


def row(name: str, r: dict, n: int, tail: str) -> str:
    """One printed row: a stage's (or the limit's, or the notebook's) seconds, CPU
    seconds, documents per second and peak memory (and the GPU memory PyTorch took, where
    it used one), the CPU time of the child's memory sampler (part of its CPU seconds),
    then ``tail``."""
    pss = f", all together {r['tree_pss_peak_mib']:.0f} MiB in PSS" if r.get("tree_pss_peak_mib") else ""
    children = (f"[{r['children_cpu']:.1f} CPU-s of it in child processes, the largest peaking at "
                f"{r['children_peak_mib']:.0f} MiB; the stage's own process "
                f"{r['maxrss_mib']:.0f} MiB{pss}] " if r.get("children_cpu", 0) >= 0.05 else "")
    gpu = f"GPU peak {r['gpu_peak_mib']:.0f} MiB " if r.get("gpu_peak_mib") else ""
    sampler = (f"(the memory sampler's {r['sampler_cpu']:.1f} CPU-s counted in) "
               if r.get("sampler_cpu", 0) >= 0.05 else "")
    return (f"  {name:<10} {r['wall']:8.1f} s  {r['cpu']:8.1f} CPU-s  {n / max(r['wall'], 1e-9):8.0f} docs/s  "
            f"peak {peak(r):7.0f} MiB   {gpu}{children}{sampler}{tail}")


ALONE = {"encode-only": ("--limit-only", "encode-only", "the limit"),
         "encode-only:bfloat16": ("--limit-only", "enc. bf16", "the limit in bfloat16"),
         "encode-only:float16": ("--limit-only", "enc. fp16", "the limit in float16 on CUDA"),
         "baseline": ("--baseline-only", "notebook", "the baseline")}


def limit_child(precision: str) -> str:
    """The child that encodes the corpus alone in ``precision`` (float32: as shipped)."""
    return "encode-only" if precision == "float32" else f"encode-only:{precision}"


def alone(what: str, keep: Path | None) -> None:
    """The encode-only limit (``what = "encode-only"``) or the notebook baseline
    (``"baseline"``) alone, of the corpus in ``keep/corpus`` (an earlier run's ``--keep
    DIR``): compare it with that run's stage figures only when both ran on an idle
    machine."""
    flag, name, role = ALONE[what]
    paths = sorted(str(p) for p in (keep / "corpus").glob("*.jsonl")) if keep else []
    if not paths:
        raise SystemExit(f"{flag} needs --keep DIR holding an earlier run's corpus (DIR/corpus/*.jsonl)")
    n = sum(1 for p in paths for _ in open(p, encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="scale_bench_alone_") as scratch:
        r = run_child(what, Path(scratch) / f"{what}.duckdb", paths)
    record(keep, what, r)
    print(row(name, r, n, f"({role}, {n} documents of {keep / 'corpus'})"))


def held_back(docs: list) -> list:
    """The newest 1% of generated documents (at least one), held back for the +1% run."""
    return docs[len(docs) - max(1, len(docs) // 100):]


def incremental(tmp: Path, full_db: Path, held: list, total: float, total_cpu: float, keep: Path | None) -> dict:
    """The incremental runs after a full run that left ``full_db`` (never changed here: each
    run works on a copy of it in ``tmp``): the ``held`` documents alone (a file of their own,
    as a nightly export of new comments: each names its post and parent by id, stored by the
    full run, and ingest places it there), then no new input; each stage in its own process,
    then the whole flow in one process. Prints each against the full run's ``total`` seconds
    and ``total_cpu``; returns the +1% run in one process (for the nightly line)."""
    import shutil

    from benchmarks.generate import write_jsonl
    from pipeline.jobs import STAGES

    new_paths = [str(p) for p in write_jsonl(held, tmp / "corpus_new")]
    db, db_one = tmp / "flow_incremental.duckdb", tmp / "flow_one_process.duckdb"
    shutil.copyfile(full_db, db)
    shutil.copyfile(full_db, db_one)
    for label, inputs in ((f"+1% ({len(held)} new documents)", new_paths), ("no new input", [])):
        size = db.stat().st_size
        step, grew = [], []
        for stage in STAGES:
            before = db.stat().st_size
            step.append((stage, run_child(stage, db, inputs)))
            record(keep, f"{'+1%' if inputs else 'no new input'}: {stage}", step[-1][1])
            grew.append((stage, (db.stat().st_size - before) / 2**20))
        wall, cpu = sum(r["wall"] for _, r in step), sum(r["cpu"] for _, r in step)
        print(f"{label}: {wall:.1f} s, {cpu:.1f} CPU-s; by stage (CPU-s): "
              + ", ".join(f"{s} {r['cpu']:.1f}" for s, r in step), flush=True)
        print(f"{label}: database {size / 2**20:.1f} -> {db.stat().st_size / 2**20:.1f} MiB; by stage (MiB): "
              + ", ".join(f"{s} {g:+.1f}" for s, g in grew))
        name = "+1%" if inputs else "no new input"
        print(f"{name} / full: {wall / max(total, 1e-9):.3f} (wall), {cpu / max(total_cpu, 1e-9):.3f} (CPU)")
    plus_one: dict = {}
    for label in (f"+1% ({len(held)} new documents)", "no new input (the same file again)"):
        r = run_child("flow", db_one, new_paths)
        record(keep, f"{label}, whole flow in one process", r)
        name = "+1%" if label.startswith("+1%") else "no new input"
        if name == "+1%":
            plus_one = r
        print(f"{label}, whole flow in one process: {r['wall']:.1f} s, {r['cpu']:.1f} CPU-s "
              f"({r['wall_with_startup']:.1f} s with the interpreter's start-up), peak {peak(r):.0f} MiB")
        print(f"{name} / full (one process): {r['wall'] / max(total, 1e-9):.3f} (wall), "
              f"{r['cpu'] / max(total_cpu, 1e-9):.3f} (CPU)", flush=True)
    return plus_one


def incremental_only(a: argparse.Namespace) -> None:
    """``--incremental-only --keep DIR``: the incremental runs alone, after an earlier run
    with ``--incremental --keep DIR`` (the same ``--comments``, ``--seed`` and ``--style``)
    whose full run finished: on a copy of its database as the full run left it (``DIR/flow.duckdb``
    is kept as it is, so this can run again), against that run's stage figures in
    ``DIR/results.jsonl``. Compare them only when both ran on the same idle machine."""
    from benchmarks.generate import generate
    from pipeline.jobs import STAGES

    keep = a.keep
    db = keep / "flow.duckdb" if keep else None
    if db is None or not db.exists():
        raise SystemExit("--incremental-only needs --keep DIR holding an earlier --incremental run (DIR/flow.duckdb)")
    results = keep / "results.jsonl"
    full: dict[str, dict] = {}  # the latest full run of each stage
    for r in map(json.loads, results.read_text(encoding="utf-8").splitlines() if results.exists() else []):
        if r.get("run") in STAGES:
            full[r["run"]] = r
    missing = [s for s in STAGES if s not in full]
    if missing:
        raise SystemExit(f"--incremental-only: {results} has no full-run figures for {', '.join(missing)}")
    docs = generate(a.comments, a.seed, style=a.style)
    held = held_back(docs)
    kept = sum(1 for p in (keep / "corpus").glob("*.jsonl") for _ in open(p, encoding="utf-8"))
    if kept != len(docs) - len(held):
        raise SystemExit(f"--incremental-only: {keep / 'corpus'} holds {kept} documents, not the {len(docs) - len(held)} "
                         f"of --comments {a.comments} --seed {a.seed} less the 1% held back: give the kept run's options")
    import duckdb

    conn = duckdb.connect(str(db), read_only=True)
    try:
        stored = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        conn.close()
    if stored != kept:
        raise SystemExit(f"--incremental-only: {db} holds {stored} documents, not the full run's {kept}: the held-back "
                         "documents were added to it (an --incremental run before this benchmark kept it apart)")
    total, total_cpu = sum(r["wall"] for r in full.values()), sum(r["cpu"] for r in full.values())
    print(f"the full run in {keep}: {kept} documents, {total:.1f} s, {total_cpu:.1f} CPU-s over its stage processes; "
          f"{len(held)} held back (SYNTHETIC)")
    incremental(keep, db, held, total, total_cpu, keep)


def main(argv: list[str] | None = None) -> None:
    from benchmarks.generate import add_style_option, generate, write_jsonl
    from pipeline.config import load_config
    from pipeline.jobs import STAGES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=1)
    add_style_option(ap)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="keep the corpus and databases here")
    ap.add_argument("--incremental", action="store_true",
                    help="hold back the newest 1%% of documents; then run the flow with them, and with no new input")
    ap.add_argument("--one-process", action="store_true",
                    help="also run the whole flow in ONE process on the same corpus (a fresh database), as "
                         "`probation-corpus run` does: one start-up, one forkserver for every stage's workers")
    ap.add_argument("--stages", default="", help="comma-separated stages to run (default: all); "
                    "e.g. ingest,clean,dedupe to measure dedupe alone, without the encode-only limit")
    ap.add_argument("--limit-only", action="store_true",
                    help="only the encode-only limit, of the corpus an earlier run left in --keep DIR (a 150k "
                         "whole flow and its limit take longer together than one sitting allows)")
    ap.add_argument("--limit-precision", choices=["float32", "bfloat16", "float16"], default="float32",
                    help="--limit-only: encode in this precision (bfloat16: PyTorch's CPU autocast, as the flow "
                         "does with embed.cpu_precision; the issue's limit is float32, sentence-transformers as "
                         "shipped)")
    ap.add_argument("--incremental-only", action="store_true",
                    help="only the +1%% and no-input runs, after an earlier --incremental --keep DIR run whose full "
                         "run finished (same --comments and --seed), on a copy of its database")
    ap.add_argument("--baseline-only", action="store_true",
                    help="only the notebook baseline, of the corpus an earlier run left in --keep DIR")
    a = ap.parse_args(argv)
    if a.incremental_only:
        if a.limit_only or a.baseline_only:
            raise SystemExit("--incremental-only, --limit-only and --baseline-only: one at a time")
        incremental_only(a)
        return
    if a.limit_only or a.baseline_only:
        if a.limit_only and a.baseline_only:
            raise SystemExit("--limit-only and --baseline-only: one at a time (each is one process of its own)")
        alone(limit_child(a.limit_precision) if a.limit_only else "baseline", a.keep)
        return
    only = [s for s in a.stages.split(",") if s]
    unknown = sorted(set(only) - set(STAGES))
    if unknown:
        raise SystemExit(f"unknown stage(s) {', '.join(unknown)}; stages: {', '.join(STAGES)}")

    tmp = a.keep or Path(tempfile.mkdtemp(prefix="scale_bench_"))
    docs = generate(a.comments, a.seed, style=a.style)
    held = held_back(docs) if a.incremental else []
    docs = docs[:len(docs) - len(held)]
    paths = [str(p) for p in write_jsonl(docs, tmp / "corpus")]
    n = len(docs)
    print(f"corpus: {n} documents ({a.comments} comments{f', {len(held)} held back for the +1% run' if held else ''}), "
          f"SYNTHETIC, in {tmp}")
    from pipeline.embed.registry import cpu_flags, resolve_device
    from pipeline.embed.settings import embed_settings
    embed_cfg = embed_settings(load_config().section("embed"))
    device = resolve_device(embed_cfg.device)
    flow_precision = embed_cfg.precision(device, cpu_flags())
    print(runner_line(load_config().section("scale"), flow_precision))
    if device != "cpu":
        import torch
        print(f"embed on {device} ({torch.cuda.get_device_name(device)}), {flow_precision}; "
              f"the limit too (float32, sentence-transformers as shipped, on the same GPU)")
    db = tmp / "flow.duckdb"
    db.unlink(missing_ok=True)

    rows = []
    for stage in [s for s in STAGES if not only or s in only]:
        r = run_child(stage, db, paths)
        record(a.keep, stage, r)
        rows.append((stage, r))
        print(row(stage, r, n, json.dumps(r['summary'])[:100]), flush=True)
    if only:
        print(f"stages run: {sum(r['wall'] for _, r in rows):.1f} s, {sum(r['cpu'] for _, r in rows):.1f} CPU-s; "
              f"peak RSS: {max(peak(r) for _, r in rows):.0f} MiB")
        return
    enc = run_child("encode-only", tmp / "unused.duckdb", paths)
    record(a.keep, "encode-only", enc)
    print(row("encode-only", enc, n, "(the limit: sentence-transformers as shipped, float32)"))
    embed = next((r for s, r in rows if s == "embed"), None)
    precision = (embed or {}).get("summary", {}).get("precision", "float32")
    same = enc
    if precision != "float32":  # the flow encoded in bfloat16: the same texts alone, likewise
        same = run_child(limit_child(precision), tmp / "unused.duckdb", paths)
        record(a.keep, limit_child(precision), same)
        print(row(ALONE[limit_child(precision)][1], same, n, f"(the limit in the flow's precision, {precision})"))
    if not a.skip_baseline:
        base = run_child("baseline", tmp / "baseline.duckdb", paths)
        record(a.keep, "baseline", base)
        print(row("notebook", base, n, "(the baseline)"))
    total = sum(r["wall"] for _, r in rows)
    total_cpu = sum(r["cpu"] for _, r in rows)
    top = max(peak(r) for _, r in rows)
    print(f"whole flow: {total:.1f} s, {total_cpu:.1f} CPU-s ({total_cpu / max(enc['cpu'], 1e-9):.2f}x encode-only CPU)")
    if embed:
        print(f"embed / encode-only: {embed['wall'] / max(enc['wall'], 1e-9):.2f}")
        if same is not enc:
            print(f"embed / encode-only in {precision}: {embed['wall'] / max(same['wall'], 1e-9):.2f}")
        t = token_counts(db, paths)
        print(f"word pieces encoded: encode-only {t['limit']:,} (bodies cut at the model's window); embed "
              f"{t['sentences']:,} = {t['sentences'] / max(t['limit'], 1):.2f}x (own texts whole: "
              f"{t['own_texts_whole'] / max(t['limit'], 1):.2f}x; the rest is two special tokens per sentence)")
    if not a.skip_baseline:
        print(f"notebook / end-to-end: {base['wall'] / max(total, 1e-9):.2f}")
    if a.one_process:  # the same corpus again, every stage in one process (Prefect's local mode)
        whole = run_child("flow", tmp / "flow_one_process_full.duckdb", paths)
        record(a.keep, "whole flow in one process", whole)
        print(row("one proc.", whole, n, "(the whole flow in one process, a fresh database)"))
        print(one_process_line(whole, enc, None if same is enc else (precision, same), total), flush=True)
    if held:  # on copies: flow.duckdb stays as the full run left it (--incremental-only runs from it)
        plus_one = incremental(tmp, db, held, total, total_cpu, a.keep)
        if not a.skip_baseline:
            print(nightly_line(base, plus_one))
    if same is not enc:
        key = "embed.cuda_fp16" if precision == "float16" else "embed.cpu_precision"
        print(f"end-to-end / encode-only in {precision} ({key}): {total / max(same['wall'], 1e-9):.2f}")
    print(f"end-to-end / encode-only: {total / max(enc['wall'], 1e-9):.2f}")
    top_pss = max(r.get("tree_pss_peak_mib", 0.0) for _, r in rows)
    if top_pss:
        print(f"peak PSS (shared pages counted once, among the processes that share them): {top_pss:.0f} MiB")
    print(f"peak RSS: {top:.0f} MiB")


if __name__ == "__main__":
    main()
