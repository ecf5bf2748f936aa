"""Pasted text never changes a document's labels: a comment that pastes a press release
is classified on its own words, exactly like the same comment without the paste."""

from __future__ import annotations

import pandas as pd

from pipeline.classify.apply import Models, classify_texts
from pipeline.segment import DocInput, segment_document
from tests.classify.conftest import config_apply_params
from tests.classify.fixture_data import hash_encoder
from tests.stagekit import rules_options

OWN = ("The union did nothing for me again. My caseload is over eighty and the pay award is an insult. "
       "Here is what head office calls good news:")
PRESS_RELEASE = (
    "PRESS RELEASE. The Ministry of Justice today announced a generous new pay award for probation staff, "
    "with thanks to the excellent union partnership. Ministers said staff are fairly paid and workloads are "
    "now manageable thanks to record recruitment. The award delivers outstanding value, wonderful support and "
    "a brilliant future for every practitioner, and ministers are delighted with the great progress made.")


def test_a_pasted_press_release_changes_no_label(fitted, taxonomy):
    pasted = OWN + "\n\nhttps://www.gov.uk/government/news/probation-pay-award\n\n" + PRESS_RELEASE
    seg = segment_document(DocInput("c_1", "comment", pasted), rules_options())
    assert seg.own_text.strip() == OWN  # the segment stage keeps only the author's words
    models = Models(fitted["theme"], fitted["sentiment"], fitted["stance"], sentiment_default="domain")
    out = classify_texts(["with_paste", "without"], [seg.own_text, OWN], taxonomy, hash_encoder, models,
                         config_apply_params())

    def labels(doc_id):
        th = out["themes"][out["themes"].doc_id == doc_id].drop(columns="doc_id").reset_index(drop=True)
        se = out["sentiment"][out["sentiment"].doc_id == doc_id].drop(columns="doc_id").reset_index(drop=True)
        return th, se

    (t1, s1), (t2, s2) = labels("with_paste"), labels("without")
    pd.testing.assert_frame_equal(t1, t2)
    pd.testing.assert_frame_equal(s1, s2)
    # and the paste would have changed them: the raw text reads very differently
    raw = classify_texts(["raw"], [pasted], taxonomy, hash_encoder, models, config_apply_params())
    assert not raw["sentiment"]["score"].reset_index(drop=True).equals(s1["score"])
