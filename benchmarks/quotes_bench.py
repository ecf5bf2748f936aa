"""Quotes: the whole-text way against the windowed way, same documents, same run.

    python -m benchmarks quotes [--db DB] [--repeats 2]

``whole``: spaCy's parser and recogniser over every document's whole ``clean_text``
(:func:`pipeline.quotes.sentences.analyse`, as the stage did before), then the quote,
names and first sentence. ``windows``: :func:`pipeline.quotes.batch.quote_documents`
(only lines holding own words parsed, the recogniser only on the quote's pieces, numpy's
BLAS on one thread instead of BLIS: :func:`pipeline.nlp.numpy_matmul`). Both
alternate ``--repeats`` times in one process after the model is loaded; printed: median
CPU seconds of each, windows / whole, and how many documents differ in any stored field
(quote, pieces, n_words, reason, names_flagged, first_sentence). ``--db`` is a database
segmented already (e.g. ``python -m benchmarks scale --stages ingest,clean,dedupe,segment
--keep DIR``); without it the bundled SYNTHETIC sample corpus is segmented in a
temporary folder first.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pipeline.config import load_config
from pipeline.quotes import QuoteOptions, build_quote, first_sentence
from pipeline.quotes.batch import DocQuote, QuoteInput, quote_documents
from pipeline.quotes.sentences import analyse, load_nlp, names_in
from pipeline.sections import ScaleSettings
from pipeline.settings import typed
from pipeline.shards import slices

FIELDS = ("quote", "pieces", "n_words", "reason", "names", "first_sentence")
SAMPLE = Path(__file__).resolve().parent.parent / "corpus" / "sample"


def whole_text(docs: Sequence[QuoteInput], opts: QuoteOptions, nlp, batch: int = 64) -> list[DocQuote]:
    """The stage before the windows: every text parsed whole, 64 documents a call."""
    out: list[DocQuote] = []
    for part in slices(docs, batch):
        for d, a in zip(part, analyse([d.text for d in part], nlp)):
            q = build_quote(d.text, d.own, a.sentences, opts, d.handles)
            out.append(DocQuote(q, tuple(names_in(d.text, a.persons, q.pieces)),
                                first_sentence(d.text, d.own, a.sentences)))
    return out


def differences(a: Sequence[DocQuote], b: Sequence[DocQuote]) -> dict[str, int]:
    def fields(r: DocQuote) -> dict:
        return {"quote": r.quote.text, "pieces": r.quote.pieces, "n_words": r.quote.n_words,
                "reason": r.quote.reason, "names": r.names, "first_sentence": r.first_sentence}
    out = {f: 0 for f in FIELDS}
    rows = 0
    for x, y in zip(a, b):
        fx, fy = fields(x), fields(y)
        bad = [f for f in FIELDS if fx[f] != fy[f]]
        rows += bool(bad)
        for f in bad:
            out[f] += 1
    return {"rows": rows, **out}


def _segmented_sample(folder: Path) -> str:
    from pipeline.api import Corpus

    db = str(folder / "sample.duckdb")
    corpus = Corpus(db)
    corpus.run_stage("ingest", [str(SAMPLE)])
    for stage in ("clean", "dedupe", "segment"):
        corpus.run_stage(stage)
    return db


def _inputs(db: str) -> list[QuoteInput]:
    from pipeline.jobs.quotes import inputs_of
    from pipeline.store import connect
    from pipeline.store import quotes as store

    conn = connect(db, read_only=True)
    try:
        return inputs_of(store.quote_inputs(conn, "benchmark"))
    finally:
        conn.close()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="a segmented database (default: the sample corpus, segmented in a temp folder)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    config = load_config()
    opts = QuoteOptions.from_config(config.section("quotes"))
    batch_tokens = typed(config, ScaleSettings).parse_batch_tokens
    with tempfile.TemporaryDirectory() as tmp:
        docs = _inputs(args.db or _segmented_sample(Path(tmp)))
    nlp = load_nlp()
    nlp.max_length = max(nlp.max_length, max((len(d.text) for d in docs), default=0) + 1)
    times: dict[str, list[float]] = {"whole": [], "windows": []}
    results = {}
    for _ in range(max(1, args.repeats)):
        for name, fn in (("whole", lambda: whole_text(docs, opts, nlp)),
                         ("windows", lambda: quote_documents(docs, opts, nlp, batch_tokens=batch_tokens))):
            c0 = time.process_time()
            results[name] = fn()
            times[name].append(time.process_time() - c0)
    whole, windows = statistics.median(times["whole"]), statistics.median(times["windows"])
    print(f"documents: {len(docs)}, characters: {sum(len(d.text) for d in docs):,}")
    print(f"  whole text   {whole:8.2f} CPU-s")
    print(f"  windows      {windows:8.2f} CPU-s")
    print(f"differing documents: {differences(results['whole'], results['windows'])}")
    print(f"windows / whole: {windows / whole:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
