"""Every kind of someone else's text that turns up on the blog, caught with a reason;
and own words that look a little like them, not caught. All texts are invented
(synthetic), written for these tests."""

from __future__ import annotations

import pytest

from dataclasses import replace

from pipeline.clean.signoff import find_signoff
from pipeline.config import load_config
from pipeline.segment import DocInput, segment_document
from pipeline.segment.settings import segment_options
from tests.stagekit import rules_options


@pytest.fixture(scope="module", params=["rules", "configured"])
def opts(request):
    """The rules alone, and the configured options (rules + the paragraph classifier):
    every example must come out the same under both."""
    return rules_options() if request.param == "rules" else segment_options(load_config())


def run(text, opts, kind="comment", title=None):
    res = segment_document(DocInput("d", kind, text, title=title, signoff=find_signoff(text, 0, None, opts.signoff)), opts)
    return res, [(text[s.start:s.end], s.kind, s.signal, s.reason) for s in res.segments]


def not_own(segs):
    return [(t, k, sig, why) for t, k, sig, why in segs if k != "own"]


def assert_caught(text, opts, signal, inside, kind="comment", title=None, seg_kind="pasted"):
    """``inside`` (a piece of the other person's text) lies in a non-own segment decided
    by ``signal`` whose reason names it; and the own words are kept."""
    res, segs = run(text, opts, kind, title)
    hit = [s for s in not_own(segs) if inside in s[0]]
    assert hit, f"not caught: {inside!r} in {segs}"
    assert hit[0][2] == signal and hit[0][1] == seg_kind, hit[0]
    assert hit[0][3].startswith(signal + ":"), hit[0][3]
    assert inside not in res.own_text
    return res, segs


# --------------------------------------------------------------------------- pasted kinds

LETTER = ("Dear Ms Okafor,\n\n"
          "Thank you for your letter of 4 June about staffing in the Fenland office. I am pleased to confirm that "
          "the review of regional structures will report to Ministers in the autumn, and that no decision on the "
          "future of local offices has been taken.\n\n"
          "Yours sincerely,\n\n"
          "Gerald Pountney\n"
          "Permanent Secretary")


def test_official_letter_opening_a_comment_is_pasted(opts):
    res, segs = assert_caught(LETTER + "\n\nAnd nothing happened, as usual.", opts, "letter", "Fenland office")
    why = [w for t, k, s, w in segs if s == "letter"][0]
    assert "Dear Ms Okafor" in why and "Permanent Secretary" in why
    assert res.own_text == "And nothing happened, as usual."


def test_official_letter_inside_a_comment_is_pasted(opts):
    text = "Found this in an old file, from 2003. Plus ça change.\n\n" + LETTER
    res, _ = assert_caught(text, opts, "letter", "Thank you for your letter")
    assert res.own_text == "Found this in an old file, from 2003. Plus ça change."


REVIEW = ("Inspectors found that the quality of risk assessment was insufficient in the majority of cases "
          "inspected, and that management oversight was not effective in identifying where work fell short. "
          "Staff were committed but caseloads remained excessively high across the delivery unit.\n\n"
          "Leaders must now take urgent action to stabilise the workforce and address the backlog of "
          "unallocated cases, with clear timescales for improvement.")


def test_report_extract_without_quotation_marks_is_pasted(opts):
    text = "Latest one out today, same old story.\n\n" + REVIEW + "\n\nSame words every year. Nobody listens!"
    res, segs = assert_caught(text, opts, "report", "Inspectors found that the quality")
    assert "Leaders must now take urgent action" not in res.own_text
    assert "Same words every year. Nobody listens!" in res.own_text


def test_review_extract_opened_but_never_closed_is_pasted(opts):
    text = ("Well here we go again.\n\n"
            "“The review concluded that supervision arrangements had been applied inconsistently and that the "
            "recording of contacts fell below the expected standard in a significant number of the cases "
            "examined, with little evidence of management checks being carried out.\n\n"
            "What a surprise!")
    res, _ = assert_caught(text, opts, "open_quote", "supervision arrangements")
    assert res.own_text == "Well here we go again.\n\nWhat a surprise!"


