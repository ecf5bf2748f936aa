"""Typed settings from the one config file.

A stage's settings are frozen dataclasses whose **field names are the TOML keys** of its
config section, with no defaults in code: ``pipeline/defaults.toml`` is the one source
of every default. :func:`settings_from` builds one from a section and refuses a missing
or unknown key; :func:`settings_key` is the one place that turns settings into the key
stored beside a stage's results ("were these made with the current settings?").
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from pipeline.config import ConfigError

T = TypeVar("T")


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"config key '{where}' must be a list, got {value!r}")
        return tuple(value)
    if origin in (frozenset, set):
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise ConfigError(f"config key '{where}' must be a list, got {value!r}")
        return frozenset(value)
    if hint in (int, float, str, bool):
        if hint is int and isinstance(value, bool) or not isinstance(value, hint):
            raise ConfigError(f"config key '{where}' must be {hint.__name__}, got {value!r}")
    return value


def settings_from(cls: type[T], section: Mapping[str, Any], name: str, *, partial: bool = False) -> T:
    """``cls`` from the config section ``name``: every field is a key of the section.

    A missing key is an error; so is a key no field reads, unless ``partial`` (one section
    feeding several settings records: check the whole with :func:`check_section`).
    """
    fields = [f for f in dataclasses.fields(cls) if f.init]
    names = {f.name for f in fields}
    missing = sorted(names - set(section))
    if missing:
        raise ConfigError(f"config section [{name}] lacks {', '.join(missing)} (see docs/config.md)")
    if not partial:
        check_section(section, name, cls)
    hints = _field_types(cls)
    values = {f.name: _coerce(section[f.name], hints[f.name], f"{name}.{f.name}") for f in fields}
    return cls(**values)


def check_memory_mb(where: str, value: int) -> None:
    """A DuckDB memory setting (``where``: its config key) is 0 (DuckDB's own limit) or a
    size in MB; anything else is a ConfigError. The one copy of this rule."""
    if value < 0:
        raise ConfigError(f"{where} must be 0 (DuckDB's own limit) or a size in MB, got {value!r}")


class _Section(Protocol):
    SECTION: typing.ClassVar[str]


S = TypeVar("S", bound=_Section)


def typed(config: Any, cls: type[S]) -> S:
    """The config section ``cls.SECTION`` as a ``cls`` (every key, none other)."""
    return settings_from(cls, config.section(cls.SECTION), cls.SECTION)


def check_section(section: Mapping[str, Any], name: str, *classes: type) -> None:
    """Every key of the section is a field of one of ``classes``."""
    known = {f.name for c in classes for f in dataclasses.fields(c)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"unknown config key(s) in [{name}]: {', '.join(unknown)} (see docs/config.md)")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (frozenset, set)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, types.SimpleNamespace):
        return _plain(vars(value))
    return value


def settings_key(logic_version: int | str, *parts: Any) -> str:
    """A short, stable digest of a stage's logic version and the settings its stored
    results depend on (settings records, mappings or plain values)."""
    blob = json.dumps([str(logic_version), *(_plain(p) for p in parts)], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
