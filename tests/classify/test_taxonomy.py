"""The taxonomy: defaults from the guidelines, extension from a user config file."""

from __future__ import annotations

import pytest

from pipeline.classify.apply import Models, classify_texts
from tests.classify.conftest import config_apply_params
from pipeline.classify.taxonomy import taxonomy_from_config
from pipeline.config import ConfigError, load_config
from tests.classify.fixture_data import hash_encoder

GUIDELINE_TARGETS = {
    "managerialism": "Probation's senior leadership and management culture serve the service well.",
    "napo": "Napo represents and defends its members effectively.",
    "sfo_blame": "Blame after an SFO rightly falls on the individual frontline practitioner.",
    "inspection": "HMIP inspections give a true and fair picture of probation.",
    "privatisation": "Outsourcing and privatising probation work is good for the service.",
    "prison_dominance": "Running probation inside a prison-led HMPPS is good for probation.",
    "workload": "Probation workloads and staffing are manageable.",
    "pay": "Probation staff are fairly paid.",
}

USER_FILE = '''
[[classify.extra_themes]]
name = "race_equality"
description = "Race equality and discrimination against staff and people on probation."
target = "Probation treats minority ethnic staff and people on probation fairly."
seed_terms = ["racism", "race equality", "discrimination"]
examples = ["Black officers still face more disciplinaries than white colleagues."]
'''


def test_defaults_are_the_guidelines_themes(taxonomy):
    assert {t.name: t.target for t in taxonomy} == GUIDELINE_TARGETS
    assert all(t.seed_terms and t.examples and t.description for t in taxonomy)


def test_user_adds_a_theme_without_code(tmp_path, fitted):
    cfg_file = tmp_path / "probation-corpus.toml"
    cfg_file.write_text(USER_FILE)
    section = load_config(cfg_file).section("classify")
    tax = taxonomy_from_config(section)
    assert tax.names[-1] == "race_equality" and len(tax) == 9
    # the trained model knows nothing of the new theme: seed terms and similarity decide it
    models = Models(fitted["theme"], fitted["sentiment"], fitted["stance"])
    out = classify_texts(["x"], ["Racism and discrimination against black staff is still rife."], tax,
                         hash_encoder, models, config_apply_params())
    row = out["themes"].set_index("theme").loc["race_equality"]
    assert row.present and row.method in ("seed_terms", "similarity")
    assert row.stance in ("FAVOR", "AGAINST", "NONE")
    assert out["themes"].set_index("theme").loc["napo", "method"] == "supervised"


def test_disabling_and_bad_themes(tmp_path):
    section = load_config(overrides={"classify": {"disabled_themes": ["pay"]}}).section("classify")
    assert "pay" not in taxonomy_from_config(section).names
    bad = load_config(overrides={"classify": {"extra_themes": [{"name": "Bad Name", "description": "d",
                                                                "target": "t"}]}}).section("classify")
    with pytest.raises(ValueError, match="lower-case"):
        taxonomy_from_config(bad)
    dup = load_config(overrides={"classify": {"extra_themes": [{"name": "pay", "description": "d",
                                                                "target": "t"}]}}).section("classify")
    with pytest.raises(ValueError, match="unique"):
        taxonomy_from_config(dup)
    with pytest.raises(ConfigError):
        load_config(overrides={"classify": {"extra_themes": "pay"}})
