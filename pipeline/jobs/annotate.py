"""The human-coding loop's jobs: export a sample to code, import codes, agreement."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from pipeline.annotate.agreement import agreement_table
from pipeline.annotate.codes import codes_frame, gold_locators, read_code_file, resolve
from pipeline.annotate.sample import STRATEGIES, export_records, pick_documents, write_csv, write_jsonl
from pipeline.annotate.settings import AnnotateSettings
from pipeline.classify.taxonomy import taxonomy_from_config
from pipeline.config import Config
from pipeline.config import resolve_path
from pipeline.errors import UserError
from pipeline.settings import typed
from pipeline.store import connect, transaction
from pipeline.store.annotate import (
    coded_doc_ids,
    document_heads,
    document_locators,
    export_documents,
    known_doc_ids,
    read_codes,
    write_codes,
)
from pipeline.store.classify import default_sentiment, has_own_text, latest_classify_run, theme_scores
from pipeline.store.errors import StoreError
from pipeline.classify.settings import classify_settings


def export_sample(db_path: str, config: Config, n: int | None = None, strategy: str | None = None,
                  coder: str | None = None, out_dir: str | Path | None = None) -> dict:
    """Choose documents to code and write them as CSV and JSON Lines (same rows).

    Returns the two paths, the strategy and the number of documents."""
    settings = typed(config, AnnotateSettings)
    n = int(n if n is not None else settings.sample_size)
    strategy = (strategy or settings.strategy).lower()
    if strategy not in STRATEGIES:
        raise UserError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    taxonomy = taxonomy_from_config(config.section("classify"))
    classify = classify_settings(config.section("classify"))
    conn = connect(db_path)
    try:
        if not has_own_text(conn):
            raise StoreError("documents has no own_text column yet: run the clean stage first")
        docs = export_documents(conn)
        locs = gold_locators(document_locators(conn))
        coded = coded_doc_ids(conn, coder) if settings.exclude_coded else set()
        run = latest_classify_run(conn)
        scores = theme_scores(conn, run) if run else pd.DataFrame(columns=["doc_id", "theme", "score", "present",
                                                                            "method"])
        sent = default_sentiment(conn, run) if run else pd.DataFrame(columns=["doc_id", "label", "score", "method"])
    finally:
        conn.close()
    picked = pick_documents(docs, locs, coded, scores, sent, run, strategy=strategy, n=n, min_chars=classify.min_chars,
                            theme_threshold=classify.theme_threshold,
                            seed=classify.random_seed)
    records = export_records(picked, taxonomy.names)
    folder = Path(out_dir) if out_dir else resolve_path(settings.export_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"sample_{strategy}_{datetime.now().strftime('%Y%m%d_%H%M%S')}"
    csv_path, jsonl_path = folder / f"{stem}.csv", folder / f"{stem}.jsonl"
    write_csv(records, taxonomy.names, csv_path)
    write_jsonl(records, jsonl_path)
    return {"documents": len(records), "strategy": strategy, "csv": str(csv_path), "jsonl": str(jsonl_path),
            "classify_run": run}


def import_codes(db_path: str, config: Config, path: str | Path, coder: str) -> dict:
    """Read a coder's file, resolve every row to a document and store the codes (all or
    nothing: a malformed row fails the file). Rows whose document is not in the corpus
    are skipped and listed in ``skipped``. Returns counts."""
    coder = (coder or "").strip()
    if not coder:
        raise UserError("--coder NAME is required: codes are stored per coder")
    p = Path(path)
    rows = read_code_file(p)
    taxonomy = taxonomy_from_config(config.section("classify"))
    conn = connect(db_path)
    try:
        resolved, skipped = resolve(rows, gold_locators(document_locators(conn)), known_doc_ids(conn), p.name,
                           document_heads(conn))
        codes = codes_frame(resolved, taxonomy.names, p.name)
        with transaction(conn):
            n = write_codes(conn, codes, coder, p.name)
    finally:
        conn.close()
    return {"coder": coder, "documents": len(resolved), "codes": n, "file": str(p), "skipped": skipped}


def agreement(db_path: str, config: Config, coders: list[str] | None = None) -> pd.DataFrame:
    """Cohen's kappa per pair of coders and Krippendorff's alpha, per label."""
    conn = connect(db_path)
    try:
        codes = read_codes(conn)
    finally:
        conn.close()
    if coders:
        codes = codes[codes["coder"].isin(coders)]
    if codes["coder"].nunique() < 2:
        raise UserError("agreement needs codes from at least two coders "
                         f"(stored: {', '.join(sorted(codes['coder'].unique())) or 'none'})")
    return agreement_table(codes)
