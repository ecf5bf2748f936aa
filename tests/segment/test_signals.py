"""Each segmentation signal on a small hand-made document."""

from __future__ import annotations

from dataclasses import replace

from pipeline.clean.signoff import find_signoff
from pipeline.segment import DocInput, Match, SegmentOptions, segment_document
from tests.stagekit import clean_settings, rules_options

RULES = rules_options()


def seg(text, kind="comment", opts=RULES, **kw):
    so = find_signoff(text, 0, None, opts.signoff)
    res = segment_document(DocInput("d", kind, text, signoff=so, **kw), opts)
    return res, [(text[s.start:s.end], s.kind, s.signal, s.source_doc_id, s.author) for s in res.segments]


def kinds(segs):
    return [(t, k) for t, k, *_ in segs]


def test_plain_comment_is_all_own():
    res, segs = seg("Caseloads are through the roof.\n\nNobody is listening.")
    assert kinds(segs) == [("Caseloads are through the roof.\n\nNobody is listening.", "own")]
    assert res.own_text == "Caseloads are through the roof.\n\nNobody is listening."


def test_quote_marks_short_quote_long_pasted_scare_quotes_own():
    text = ('They call it "top draw" here. Management said "we are proud of our staff every day" today. '
            'The notice read "' + "staff must attend the mandatory session " * 8 + 'now".')
    _, segs = seg(text)
    got = [(t[:12], k) for t, k, *_ in segs]
    assert got[0] == ('They call it', "own") and '"top draw"' in segs[0][0]
    assert ('"we are prou', "quote") in got
    assert ('"staff must ', "pasted") in got


def test_text_after_url_is_pasted_until_a_caption_or_first_person():
    text = ("Shocking. Staff are being sent to prisons!\n\n"
            "https://www.example.co.uk/news/article-1.html\n\n"
            "Office staff at the regional hub are being moved into prison roles to cover a shortage of officers.\n\n"
            "A memo from the director asks every unit to release a share of its people by the month end.\n\n"
            "I think this says it all really, do you not agree with me?")
    res, segs = seg(text)
    assert kinds(segs)[0] == ("Shocking. Staff are being sent to prisons!", "own")
    assert segs[1][1:3] == ("pasted", "after_url") and segs[1][0].startswith("Office staff")
    assert segs[1][0].endswith("by the month end.")
    assert segs[2][1] == "own" and segs[2][0].startswith("I think")
    assert "https://" not in res.own_text


def test_caption_after_url_stays_own_and_headline_above_url_is_pasted():
    text = ("“Partly agreed” !!!\n\n"
            "Regional probation teams told to rebuild case supervision quickly\n"
            "https://www.example.gov.uk/press/2021/03/x/\n\n"
            "https://www.example.gov.uk/media/y.pdf\n\n"
            "from about 2016-ish")
    _, segs = seg(text)
    assert kinds(segs) == [("“Partly agreed” !!!", "own"),
                           ("Regional probation teams told to rebuild case supervision quickly", "pasted"),
                           ("from about 2016-ish", "own")]
    assert segs[1][2] == "headline"


def test_colon_dash_introduces_a_quote_or_pasted_text():
    text = "From Twitter:-\n\nThe Justice Secretary announced a new model for the service today.\n\nWhat a joke!"
    _, segs = seg(text)
    assert kinds(segs) == [("From Twitter:-", "own"),
                           ("The Justice Secretary announced a new model for the service today.", "pasted"),
                           ("What a joke!", "own")]
    text = 'Contribution left on an old blog post:-\n\n"I am a PO and I am leaving.\n\nIt is toxic."'
    _, segs = seg(text)
    assert segs[1][1:3] == ("quote", "intro_colon_dash")


