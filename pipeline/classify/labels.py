"""Label sets shared by theme, stance and sentiment code (the annotation guidelines)."""

from __future__ import annotations

from pipeline.classify.errors import LabelError
SENTIMENTS: tuple[str, ...] = ("NEGATIVE", "NEUTRAL", "POSITIVE")
STANCES: tuple[str, ...] = ("FAVOR", "AGAINST", "NONE")

# label_kind values in stored codes and evaluations
THEME = "theme"
STANCE = "stance"
SENTIMENT = "sentiment"
LABEL_KINDS: tuple[str, ...] = (THEME, STANCE, SENTIMENT)
# the kinds of fitted model (folders under paths.models_dir, `train --kind`)
KINDS: tuple[str, ...] = (THEME, SENTIMENT, STANCE)

PRESENT = "present"
ABSENT = "absent"


def normalise_sentiment(value: str) -> str:
    """Upper-case a sentiment label and check it is one of ``SENTIMENTS``."""
    v = str(value).strip().upper()
    if v not in SENTIMENTS:
        raise LabelError(f"sentiment {value!r} is not one of {', '.join(SENTIMENTS)}", "correct the code in the file")
    return v


def normalise_stance(value: str) -> str:
    """Upper-case a stance label (AGAINST/FAVOR/NONE; 'FAVOUR' accepted) and check it."""
    v = str(value).strip().upper()
    if v == "FAVOUR":
        v = "FAVOR"
    if v not in STANCES:
        raise LabelError(f"stance {value!r} is not one of {', '.join(STANCES)}", "correct the code in the file")
    return v
