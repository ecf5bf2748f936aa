"""One source of every default: each key of pipeline/defaults.toml is read somewhere in
the code, and every key the code reads by name exists in the TOML."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.config import defaults

PKG = Path(__file__).resolve().parent.parent / "pipeline"


def _leaves(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _leaves(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


def _sections(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield f"{prefix}{k}"
            yield from _sections(v, f"{prefix}{k}.")


def _code() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_toml_key_is_read_by_the_code():
    code = _code()
    unused = []
    for dotted in _leaves(defaults()):
        name = dotted.rsplit(".", 1)[-1]
        # read as cfg["name"], config.get("section.name"), or a settings field `name:`
        if not (re.search(rf"[\"']{re.escape(name)}[\"']", code) or f'"{dotted}"' in code
                or re.search(rf"^\s+{re.escape(name)}\s*:", code, flags=re.M)):
            unused.append(dotted)
    assert not unused, f"config keys no code reads (remove them or use them): {unused}"


def test_every_key_the_code_names_exists_in_the_toml():
    code = _code()
    data = defaults()
    leaves = set(_leaves(data))
    sections = set(_sections(data))
    names = {k.rsplit(".", 1)[-1] for k in leaves}
    bad = []
    for dotted in re.findall(r"config\.get\(\"([^\"]+)\"\)", code):
        if dotted not in leaves and dotted not in sections:
            bad.append(f'config.get("{dotted}")')
    for sec in re.findall(r"\.section\(\"([^\"]+)\"\)", code):
        if sec not in sections:
            bad.append(f'section("{sec}")')
    for var, key in re.findall(r"\b([a-z_]*(?:cfg|section))\[\"([a-z_0-9]+)\"\]", code):
        if key not in names:
            bad.append(f'{var}["{key}"]')
    assert not bad, f"the code reads keys that pipeline/defaults.toml does not have: {sorted(set(bad))}"
