"""The zero-shot NLI backend: loading a user-supplied local folder and the plumbing
(tested on a tiny random-weight model the test builds; accuracy is not tested)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.classify.nli import NLIStance

WORDS = "the a union napo pay staff is are good bad fairly paid members defends its probation workload".split()


@pytest.fixture(scope="module")
def tiny_nli_dir(tmp_path_factory):
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny_nli")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS + list("abcdefghijklmnopqrstuvwxyz.,!?")
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, num_labels=3,
                        id2label={0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"},
                        label2id={"CONTRADICTION": 0, "NEUTRAL": 1, "ENTAILMENT": 2})
    BertForSequenceClassification(config).save_pretrained(folder)
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True).save_pretrained(folder)
    return folder


def test_loads_and_maps_labels(tiny_nli_dir):
    nli = NLIStance(tiny_nli_dir, "entailment", "contradiction", batch_size=2, max_length=32)
    assert (nli.entail_id, nli.contra_id) == (2, 0)
    premises = ["the union is good", "pay is bad", "staff are fairly paid", "napo defends its members"]
    hyps = ["Napo represents and defends its members effectively."] * 4
    p = nli.stance_proba(premises, hyps)
    assert p.shape == (4, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert (p >= -1e-6).all()
    labels, scores = nli.predict(premises, hyps)
    assert len(labels) == 4 and set(labels) <= {"FAVOR", "AGAINST", "NONE"}
    strict = NLIStance(tiny_nli_dir, min_confidence=1.01)
    assert strict.predict(premises, hyps)[0] == ["NONE"] * 4  # nothing is that sure


def test_bad_folders_and_labels(tmp_path, tiny_nli_dir):
    with pytest.raises(ValueError, match="not found"):
        NLIStance(tmp_path / "missing")
    with pytest.raises(ValueError, match="config.json"):
        NLIStance(tmp_path)
    with pytest.raises(ValueError, match="no label 'entails'"):
        NLIStance(tiny_nli_dir, entailment_label="entails")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ValueError, match="cannot load"):
        NLIStance(broken)


def test_nli_backend_in_classify_and_evaluate(tiny_nli_dir, fitted, fixture_set, taxonomy, params, targets):
    from pipeline.classify.apply import Models, classify_texts
    from tests.classify.conftest import config_apply_params
    from pipeline.classify.training import cv_stance
    from tests.classify.fixture_data import hash_encoder

    nli = NLIStance(tiny_nli_dir, batch_size=4, max_length=32)
    models = Models(fitted["theme"], fitted["sentiment"], fitted["stance"], nli=nli)
    out = classify_texts(["a"], ["The union rep saved my job. Join the union!"], taxonomy, hash_encoder, models,
                         config_apply_params(stance_backend="nli"))
    present = out["themes"][out["themes"].present]
    assert len(present) and set(present.stance_method) == {"nli"}
    reports = cv_stance(fixture_set, targets, params, nli, taxonomy)
    assert reports["nli"]["n"] == len(fixture_set.stance)
