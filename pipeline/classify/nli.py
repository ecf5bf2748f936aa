"""Zero-shot stance from a natural-language-inference model in a local folder.

The premise is the document's own text, the hypothesis the theme's target statement.
Entailment means FAVOR, contradiction AGAINST, anything else NONE; a winning
probability below ``min_confidence`` is NONE too. Nothing is downloaded: the folder
must hold a transformers sequence-classification model and its tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipeline.classify.errors import ClassifySettingError, ModelFolderError
from pipeline.classify.labels import STANCES
from pipeline.shards import spans


class NLIStance:
    """Loads ``model_dir`` with transformers (local files only) and maps its labels."""

    method = "nli"

    def __init__(self, model_dir: str | Path, entailment_label: str = "entailment",
                 contradiction_label: str = "contradiction", batch_size: int = 8, max_length: int = 256,
                 min_confidence: float = 0.45):
        path = Path(model_dir)
        if not path.is_dir():
            raise ModelFolderError(f"NLI model folder {path} not found (classify.nli_model_dir)",
                                   "set classify.nli_model_dir to a local transformers NLI model folder")
        if not (path / "config.json").exists():
            raise ModelFolderError(f"{path} has no config.json: not a transformers model folder",
                                   "point classify.nli_model_dir at a saved transformers model")
        from pipeline.embed.registry import reproducible_cpu_math

        reproducible_cpu_math()  # before torch's first product (see the function)
        import torch  # heavy imports only when the backend is used
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._torch = torch
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            self.model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelFolderError(f"cannot load the NLI model in {path}: {(str(exc).splitlines() or [type(exc).__name__])[0]}",
                                   "check the folder holds a complete transformers model") from exc
        self.model.eval()
        label2id = {str(k).lower(): int(v) for k, v in (self.model.config.label2id or {}).items()}
        self.entail_id = self._label_id(label2id, entailment_label, "nli_entailment_label")
        self.contra_id = self._label_id(label2id, contradiction_label, "nli_contradiction_label")
        self.batch_size = max(1, int(batch_size))
        self.max_length = int(max_length)
        self.min_confidence = float(min_confidence)
        self.name = path.name

    @staticmethod
    def _label_id(label2id: dict[str, int], label: str, key: str) -> int:
        if label.lower() not in label2id:
            raise ClassifySettingError(f"the NLI model has no label {label!r} (classify.{key}); its labels: "
                                       f"{', '.join(sorted(label2id))}", f"set classify.{key} to one of them")
        return label2id[label.lower()]

    def stance_proba(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        """(FAVOR, AGAINST, NONE) probabilities per pair; NONE takes every other label's mass."""
        if len(premises) != len(hypotheses):
            raise ValueError("premises and hypotheses differ in length")
        out = np.zeros((len(premises), len(STANCES)))
        torch = self._torch
        for start, stop in spans(len(premises), self.batch_size):
            p = list(premises[start:stop])
            h = list(hypotheses[start:stop])
            enc = self.tokenizer(p, h, truncation=True, max_length=self.max_length, padding=True,
                                 return_tensors="pt")
            with torch.no_grad():
                probs = torch.softmax(self.model(**enc).logits, dim=-1).cpu().numpy()
            fav = probs[:, self.entail_id]
            ag = probs[:, self.contra_id]
            out[start:start + len(p)] = np.column_stack([fav, ag, 1.0 - fav - ag])
        return out

    def predict(self, premises: Sequence[str], hypotheses: Sequence[str]) -> tuple[list[str], np.ndarray]:
        from pipeline.classify.stance import apply_min_confidence

        return apply_min_confidence(self.stance_proba(premises, hypotheses), self.min_confidence)
