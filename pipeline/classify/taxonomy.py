"""The theme taxonomy: names, descriptions, stance targets, seed terms and examples.

The defaults (the eight themes of the annotation guidelines) live in
``pipeline/defaults.toml`` under ``[[classify.themes]]``; a user adds a theme with a
``[[classify.extra_themes]]`` table in their own config file, without touching code.
"""

from __future__ import annotations

from pipeline.classify.errors import ClassifySettingError
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


@dataclass(frozen=True)
class Theme:
    """One theme: what it is about and the statement stance is taken toward."""

    name: str
    description: str
    target: str
    seed_terms: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "target": self.target,
                "seed_terms": list(self.seed_terms), "examples": list(self.examples)}


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of themes with unique names."""

    themes: tuple[Theme, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [t.name for t in self.themes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ClassifySettingError(f"theme names must be unique; repeated: {', '.join(dup)}",
                                       "rename or remove the repeated classify.extra_themes entries")

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.themes]

    def __len__(self) -> int:
        return len(self.themes)

    def __iter__(self):
        return iter(self.themes)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def get(self, name: str) -> Theme:
        for t in self.themes:
            if t.name == name:
                return t
        raise KeyError(f"unknown theme {name!r}; themes: {', '.join(self.names)}")

    def to_list(self) -> list[dict[str, Any]]:
        return [t.to_dict() for t in self.themes]


def theme_from_mapping(raw: Mapping[str, Any], where: str = "classify.themes") -> Theme:
    """Build a Theme from a config table, with a clear error for a bad entry."""
    if not isinstance(raw, Mapping):
        raise ClassifySettingError(f"{where}: each theme must be a table, got {raw!r}", "see the [[classify.themes]] keys in docs/config.md")
    allowed = {"name", "description", "target", "seed_terms", "examples"}
    extra = set(raw) - allowed
    if extra:
        raise ClassifySettingError(f"{where}: unknown theme key(s) {', '.join(sorted(extra))}; "
                                   f"allowed: {', '.join(sorted(allowed))}", "remove or rename them")
    name = str(raw.get("name", "")).strip()
    if not _NAME.match(name):
        raise ClassifySettingError(f"{where}: theme name {name!r} must be lower-case letters, digits or '_' "
                                   "and start with a letter", "rename the theme")
    for key in ("description", "target"):
        if not str(raw.get(key, "")).strip():
            raise ClassifySettingError(f"{where}: theme {name!r} needs a non-empty {key}", f"add a {key} to the theme")

    def _strings(key: str) -> tuple[str, ...]:
        val = raw.get(key, [])
        if isinstance(val, str) or not isinstance(val, Iterable):
            raise ClassifySettingError(f"{where}: theme {name!r}: {key} must be a list of strings", "see the [[classify.themes]] keys in docs/config.md")
        out = tuple(str(v).strip() for v in val if str(v).strip())
        return out

    return Theme(name=name, description=str(raw["description"]).strip(), target=str(raw["target"]).strip(),
                 seed_terms=_strings("seed_terms"), examples=_strings("examples"))


def taxonomy_from_config(section: Mapping[str, Any]) -> Taxonomy:
    """The taxonomy from the ``[classify]`` section: ``themes`` then ``extra_themes``,
    less any names in ``disabled_themes``."""
    themes = [theme_from_mapping(t, "classify.themes") for t in section.get("themes", [])]
    themes += [theme_from_mapping(t, "classify.extra_themes") for t in section.get("extra_themes", [])]
    disabled = set(section.get("disabled_themes", []))
    unknown = disabled - {t.name for t in themes}
    if unknown:
        raise ClassifySettingError(f"classify.disabled_themes names unknown theme(s): {', '.join(sorted(unknown))}",
                                   f"use theme names: {', '.join(t.name for t in themes)}")
    return Taxonomy(tuple(t for t in themes if t.name not in disabled))


def taxonomy_from_list(items: Sequence[Mapping[str, Any]]) -> Taxonomy:
    """The taxonomy stored in a model card (``Taxonomy.to_list()``)."""
    return Taxonomy(tuple(theme_from_mapping(t, "model taxonomy") for t in items))
