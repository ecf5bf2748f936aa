"""The label-backend registry: built-ins listed once, plugins found by entry point and
chosen by config, no silent replacement (synthetic texts and a synthetic plugin)."""

from __future__ import annotations


import numpy as np
import pytest

from pipeline.classify.apply import Models, classify_texts
from pipeline.classify.backends import BUILTIN_BACKENDS, label_backend, label_backends
from pipeline.classify.models import apply_params
from pipeline.config import ConfigError, load_config
from tests.classify.fixture_data import hash_encoder
from tests.pluginkit import plugin_path, write_plugin


def test_builtins_listed_once():
    assert sorted(label_backends("stance")) == ["nli", "supervised"]
    assert list(label_backends("sentiment")) == ["vader", "domain"]
    assert list(label_backends("theme")) == ["supervised"]
    keys = [(b.kind, b.name) for b in BUILTIN_BACKENDS]
    assert len(keys) == len(set(keys))


def test_unknown_backend_is_a_config_error():
    with pytest.raises(ConfigError, match="stance_backend 'telepathy'") as err:
        apply_params({**load_config().section("classify"), "stance_backend": "telepathy"})
    assert "use one of nli, supervised" in err.value.one_line()
    with pytest.raises(ConfigError, match="theme"):
        label_backend("theme", "nope")


PLUGIN = '''
import numpy as np
from pipeline.classify.backends import LabelBackend

def _always_favor(feats, rows, themes, taxonomy, encoder, models):
    return ["FAVOR"] * len(rows), np.full(len(rows), 0.99), "always_favor"

def _all_neutral(feats, models):
    return ["NEUTRAL"] * len(feats), np.full(len(feats), 0.5)

STANCE = LabelBackend("stance", STANCE_NAME, _always_favor, "synthetic test plugin")
SENTIMENT = LabelBackend("sentiment", "all_neutral", _all_neutral, "synthetic test plugin")
'''


@pytest.fixture
def plugin(tmp_path):
    def install(stance_name: str):
        write_plugin(tmp_path, "demo_label_plugin", f"STANCE_NAME = {stance_name!r}\n" + PLUGIN,
                     "[probation_corpus.label_backends]\n"
                     "stance = demo_label_plugin:STANCE\n"
                     "sentiment = demo_label_plugin:SENTIMENT\n")

    with plugin_path(tmp_path, "demo_label_plugin"):
        yield install


def test_plugin_backends_are_found_and_chosen_by_config(plugin, taxonomy, fitted):
    plugin("always_favor")
    assert "always_favor" in label_backends("stance") and "all_neutral" in label_backends("sentiment")
    params = apply_params({**load_config().section("classify"), "stance_backend": "always_favor"})
    models = Models(fitted["theme"], fitted["sentiment"], fitted["stance"])
    text = "The union rep was brilliant and Napo fought hard for every member in the ballot."
    out = classify_texts(["d1"], [text], taxonomy, hash_encoder, models, params)
    present = out["themes"][out["themes"]["present"]]
    assert len(present) and set(present["stance"]) == {"FAVOR"} and set(present["stance_method"]) == {"always_favor"}
    sent = out["sentiment"].set_index("method")
    assert sent.loc["all_neutral", "label"] == "NEUTRAL" and {"vader", "domain"} <= set(sent.index)
    assert np.isclose(sent.loc["all_neutral", "score"], 0.5)


def test_plugin_with_a_builtin_name_is_an_error(plugin):
    plugin("supervised")
    with pytest.raises(TypeError, match="two stance backends are called 'supervised'"):
        label_backends("stance")
