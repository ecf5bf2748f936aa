"""Typed settings: field names are the TOML keys, no defaults in code, one settings key."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from pipeline.config import ConfigError, load_config
from pipeline.dedupe import DedupeOptions
from pipeline.settings import check_section, settings_from, settings_key


@dataclass(frozen=True)
class Demo:
    size: int
    share: float
    words: tuple[str, ...]


def test_settings_from_reads_fields_by_key_and_coerces():
    s = settings_from(Demo, {"size": 3, "share": 1, "words": ["a", "b"]}, "demo")
    assert s == Demo(3, 1.0, ("a", "b"))


def test_missing_unknown_and_mistyped_keys_are_errors():
    with pytest.raises(ConfigError, match=r"\[demo\] lacks share"):
        settings_from(Demo, {"size": 3, "words": []}, "demo")
    with pytest.raises(ConfigError, match="unknown config key.*colour"):
        settings_from(Demo, {"size": 3, "share": 0.5, "words": [], "colour": "red"}, "demo")
    with pytest.raises(ConfigError, match="demo.size"):
        settings_from(Demo, {"size": "3", "share": 0.5, "words": []}, "demo")
    with pytest.raises(ConfigError, match="unknown"):
        check_section({"size": 1, "extra": 2}, "demo", Demo)


def test_settings_key_is_stable_and_changes_with_any_setting():
    opts = DedupeOptions.of(load_config())
    k = settings_key(1, *opts.stored_key_parts())
    assert k == settings_key(1, *DedupeOptions.of(load_config()).stored_key_parts())
    other = DedupeOptions.of(load_config(overrides=["dedupe.word_shingle=6"]))
    assert settings_key(1, *other.stored_key_parts()) != k
    assert settings_key(2, *opts.stored_key_parts()) != k
    # a threshold that only needs the duplicates rebuilt does not invalidate stored evidence
    near = DedupeOptions.of(load_config(overrides=["dedupe.near_threshold=0.85"]))
    assert settings_key(1, *near.stored_key_parts()) == k


def test_dedupe_section_unknown_key_is_refused():
    section = dict(load_config().section("dedupe"), shingle_size=4)
    with pytest.raises(ConfigError, match="shingle_size"):
        DedupeOptions.from_config(section, load_config().section("segment")["separator_pattern"])


def test_ingest_settings_read_every_key_of_the_section():
    from pipeline.ingest.settings import IngestSettings

    section = load_config().section("ingest")
    s = settings_from(IngestSettings, section, "ingest")
    assert s.max_bytes == int(section["max_file_mb"] * 2**20) and s.ignore_names == tuple(section["ignore_names"])
    with pytest.raises(ConfigError, match=r"\[ingest\] lacks sniff_bytes"):
        settings_from(IngestSettings, {k: v for k, v in section.items() if k != "sniff_bytes"}, "ingest")
    with pytest.raises(ConfigError, match="stream_duckdb_mb must be 0"):
        settings_from(IngestSettings, {**section, "stream_duckdb_mb": -1}, "ingest")
    assert settings_from(IngestSettings, {**section, "stream_duckdb_mb": 0}, "ingest").stream_duckdb_mb == 0


def _records():
    from pipeline.annotate.settings import AnnotateSettings
    from pipeline.clean.settings import CleanSettings
    from pipeline.ingest.settings import IngestSettings
    from pipeline.quotes.settings import QuoteSettings
    from pipeline.report.settings import ReportSettings
    from pipeline.search.settings import SearchSettings
    from pipeline.sections import (
        FlowsSettings,
        PathsSettings,
        ProgressSettings,
        ScaleSettings,
        ScheduleSettings,
        ServeSettings,
        StoreSettings,
    )
    from pipeline.sync.settings import SyncSettings

    return [PathsSettings, IngestSettings, CleanSettings, ScheduleSettings, StoreSettings, FlowsSettings,
            AnnotateSettings, SearchSettings, ProgressSettings, SyncSettings, ReportSettings, ServeSettings,
            QuoteSettings, ScaleSettings]


def test_every_typed_section_reads_exactly_its_toml_keys():
    """Each record's fields are its section's keys (no renaming, nothing left over), and
    the built-in config fills every one of them."""
    import dataclasses

    from pipeline.segment.core import SegmentOptions
    from pipeline.settings import typed
    from pipeline.topics.settings import TopicSettings

    config = load_config()
    for cls in _records():
        assert {f.name for f in dataclasses.fields(cls)} == set(config.section(cls.SECTION)), cls.__name__
        assert isinstance(typed(config, cls), cls)
    runtime = {"classifier", "signoff"}  # the loaded model and the [clean] sign-off options
    assert {f.name for f in dataclasses.fields(SegmentOptions)} - runtime == set(config.section("segment"))
    assert {f.name for f in dataclasses.fields(TopicSettings)} == set(config.section("topics"))


def test_a_missing_or_unknown_key_of_a_typed_section_is_a_config_error():
    from pipeline.config import Config
    from pipeline.sections import ServeSettings
    from pipeline.settings import typed
    from pipeline.topics.settings import TopicSettings

    data = dict(load_config().data)
    serve = dict(data["serve"])
    del serve["port"]
    with pytest.raises(ConfigError, match=r"\[serve\] lacks port"):
        typed(Config({**data, "serve": serve}), ServeSettings)
    with pytest.raises(ConfigError, match="unknown config key.*colour"):
        typed(Config({**data, "serve": {**data["serve"], "colour": "red"}}), ServeSettings)
    with pytest.raises(ConfigError, match="unknown config key.*colour"):
        TopicSettings.from_config({**data["topics"], "colour": "red"})
    with pytest.raises(ConfigError, match="'serve.port' must be int"):
        typed(Config({**data, "serve": {**data["serve"], "port": "80"}}), ServeSettings)


@pytest.mark.parametrize("key", ["ingest.stream_duckdb_mb", "store.compact_memory_mb", "classify.duckdb_memory_mb",
                                 "dedupe.duckdb_memory_mb", "embed.duckdb_memory_mb"])
def test_every_duckdb_memory_key_refuses_a_negative_size_with_one_message(key):
    from pipeline.classify.settings import classify_settings
    from pipeline.dedupe.core import DedupeOptions
    from pipeline.embed.settings import embed_settings
    from pipeline.ingest.settings import IngestSettings
    from pipeline.sections import StoreSettings
    from pipeline.settings import typed

    build = {"ingest": lambda c: typed(c, IngestSettings), "store": lambda c: typed(c, StoreSettings),
             "classify": lambda c: classify_settings(c.section("classify")), "dedupe": DedupeOptions.of,
             "embed": lambda c: embed_settings(c.section("embed"))}
    section = key.split(".")[0]
    assert build[section](load_config(overrides=[f"{key}=0"])) is not None
    with pytest.raises(ConfigError, match=rf"^{re.escape(key)} must be 0 \(DuckDB's own limit\) or a size in MB, got -5$"):
        build[section](load_config(overrides=[f"{key}=-5"]))
