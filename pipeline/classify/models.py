"""Which models classify applies: the fitted models the config names (checked against the
embedding model in use), the zero-shot NLI backend and the apply parameters."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.classify.errors import ModelFolderError
from pipeline.classify.apply import ApplyParams, Models, choose_sentiment_default
from pipeline.classify.backends import label_backend
from pipeline.classify.labels import KINDS
from pipeline.classify.nli import NLIStance
from pipeline.classify.persist import load_model, resolve_model_dir
from pipeline.classify.settings import ClassifySettings, classify_settings
from pipeline.classify.training import rule_params
from pipeline.config import resolve_path

def apply_params(section: Mapping[str, Any] | ClassifySettings) -> ApplyParams:
    """What ``classify_texts`` needs of the ``[classify]`` settings."""
    s = classify_settings(section)
    stance = label_backend("stance", s.stance_backend.lower()).name
    theme = label_backend("theme", s.theme_backend.lower()).name
    return ApplyParams(theme_threshold=s.theme_threshold, rules=rule_params(s), theme_backend=theme,
                       stance_backend=stance, min_chars=s.min_chars, sentences=s.sentences)


def load_nli(section: Mapping[str, Any] | ClassifySettings) -> NLIStance | None:
    """The zero-shot backend when ``classify.nli_model_dir`` is set."""
    s = classify_settings(section)
    if not s.nli_model_dir.strip():
        return None
    return NLIStance(resolve_path(s.nli_model_dir), s.nli_entailment_label, s.nli_contradiction_label,
                     s.nli_batch_size, s.nli_max_length, s.stance_min_confidence)


def card_unit(card: Mapping[str, Any]) -> str:
    """The ``embed.unit`` a model was fitted with: its card's ``embedding_unit``; a card
    written before units existed was fitted on whole texts (``"text"``)."""
    return str(card.get("embedding_unit") or "text")


def load_models(section: Mapping[str, Any] | ClassifySettings, models_dir: Path, embedding_model: str,
                embedding_unit: str) -> tuple[Models, dict[str, Any]]:
    """The models the config names, checked against the embedding model and unit in use
    (``embed.model``, ``embed.unit``): a model fitted on vectors of another model, or of
    whole texts where sentences are pooled now (or the other way), is refused.
    Returns the models and each loaded model's card by kind."""
    s = classify_settings(section)
    loaded: dict[str, Any] = {}
    cards: dict[str, Any] = {}
    versions: dict[str, str] = {}
    for kind in KINDS:
        folder = resolve_model_dir(models_dir, kind, str(getattr(s, f"{kind}_model")),
                                   fits=lambda c: (c.get("embedding_model"), card_unit(c)) == (embedding_model,
                                                                                                embedding_unit))
        if folder is None:
            continue
        model, card = load_model(folder)
        if card.get("embedding_model") != embedding_model:
            raise ModelFolderError(f"the {kind} model in {folder} was trained on {card.get('embedding_model')} "
                                   f"embeddings but embed.model gives {embedding_model}",
                                   f"retrain (`probation-corpus train`) or set classify.{kind}_model = \"none\"")
        trained_unit = card_unit(card)
        if trained_unit != embedding_unit:
            raise ModelFolderError(f"the {kind} model in {folder} was trained on vectors of the unit "
                                   f"{trained_unit!r} but embed.unit is {embedding_unit!r}",
                                   f"retrain, set embed.unit = \"{trained_unit}\", or set classify.{kind}_model = \"none\"")
        loaded[kind], cards[kind] = model, card
        versions[f"classify.{kind}"] = card.get("run_id", folder.name)
    nli = load_nli(s) if s.stance_backend.lower() == "nli" else None
    if nli is not None:
        versions["classify.stance_nli"] = nli.name
    default = choose_sentiment_default(s.sentiment_default, cards.get("sentiment"))
    versions["classify.sentiment_default"] = default
    return Models(loaded.get("theme"), loaded.get("sentiment"), loaded.get("stance"), nli, default, versions), cards
