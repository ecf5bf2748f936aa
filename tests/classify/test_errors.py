"""Errors a user can cause in classify and embed are UserErrors with a one-line what/how-to-fix."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeline.classify.apply import choose_sentiment_default
from pipeline.classify.labels import normalise_sentiment
from pipeline.classify.models import apply_params
from pipeline.classify.persist import resolve_model_dir
from pipeline.classify.taxonomy import taxonomy_from_config
from pipeline.config import ConfigError, load_config
from pipeline.embed.chunking import token_windows
from pipeline.errors import UserError

PKG = Path(__file__).resolve().parents[2] / "pipeline"

# plain ValueErrors left on purpose: programming errors (wrong call), never caused by settings or input
PROGRAMMING_ERRORS = {
    "classify/themes.py": 2, "classify/persist.py": 1, "classify/nli.py": 1, "classify/training.py": 1,
    "classify/stance.py": 2, "classify/features.py": 1,
}


def _plain_value_errors(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sum(1 for n in ast.walk(tree) if isinstance(n, ast.Raise) and n.exc is not None
               and isinstance(n.exc, ast.Call) and getattr(n.exc.func, "id", None) == "ValueError")


def test_only_programming_errors_stay_plain_value_errors():
    found = {}
    for folder in ("classify", "embed"):
        for f in sorted((PKG / folder).rglob("*.py")):
            n = _plain_value_errors(f)
            if n:
                found[f.relative_to(PKG).as_posix()] = n
    for f in ("jobs/classify.py", "jobs/embed.py"):
        assert _plain_value_errors(PKG / f) == 0, f
    assert found == PROGRAMMING_ERRORS


@pytest.mark.parametrize("call,kind,words", [
    (lambda: choose_sentiment_default("loud", None), ConfigError, "sentiment_default"),
    (lambda: choose_sentiment_default("domain", None), ConfigError, "train one"),
    (lambda: apply_params({**load_config().section("classify"), "stance_backend": "magic"}), ConfigError,
     "stance_backend"),
    (lambda: taxonomy_from_config({**load_config().section("classify"), "disabled_themes": ["nope"]}), ConfigError,
     "use theme names"),
    (lambda: resolve_model_dir(Path("/nonexistent-models"), "theme", "abc123"), UserError, "classify.theme_model"),
    (lambda: normalise_sentiment("happy"), UserError, "NEGATIVE"),
    (lambda: token_windows(10, 4, 4), UserError, "embed.chunk_overlap"),
])
def test_user_errors_say_what_and_how_to_fix_in_one_line(call, kind, words):
    with pytest.raises(kind) as err:
        call()
    assert isinstance(err.value, UserError)
    line = err.value.one_line()
    assert "\n" not in line and words in line and err.value.hint
