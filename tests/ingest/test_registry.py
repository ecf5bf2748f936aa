"""The reader registry: an explicit list, entry-point plugins, no silent replacement."""

from __future__ import annotations

import importlib
import sys

import pytest

from pipeline.ingest import all_readers, choose_reader
from pipeline.ingest.readers import BUILTIN_READERS


def test_builtins_listed_once_and_reimport_is_harmless():
    names = [r.name for r in BUILTIN_READERS]
    assert len(names) == len(set(names)) == 6
    import pipeline.ingest.readers.text_dump as td
    importlib.reload(td)  # used to raise "registered twice"
    assert sorted(all_readers()) == sorted(names)


def _plugin_dist(tmp_path, body: str):
    pkg = tmp_path / "demo_reader_plugin.py"
    pkg.write_text(body)
    dist = tmp_path / "demo_reader_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-reader-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[probation_corpus.readers]\ndemo = demo_reader_plugin:READER\n")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()


PLUGIN = '''
from pipeline.ingest.reader import Reader
from pipeline.records import ParseResult

def sniff(head, name):
    return 1.0 if head.startswith("DEMO-FORMAT") else 0.0

def parse(text, ctx):
    return ParseResult(format="demo", warnings=["demo"])

READER = Reader(name=NAME, sniff=sniff, parse=parse, description="a plugin reader (synthetic test)")
'''


def test_entry_point_reader_is_found_and_chosen(tmp_path):
    _plugin_dist(tmp_path, "NAME = 'demo'\n" + PLUGIN)
    try:
        assert "demo" in all_readers()
        assert choose_reader("DEMO-FORMAT v1\n", "x.demo").name == "demo"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("demo_reader_plugin", None)


def test_plugin_with_a_builtin_name_is_an_error(tmp_path):
    _plugin_dist(tmp_path, "NAME = 'text_dump'\n" + PLUGIN)
    try:
        with pytest.raises(TypeError, match="two readers are called 'text_dump'"):
            all_readers()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("demo_reader_plugin", None)
