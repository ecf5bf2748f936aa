"""One config: documented defaults (``defaults.toml``), a user file, per-run overrides."""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import UserError

DEFAULTS_PATH = Path(__file__).with_name("defaults.toml")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
USER_FILE_NAME = "probation-corpus.toml"


class ConfigError(UserError, ValueError):
    """A config file or override that cannot be used."""


def _merge(base: dict[str, Any], extra: Mapping[str, Any], where: str) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if key not in out:
            raise ConfigError(f"unknown config key '{where}{key}' (see docs/config.md for the keys)")
        if isinstance(out[key], dict):
            if not isinstance(value, Mapping):
                raise ConfigError(f"config key '{where}{key}' is a section, not a value")
            out[key] = _merge(out[key], value, f"{where}{key}.")
        else:
            out[key] = _coerce(value, out[key], f"{where}{key}")
    return out


def _coerce(value: Any, default: Any, name: str) -> Any:
    """Coerce an override to the type of its default (``--set`` gives strings)."""
    if isinstance(value, str) and not isinstance(default, str):
        try:
            value = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config key '{name}': cannot read {value!r} ({exc})") from exc
    if isinstance(default, bool) != isinstance(value, bool):
        raise ConfigError(f"config key '{name}' must be {type(default).__name__}, got {value!r}")
    if isinstance(default, (int, float)) and not isinstance(value, (int, float)):
        raise ConfigError(f"config key '{name}' must be a number, got {value!r}")
    if isinstance(default, float) and isinstance(value, int):
        value = float(value)
    if isinstance(default, list) and not isinstance(value, list):
        raise ConfigError(f"config key '{name}' must be a list, got {value!r}")
    return value


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """``["dedupe.near_threshold=0.8"]`` -> ``{"dedupe": {"near_threshold": "0.8"}}``."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        dotted, value = item.split("=", 1)
        parts = dotted.strip().split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value.strip()
    return out


@dataclass(frozen=True)
class Config:
    data: Mapping[str, Any]

    def get(self, dotted: str) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise ConfigError(f"unknown config key '{dotted}'")
            node = node[part]
        return node

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.get(name))

    def to_json(self) -> str:
        return json.dumps(self.data, sort_keys=True)

    def digest(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def with_overrides(self, overrides: Mapping[str, Any]) -> "Config":
        return Config(_merge(dict(self.data), overrides, ""))


def defaults() -> dict[str, Any]:
    with DEFAULTS_PATH.open("rb") as fh:
        return tomllib.load(fh)


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    cwd: Path | None = None,
) -> Config:
    """Defaults, then ``path`` (or ``./probation-corpus.toml`` if present), then overrides."""
    data = defaults()
    if path is None:
        candidate = (cwd or Path.cwd()) / USER_FILE_NAME
        path = candidate if candidate.exists() else None
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"config file {p} not found")
        try:
            with p.open("rb") as fh:
                data = _merge(data, tomllib.load(fh), "")
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {p} is not valid TOML: {exc}") from exc
    if overrides:
        if not isinstance(overrides, Mapping):
            overrides = parse_overrides(overrides)
        data = _merge(data, overrides, "")
    return Config(data)


def resolve_path(path: str | Path) -> Path:
    """A relative path from the working directory when it exists there, else from the
    project checkout (so ``corpus/sample`` and ``models`` work from any directory)."""
    p = Path(path)
    if p.is_absolute() or p.exists() or not (PROJECT_ROOT / p).exists():
        return p
    return PROJECT_ROOT / p