NEWS = ("Probation staff face new targets as backlog grows\n"
        "By Helen Marchbank, Home Affairs Correspondent\n\n"
        "Probation officers in England and Wales are to be set new performance targets after figures showed "
        "the number of unallocated cases rose sharply last year.\n\n"
        "A spokesperson for the department said the measures would \"restore public confidence\" and that "
        "recruitment was ahead of plan.")


def test_news_article_with_headline_and_byline_is_pasted(opts):
    text = "Thought this was worth sharing.\n\n" + NEWS + "\n\nRecruitment ahead of plan? I'm crying laughing."
    res, segs = assert_caught(text, opts, "news", "new performance targets")
    assert "Probation staff face new targets" not in res.own_text  # the headline goes with it
    assert "Helen Marchbank" not in res.own_text
    assert res.own_text.endswith("I'm crying laughing.")


def test_column_with_its_founder_footer_is_pasted(opts):
    text = ("Worth a read, this one:\n\n"
            "Every government promises to fix the justice system, and every government leaves it in a worse "
            "state than it found it. The problem is not a lack of ideas but a lack of patience.\n\n"
            "Reform takes a decade; ministers last eighteen months. Until that changes, the service will lurch "
            "from one reorganisation to the next.\n\n"
            "Marcus Fairlie is the founder of the Centre for Justice Renewal and a former chief officer.")
    res, _ = assert_caught(text, opts, "news", "lack of patience")
    assert "Reform takes a decade" not in res.own_text and "Marcus Fairlie" not in res.own_text
    assert res.own_text == "Worth a read, this one:"


BIO = ("Dame Priya Castleton was appointed Chief Inspector in 2021. She joined the civil service in 1994 and "
       "previously served as director of rehabilitation at the Home Office, before becoming chief executive of "
       "a regional health authority in 2012.")


def test_biography_of_an_official_is_pasted(opts):
    text = "So who is in charge now? Here you go:\n\n" + BIO + "\n\nNot one day on the frontline. Figures."
    res, _ = assert_caught(text, opts, "biography", "was appointed Chief Inspector")
    assert "Not one day on the frontline. Figures." in res.own_text


def test_textbook_definitions_of_management_levels_are_pasted(opts):
    text = ("Someone asked what all these grades are for.\n\n"
            "Levels of Management\n\n"
            "Top-level management: This level consists of the board and the chief executive, who set the "
            "objectives and policies of the organisation.\n"
            "Middle-level management: These managers are responsible for carrying out the plans and policies "
            "set by the top level.\n"
            "Lower-level management: This level supervises the operational staff and reports problems upwards.\n\n"
            "In probation we seem to have about six middle levels.")
    res, segs = assert_caught(text, opts, "definitions", "Middle-level management")
    assert "Levels of Management" not in res.own_text  # its heading goes with it
    assert res.own_text.startswith("Someone asked") and res.own_text.endswith("six middle levels.")


def test_reproduced_exchange_between_other_people_is_pasted(opts):
    text = ("Overheard at the regional meeting, word for word:\n\n"
            "A: Why are these cases still unallocated?\n"
            "B: There is nobody to allocate them to.\n"
            "A: Then reallocate from the other teams.\n"
            "C: They have nobody either.\n\n"
            "And that was the strategy.")
    res, segs = assert_caught(text, opts, "exchange", "nobody to allocate them to")
    assert "A, B, C" in [w for t, k, s, w in segs if s == "exchange"][0]
    assert res.own_text.endswith("And that was the strategy.")


