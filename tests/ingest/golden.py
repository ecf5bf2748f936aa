"""Golden-file helper for reader tests: ParseResult <-> JSON, compared exactly.

Regenerate with ``UPDATE_GOLDEN=1 pytest tests/ingest``; review the diff before committing.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from pipeline.records import ParseResult

GOLDEN_ROOT = Path(__file__).resolve().parent.parent / "golden"


def result_to_json(result: ParseResult) -> dict:
    def doc(d):
        out = dataclasses.asdict(d)
        out["published_at"] = d.published_at.isoformat() if d.published_at else None
        out["flags"] = list(d.flags)
        return out

    def rej(r):
        raw = r.raw.decode("utf-8", "replace") if isinstance(r.raw, bytes) else r.raw
        return {"locator": r.locator, "code": r.code, "reason": r.reason, "raw": raw}

    return {
        "format": result.format,
        "declared_comments": result.declared_comments,
        "parsed_comments": result.parsed_comments,
        "warnings": result.warnings,
        "rejects": [rej(r) for r in result.rejects],
        "docs": [doc(d) for d in result.docs],
    }


def check_golden(result: ParseResult, reader: str, fixture: str) -> None:
    """Assert ``result`` equals the stored golden JSON (or write it with UPDATE_GOLDEN=1)."""
    path = GOLDEN_ROOT / reader / f"{fixture}.json"
    got = result_to_json(result)
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        if os.environ.get("CI") and not path.exists():
            raise AssertionError(f"golden file {path} missing (run UPDATE_GOLDEN=1 locally)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    want = json.loads(path.read_text(encoding="utf-8"))
    assert got == want, f"parse of {fixture} differs from {path} (UPDATE_GOLDEN=1 to accept)"
