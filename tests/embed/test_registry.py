from __future__ import annotations

import shutil

import numpy as np
import pytest

from pipeline.embed import EmbedError, content_hash, encode, load_model, model_id_for, resolve_device


def test_unknown_model_is_a_one_line_error():
    with pytest.raises(EmbedError) as err:
        load_model("some-org/some-hub-model")
    msg = str(err.value)
    assert "\n" not in msg and "only local models" in msg


def test_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(EmbedError, match="no modules.json"):
        load_model(str(tmp_path))


def test_user_folder_loads_offline_and_embeds(tiny_model_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, model_id = load_model(str(tiny_model_dir), "cpu")
    assert model_id.startswith("model@") and len(model_id.split("@")[1]) == 12
    assert load_model(str(tiny_model_dir), "cpu")[0] is model  # cached per process
    vecs = encode(["the union called a strike", "the inspection report"], str(tiny_model_dir), device="cpu")
    assert vecs.shape == (2, 32) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    again = encode(["the union called a strike"], str(tiny_model_dir), device="cpu")
    np.testing.assert_allclose(again[0], vecs[0], atol=1e-6)


def test_model_id_changes_with_the_weights(tiny_model_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_model_dir, copy)
    assert model_id_for(str(copy)).split("@")[1] == model_id_for(str(tiny_model_dir)).split("@")[1]
    with (copy / "config.json").open("a") as fh:
        fh.write("\n")
    assert model_id_for(str(copy)) != model_id_for(str(tiny_model_dir))


def test_device_choice():
    import torch

    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device(None) == resolve_device("auto")
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(EmbedError):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(EmbedError, match="no CUDA"):
            resolve_device("cuda")


def test_content_hash_is_exact_text():
    assert content_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert content_hash("abc ") != content_hash("abc")


@pytest.mark.slow
def test_default_model_embeds_meaningfully():
    vecs = encode([
        "The union balloted its members for strike action over pay.",
        "Napo members voted to strike about their pay award.",
        "The inspectorate's report found the prison kitchens dirty.",
    ])
    assert vecs.shape == (3, 384)
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2])
