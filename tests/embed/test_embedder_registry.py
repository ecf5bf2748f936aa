"""The embedder registry: built-ins plus plugins from the ``probation_corpus.embedders``
entry-point group, no silent replacement (a synthetic plugin serving a tiny local model)."""

from __future__ import annotations


import pytest

from pipeline.embed import REGISTRY, encode, model_id_for
from pipeline.embed.registry import all_embedders
from tests.pluginkit import plugin_path, write_plugin


@pytest.fixture
def plugin(tmp_path):
    def install(name: str, folder):
        write_plugin(tmp_path, "demo_embedder_plugin",
                     f"from pathlib import Path\n\ndef folder():\n    return Path({str(folder)!r})\n",
                     f"[probation_corpus.embedders]\n{name} = demo_embedder_plugin:folder\n")

    with plugin_path(tmp_path, "demo_embedder_plugin"):
        yield install


def test_builtins_are_the_registry():
    assert set(REGISTRY) <= set(all_embedders())


def test_plugin_embedder_is_found_by_name(plugin, tiny_model_dir):
    plugin("tiny-demo", tiny_model_dir)
    assert "tiny-demo" in all_embedders()
    assert model_id_for("tiny-demo").startswith("tiny-demo@")
    vectors = encode(["probation officers"], "tiny-demo", device="cpu")
    assert vectors.shape == (1, 32)


def test_plugin_with_a_builtin_name_is_an_error(plugin, tiny_model_dir):
    plugin("all-MiniLM-L6-v2", tiny_model_dir)
    with pytest.raises(TypeError, match="two embedders are called 'all-MiniLM-L6-v2'"):
        all_embedders()