@pytest.mark.parametrize("intro", ["From Twitter:-", "Posted on Facebook by the regional director:", "Just tweeted:-"])
def test_tweet_or_facebook_post_after_its_introduction_is_pasted(opts, intro):
    text = (intro + "\n\n"
            "Delighted to welcome 60 new trainee officers to the region today! A fantastic start to their careers "
            "in a service that is going from strength to strength. #ProudToServe @HMPPS\n\n"
            "Going from strength to strength. You could not make it up.")
    res, segs = assert_caught(text, opts, "social_post", "Delighted to welcome")
    assert res.own_text.endswith("You could not make it up.")


def test_reader_comment_reposted_inside_a_post_is_a_quote(opts):
    text = ("Another week, another reorganisation announced by email on a Friday afternoon.\n\n"
            "A reader sent me this yesterday and it says it better than I could:-\n\n"
            "I have been a PO for eleven years and I have never felt less valued. My caseload is over ninety and "
            "my manager tells me to prioritise.\n\n"
            "I am leaving in March and I will not be the last.\n\n"
            "Tired PO")
    res, segs = assert_caught(text, opts, "repost", "never felt less valued", kind="post", seg_kind="quote")
    assert "I am leaving in March" not in res.own_text
    assert res.own_text.startswith("Another week, another reorganisation")
    assert res.republished_author == "Tired PO"


# --------------------------------------------------------------------------- own words, not caught

OWN_CONTROLS = {
    "angry practitioner": (
        "I've had it with this lot. My caseload is ninety-two, my SPO couldn't care less and the new system "
        "crashes every afternoon! Why do we bother? I'm off sick next week and I don't feel a shred of guilt."),
    "scare quotes": (
        "They call it a \"learning organisation\" and our 'excellent leaders' keep telling us it is "
        "\"business as usual\". Business as usual means drowning, as far as I can see."),
    "inspection mentioned in own words": (
        "The inspection found nothing we did not already know. Our office was rated inadequate and I am "
        "not a bit surprised, given we have had four managers in two years."),
    "colleague's story in the third person": (
        "A colleague of mine was treated appallingly at the last inspection.\n\n"
        "Two days after the visit dates were published and the sample of cases named, she was suspended "
        "while an unspecified matter was looked into, and the officer holding her case got promoted & praised."),
    "open letter of their own": "Dear Mr Hartley,\n\nYour inspections mean nothing to us on the ground.\n\nYours,\n\nAnon",
    "own numbered points": (
        "What we need:\n\n1. staff\n2. working IT\n3. managers who have held a caseload in the last ten years"),
    "mentions Twitter": "Saw the minister on Twitter today boasting about recruitment. I can't believe anyone buys it.",
    "a short dialogue of their own": "Me: can I have a reduced caseload?\nManager: no.\n\nThat's supervision now.",
    "own comment on dates": (
        "I joined in 1998 and became a PO in 2001. I have never seen morale this low, and I was there for TR."),
}


@pytest.mark.parametrize("name", sorted(OWN_CONTROLS))
def test_own_words_are_not_caught(opts, name):
    text = OWN_CONTROLS[name]
    _, segs = run(text, opts)
    assert not not_own(segs), (name, not_own(segs))


def test_every_segment_says_why(opts):
    for text in (LETTER, REVIEW, NEWS, BIO, *OWN_CONTROLS.values()):
        _, segs = run(text, opts)
        assert all(why for *_, why in segs)