def test_letter_inside_a_comment_is_pasted_with_its_signature():
    text = ("This went round all staff today, unbelievable.\n\n"
            "Dear Justin,\n\nThank you for your letter about the changes. I am pleased to confirm the plan.\n\n"
            "Yours Sincerely,\nPHIL COPPLE\nDirector General\n\n"
            "So that's all right then.")
    _, segs = seg(text)
    assert kinds(segs)[0] == ("This went round all staff today, unbelievable.", "own")
    assert segs[1][1:3] == ("pasted", "letter") and segs[1][0].startswith("Dear Justin,")
    assert segs[1][0].endswith("Director General")
    assert kinds(segs)[2] == ("So that's all right then.", "own")


def test_letter_from_the_author_is_own():
    text = "Dear Mr Jones,\n\nYour inspections mean nothing to us.\n\nYours,\n\nAnon"
    res, segs = seg(text)
    assert [k for _, k, *_ in segs] == ["own"]
    assert res.signoff_is_own and "Anon" not in res.own_text


def test_anthology_sections_are_quotes_and_intro_is_own():
    text = ("A few of the best comments this week:\n\n*******\nFirst comment text here, quite long enough.\n\n"
            "*******\nSecond comment, also by someone else.\n'Getafix\n******\nThird one.")
    res, segs = seg(text, kind="post")
    assert kinds(segs)[0] == ("A few of the best comments this week:", "own")
    assert [k for _, k, *_ in segs[1:]] == ["quote", "quote", "quote"]
    assert segs[2][4] == "Getafix"  # the section's sign-off names its author
    assert res.post_own_intro == "A few of the best comments this week:"
    assert "*" not in res.own_text


def test_anthology_text_before_the_first_separator_is_the_owners():
    text = "\n*******\n".join(["Remark number %d with a few words in it." % i for i in range(4)])
    res, segs = seg(text, kind="post")
    assert res.own_text == "Remark number 0 with a few words in it." and [k for _, k, *_ in segs] == ["own"] + ["quote"] * 3
    text = ("My own opening words on the week.\nThis one came in first:-\nA first comment by a reader.\n*******\n"
            "Another.\n*******\nA third.")
    res, segs = seg(text, kind="post")
    assert res.own_text == "My own opening words on the week.\nThis one came in first:-"
    assert [(t, k) for t, k, *_ in segs[1:]] == [("A first comment by a reader.", "quote"), ("Another.", "quote"),
                                                ("A third.", "quote")]


def test_separators_in_a_comment_are_not_an_anthology():
    _, segs = seg("One thing.\n*****\nAnother thing.\n*****\nA third.")
    assert {k for _, k, *_ in segs} == {"own"}


def test_repost_intro_and_republished_author():
    text = ("I thought this was good, so deserves a post on its own:-\n\n"
            "Dear Mr Jones,\n\nThe inspections are a sham.\n\nhttps://example.org/x\n\nNo!\n\nYours,\n\nAnon")
    res, segs = seg(text, kind="post")
    assert kinds(segs)[0] == ("I thought this was good, so deserves a post on its own:-", "own")
    assert all(k == "quote" and sig == "repost" and a == "Anon" for _, k, sig, _, a in segs[1:])
    assert res.own_text == res.post_own_intro == "I thought this was good, so deserves a post on its own:-"
    assert res.republished_author == "Anon"


def test_guest_blog_title_alone_is_the_guests_own_unless_configured():
    text = "A guest writes at length about the service."
    assert {s.kind for s in segment_document(DocInput("d", "post", text, title="Guest Blog 12"), RULES).segments} == {"own"}
    res, segs = seg(text, kind="post", opts=replace(RULES, repost_title_patterns=(r"\bguest (?:blog|post)\b",)),
                    title="Guest Blog 12")
    assert res.own_text == "" and segs[0][1:3] == ("quote", "repost")


def test_corpus_match_sets_source_and_pasted_source_stays_pasted():
    text = "As someone said earlier, the whole thing is rotten from the top to the bottom. I agree."
    m = Match(24, 79, "c_src", 0, 55)
    res = segment_document(DocInput("d", "comment", text, matches=[m]), RULES)
    q = [s for s in res.segments if s.kind != "own"]
    assert len(q) == 1 and q[0].source_doc_id == "c_src" and q[0].kind == "quote" and q[0].signal == "corpus_match"
    res = segment_document(DocInput("d", "comment", text, matches=[m]), RULES, source_kind=lambda *a: "pasted")
    assert [s.kind for s in res.segments if s.source_doc_id] == ["pasted"]


