"""The faster VADER analyser gives exactly VADER's own scores (texts written for this test,
and generated SYNTHETIC comments: benchmarks/generate.py)."""

from __future__ import annotations

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from benchmarks.generate import generate
from pipeline.classify.vader import Analyzer, analyzer, vader_scores

# Negations and idioms at every distance VADER looks back (one, two and three words),
# at the start of a text, after a capitalised word, and far into a long text.
WRITTEN = [
    "Good.", "Not good.", "NOT good at all, never so bad, without doubt awful.",
    "It isn't bad. It wasn't ever really good.", "Never so happy with a target.",
    "This is not a very good plan and we aren't remotely pleased.",
    "Without doubt the worst inspection. Without any doubt the best team.",
    "No good news. No, good news! Nor happy nor sad. no one cares or loves it.",
    "The managers never seemed to care, but the staff were GREAT and kind of brilliant.",
    "At least it was not the least helpful meeting; the least said the better :)",
    " ".join(["Workloads are awful and nobody listens."] * 40 + ["Still, I am not unhappy."]),
    "",
    # idioms and booster pairs around a sentiment word, before it, after it, at the end
    "The new system is the bomb, yeah right, and a good kiss of death for honest staff.",
    "We are in the red and under the weather, kind of sad, sort of good, to die for.",
    "Morale is great, the seniors have the upper hand and cut the mustard, good luck",
    "I was so happy to break a leg and be on the ball, the bad ass good",
    " ".join(["Targets are the shit and we are in the black."] * 30),
]


def test_the_fast_analyser_scores_exactly_as_vader():
    plain, fast = SentimentIntensityAnalyzer(), Analyzer()
    texts = WRITTEN + [d.body for d in generate(400, seed=11)]
    assert [fast.polarity_scores(t) for t in texts] == [plain.polarity_scores(t) for t in texts]
    # the texts do exercise negation and idioms: some score differently once "not", or an
    # idiom's first word, is removed
    assert any(plain.polarity_scores(t) != plain.polarity_scores(t.replace("not ", "")) for t in WRITTEN)
    for word in ("kind ", "the bomb", "in the red", "the shit"):
        assert any(word in t and plain.polarity_scores(t) != plain.polarity_scores(t.replace(word, "x "))
                   for t in WRITTEN), word


def test_the_pipeline_uses_it():
    assert isinstance(analyzer(), Analyzer)
    scores = vader_scores(["Not good.", "Good."])
    assert scores[0, 3] < 0 < scores[1, 3]