def test_classifier_reason_names_its_features():
    from pipeline.segment.features import FEATURES, ParagraphModel

    # an invented model that only looks at third-person pronouns, to check the plumbing
    coef = tuple(8.0 if f == "third_person" else 0.0 for f in FEATURES)
    model = ParagraphModel(FEATURES, (0.0,) * len(FEATURES), (0.05,) * len(FEATURES), coef, -2.0)
    rules = rules_options()
    opts = replace(rules, classifier=model, classifier_threshold=0.8, classifier_min_words=5, classifier_decides=True)
    para = ("He told them that they would lose their jobs and that their work was his to give away to whoever "
            "he pleased.")
    text = "I could not believe what I read in the minutes:\n\n" + para
    res = segment_document(DocInput("d", "comment", text), opts)
    pasted = [s for s in res.segments if s.kind == "pasted"]
    assert len(pasted) == 1 and pasted[0].signal == "classifier"
    assert "third_person" in pasted[0].reason and pasted[0].score >= 0.8
    assert pasted[0].reason.endswith("after an introduction line")
    own = [s for s in res.segments if s.kind == "own"]
    assert own[0].score < 0.8 and own[0].reason.startswith("own: no rule fired; classifier p=")
    # in the middle of the author's own paragraphs, with no introduction, it is left alone
    text = "I could not believe what I read in the minutes.\n\n" + para
    assert {s.kind for s in segment_document(DocInput("d", "comment", text), opts).segments} == {"own"}
    loose = replace(rules, classifier=model, classifier_threshold=0.8, classifier_min_words=5,
                    classifier_context_only=False, classifier_decides=True)
    # and by default it only scores: the rules decide
    scoring = replace(rules, classifier=model, classifier_threshold=0.8, classifier_min_words=5)
    res = segment_document(DocInput("d", "comment", "I could not believe what I read in the minutes:\n\n" + para),
                           scoring)
    assert {s.kind for s in res.segments} == {"own"} and all(s.score is not None for s in res.segments)
    assert "pasted" in {s.kind for s in segment_document(DocInput("d", "comment", text), loose).segments}


def test_post_seen_on_twitter_note_after_it(opts):
    text = ("Meanwhile the regional director is very pleased with herself:\n\n"
            "What a week! Fantastic to visit three of our brilliant offices and see the difference our new model is "
            "making to staff and people on probation alike.\n"
            "(Seen on Twitter)\n\n"
            "Brilliant offices with no staff in them.")
    res, _ = assert_caught(text, opts, "social_post", "three of our brilliant offices")
    assert "(Seen on Twitter)" in res.own_text and res.own_text.endswith("no staff in them.")


def test_in_a_post_a_circular_after_its_introduction_runs_to_the_next_introduction(opts):
    text = ("Here is the latest from head office, and contrary to popular belief it's all wonderful:-\n\n"
            "Dear Colleague\n\n"
            "I want to thank every one of you for your hard work during a challenging year. I know how much you "
            "have given and I am proud to lead such a committed workforce.\n\n"
            "I am confident that together we will deliver the change our communities deserve.\n\n"
            "Meanwhile, a reader's comment says it all:-\n\n"
            "Proud to lead? He has never met us.")
    res, segs = run(text, opts, kind="post")
    assert "I am confident that together" not in res.own_text
    assert "I want to thank every one of you" not in res.own_text
    assert res.own_text.startswith("Here is the latest") and "Meanwhile, a reader's comment says it all:-" in res.own_text
    assert "He has never met us" not in res.own_text


def test_document_under_a_heading_at_the_start_is_pasted(opts):
    text = ("Remote Supervision Guidance – 12.04.2021\n\n"
            "Practitioners should maintain weekly telephone contact with all cases assessed as medium risk or above, "
            "and record each contact on the case management system within two working days.\n\n"
            "Face to face contact should be retained for cases subject to licence recall.\n\n"
            "Two working days. With what staff?")
    res, segs = assert_caught(text, opts, "document", "weekly telephone contact")
    assert "Remote Supervision Guidance" not in res.own_text
    assert res.own_text == "Two working days. With what staff?"


def test_a_comment_opening_with_a_short_line_of_its_own_is_not_a_document(opts):
    for text in ("Absolutely Shocking\nThe way this service treats people is a disgrace and I am sick of it.",
                 "Typical\n\nAnother reorganisation and nobody asked the people who do the work."):
        _, segs = run(text, opts)
        assert not not_own(segs), segs


def test_a_greeting_line_opening_a_comment_is_not_a_document_heading(opts):
    text = ("Well said Anon\n\n"
            "I couldn't agree more, the whole structure is rotten and nobody at the top will ever be held to "
            "account for it.\n\nSame old story.")
    _, segs = run(text, opts)
    assert not not_own(segs), segs
