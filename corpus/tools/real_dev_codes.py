"""Write the real development set's codes into the repository WITHOUT any of its text.

    python corpus/tools/real_dev_codes.py --units /work/devset/units.jsonl \\
        --gold /work/devset/gold/adjudicated.jsonl \\
        --coder A=/work/devset/coding/coder_A.jsonl --coder B=/work/devset/coding/coder_B.jsonl

Each output row identifies its unit by ``unit_id``, ``url``, ``page``, ``kind``, ``year``,
``position`` and the ``sha256`` of its text (so the text can be fetched again and checked),
and carries the codes: ``themes`` {theme: stance}, ``sentiment`` and the paragraph labels
(own / not_own / mixed, by paragraph number). Coders' notes and ``not_own_spans`` (which
are copied text) are left out. The unit texts stay in the git-ignored ``corpus/real/`` or
outside the checkout (``/work/devset``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

KEEP_UNIT = ("unit_id", "url", "page", "source", "doc", "kind", "year", "position", "length", "sha256")


def strip(code: dict, unit: dict) -> dict:
    out = {k: unit.get(k) for k in KEEP_UNIT}
    out["themes"] = {str(t): (str(s).upper() if s else None) for t, s in (code.get("themes") or {}).items()}
    out["sentiment"] = code.get("sentiment")
    out["paragraphs"] = [{"i": p.get("i", k), "label": p.get("label")} for k, p in enumerate(code.get("paragraphs") or [])]
    return out


def write(codes_path: Path, units: dict, out_path: Path) -> int:
    rows = []
    for line in codes_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            c = json.loads(line)
            if str(c["unit_id"]) in units:
                rows.append(strip(c, units[str(c["unit_id"])]))
    rows.sort(key=lambda r: r["unit_id"])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text("".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows))
    return len(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=Path, required=True)
    ap.add_argument("--gold", type=Path)
    ap.add_argument("--coder", action="append", default=[], help="NAME=FILE of one coder's raw codes")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "annotations" / "real_dev")
    args = ap.parse_args(argv)
    units = {}
    for line in args.units.read_text(encoding="utf-8").splitlines():
        if line.strip():
            u = json.loads(line)
            units[str(u["unit_id"])] = u
    if args.gold:
        print("adjudicated:", write(args.gold, units, args.out / "adjudicated.jsonl"))
    for spec in args.coder:
        name, path = spec.split("=", 1)
        print(f"coder {name}:", write(Path(path), units, args.out / f"coder_{name}.jsonl"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
