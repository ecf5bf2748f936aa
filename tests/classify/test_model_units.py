"""A model fitted on vectors of one ``embed.unit`` is never applied to vectors of the
other: "latest" picks the newest model that fits the unit in use, and a model named
outright that does not fit is refused with a clear message."""

from __future__ import annotations

import pytest

from pipeline.classify.errors import ModelFolderError
from pipeline.classify.models import card_unit, load_models
from pipeline.classify.persist import save_model
from pipeline.config import load_config

MODEL = "hash-test@0"


def _save(models_dir, run_id, created, unit):
    card = {"kind": "theme", "run_id": run_id, "created_at": created, "embedding_model": MODEL}
    if unit is not None:
        card["embedding_unit"] = unit
    save_model({"stand-in": run_id}, "theme", run_id, models_dir, card)


def _section(theme_model="latest"):
    return load_config(overrides={"classify": {"theme_model": theme_model, "sentiment_model": "none",
                                               "stance_model": "none"}}).section("classify")


def test_latest_is_the_newest_model_of_the_unit_in_use(tmp_path):
    _save(tmp_path, "old0text0000000", "2026-01-01T00:00:00", None)  # a card from before units: whole texts
    _save(tmp_path, "new0sent0000000", "2026-06-01T00:00:00", "sentences")
    models, cards = load_models(_section(), tmp_path, MODEL, "sentences")
    assert models.theme == {"stand-in": "new0sent0000000"}
    models, cards = load_models(_section(), tmp_path, MODEL, "text")
    assert models.theme == {"stand-in": "old0text0000000"} and card_unit(cards["theme"]) == "text"


def test_a_model_of_the_other_unit_is_refused(tmp_path):
    _save(tmp_path, "new0sent0000000", "2026-06-01T00:00:00", "sentences")
    with pytest.raises(ModelFolderError, match="unit 'sentences' but embed.unit is 'text'") as err:
        load_models(_section("new0sent0000000"), tmp_path, MODEL, "text")
    assert "retrain" in err.value.one_line()
    # "latest" with nothing that fits: the newest, refused the same way
    with pytest.raises(ModelFolderError, match="embed.unit is 'text'"):
        load_models(_section(), tmp_path, MODEL, "text")