def test_earliest_source_wins_on_overlap():
    text = "Reposting: the whole thing is rotten from the top to the bottom and always was."
    ms = [Match(11, 79, "c_later", 0, 68), Match(11, 79, "c_first", 0, 68)]
    res = segment_document(DocInput("d", "comment", text, matches=ms), RULES)
    assert {s.source_doc_id for s in res.segments if s.kind != "own"} == {"c_first"}


def test_thread_quote_lookup_finds_the_quoted_comment():
    earlier = [("c4", "Our reps have stood beside dozens of members after a review. Join Napo!")]
    text = 'An odd claim:\n\n"our reps have stood beside dozens of members after a review." - Which ones?'
    res = segment_document(DocInput("d", "comment", text, earlier_thread=earlier), RULES)
    q = [s for s in res.segments if s.kind == "quote"]
    assert len(q) == 1 and q[0].source_doc_id == "c4" and q[0].signal == "thread_quote"


def test_own_text_joins_inline_pieces_with_a_space():
    res, _ = seg('They could say "this model of work is not safe" and yet they never do.')
    assert res.own_text == "They could say and yet they never do."


def test_options_from_config_and_validation():
    import pytest

    from pipeline.config import load_config

    from pipeline.config import ConfigError

    SegmentOptions.from_config(load_config().section("segment"), RULES.signoff, None)
    with pytest.raises(ConfigError, match="bad regex"):
        replace(RULES, separator_pattern="(")
    with pytest.raises(ConfigError, match=r"\[segment\] lacks pasted_min_words"):
        section = {k: v for k, v in load_config().section("segment").items() if k != "pasted_min_words"}
        SegmentOptions.from_config(section, RULES.signoff, None)


PIECES = ["word ", "I think ", "Dear Sir,\n", "Yours sincerely,\nJ SMITH\n", "\n\n", "\n", '"', "“", "”", "'",
          "said: ", "https://example.org/a\n", "*******\n", "From Twitter:-\n", "Why? ", "The report found ",
          "Anon", "The following came in yesterday:-\n\n", "x. ",
          # the kinds of issue 9
          "By Jane Smith\n", "Jane Smith is the founder of Justice Now.\n", "A: ", "B: ", "Note: ",
          "Top-level management: this level sets the objectives of the organisation\n", "(Seen on Twitter)\n",
          "#ProudToServe ", "@HMPPS ", "She was appointed director in 1999 and joined the board in 2004. ",
          "Inspectors found that the work was insufficient in the cases inspected. ", "Permanent Secretary\n",
          "A reader sent this:-\n\n", "“"]


def test_segments_are_well_formed_on_any_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pipeline.clean.text import clean_text

    from pipeline.config import load_config
    from pipeline.segment.settings import segment_options

    configured = segment_options(load_config())
    CLEAN = clean_settings().clean_options()

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join), st.sampled_from(["post", "comment"]),
           st.sampled_from([None, "Guest Blog 3"]), st.sampled_from([RULES, configured]))
    def check(raw, kind, title, opts):
        text = clean_text(raw, CLEAN)
        res = segment_document(DocInput("d", kind, text, title=title, signoff=find_signoff(text, 0, None, opts.signoff)),
                               opts)
        prev_end = 0
        for s in res.segments:
            assert prev_end <= s.start < s.end <= len(text)
            assert text[s.start:s.end] == text[s.start:s.end].strip()
            assert s.kind in ("own", "quote", "pasted")
            prev_end = s.end
        assert [s.seg_no for s in res.segments] == list(range(len(res.segments)))
        own = [text[s.start:s.end] for s in res.segments if s.kind == "own"]
        assert all(part in res.own_text for part in own)
        assert all(s.reason for s in res.segments)
        assert all(s.score is None or 0 <= s.score <= 1 for s in res.segments)

    check()
