from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.dedupe.minhash import (
    MinHashOptions,
    build_lsh,
    candidate_pairs,
    estimate_jaccard,
    from_bytes,
    signature,
    to_bytes,
)
from pipeline.dedupe.shingles import char_shingle_set, jaccard, shingle_table, tokenize, word_hash, word_shingles

TEXT = ("Senior leaders never carry the can for the failures of the service, they just get promoted "
        "while the frontline staff are blamed for every serious further offence review.")


def test_tokenize_offsets_and_folding():
    t = tokenize("Café NAPO’s see https://x.org/a-b now")
    assert t.words == ("cafe", "napo", "s", "see", "https://x.org/a-b", "now")
    assert "Café NAPO’s see https://x.org/a-b now"[t.starts[4]:t.ends[4]] == "https://x.org/a-b"
    # each word's hash and length, computed once here (the long one kept as 255)
    long = tokenize("ok " + "z" * 300)
    assert long.hashes.tolist() == [word_hash("ok"), word_hash("z" * 300)] and long.hashes.dtype == np.uint64
    assert long.lengths.tolist() == [2, 255] and long.lengths.dtype == np.uint8


def test_hashes_are_stable_across_runs():
    # a fixed value: stored shingle hashes must never change between versions
    assert word_hash("probation") == int.from_bytes(
        __import__("hashlib").blake2b(b"probation", digest_size=8).digest(), "little")
    a = word_shingles(tokenize(TEXT), 5)
    b = word_shingles(tokenize(TEXT.upper()), 5)
    assert a.dtype == np.uint64 and len(a) == len(tokenize(TEXT)) - 4 and (a == b).all()
    assert word_shingles(tokenize("too short"), 5).size == 0


def test_char_shingles_and_jaccard():
    a = char_shingle_set("abcdef", 5)
    assert a.size == 2
    assert jaccard(a, a) == 1.0
    assert jaccard(char_shingle_set("hello world", 5), char_shingle_set("goodbye moon", 5)) == 0.0


def test_shingle_table_columns():
    df = shingle_table(pd.DataFrame({"doc_id": ["a", "b"], "clean_text": [TEXT, "short"]}), 5)
    assert set(df["doc_id"]) == {"a"} and list(df.columns) == ["hash", "doc_id", "pos"]
    assert df["hash"].dtype == np.int64
    # texts tokenised already (the hashing shard's tokens) give the same table
    docs = pd.DataFrame({"doc_id": ["a", "b", "c"], "clean_text": [TEXT, "short", TEXT.upper() + " and more words"]})
    given = {d: tokenize(t) for d, t in zip(docs["doc_id"], docs["clean_text"])}
    pd.testing.assert_frame_equal(shingle_table(docs, 5, given), shingle_table(docs, 5))


def test_signature_roundtrip_and_estimate():
    opts = MinHashOptions(num_perm=128, seed=1, char_ngram=5, lsh_threshold=0.6)
    s1 = signature(TEXT, opts)
    assert (from_bytes(to_bytes(s1)) == s1).all()
    typo = TEXT.replace("promoted", "promotd").replace("review", "reveiw")
    true = jaccard(char_shingle_set(TEXT, 5), char_shingle_set(typo, 5))
    assert abs(estimate_jaccard(s1, signature(typo, opts)) - true) < 0.12
    assert (signature(TEXT, opts) == s1).all()  # deterministic


def test_lsh_finds_near_copy_not_unrelated():
    opts = MinHashOptions(num_perm=128, seed=1, char_ngram=5, lsh_threshold=0.6)
    sigs = {"orig": signature(TEXT, opts),
            "typo": signature(TEXT.replace("leaders", "leadres"), opts),
            "other": signature("Napo balloted its members on the pay award and most of them voted to accept.", opts)}
    lsh = build_lsh(sigs, opts)
    pairs = candidate_pairs(lsh, {"typo": sigs["typo"]}, opts)
    assert pairs == {("orig", "typo")}


def test_stored_bands_propose_the_same_candidates_as_datasketch():
    """The persisted band keys give exactly datasketch's LSH candidates (same bands and
    rows, equal band values <=> equal key)."""
    import random

    from pipeline.dedupe.minhash import MinHashOptions, band_candidates, band_table, lsh_params

    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(60)]
    base = [" ".join(rng.choice(vocab) for _ in range(40)) for _ in range(15)]
    texts = {f"d{i:02d}": t for i, t in enumerate(base)}
    for i, t in enumerate(base[:8]):  # near copies at several distances
        words = t.split()
        for j in range(0, len(words), 3 + i):
            words[j] = rng.choice(vocab)
        texts[f"v{i:02d}"] = " ".join(words)
    opts = MinHashOptions(num_perm=128, seed=1, char_ngram=5, lsh_threshold=0.6)
    sigs = {d: signature(t, opts) for d, t in texts.items()}
    bands = band_table(sigs, opts)
    assert len(bands) == len(sigs) * lsh_params(0.6, 128)[0]
    lsh = build_lsh(sigs, opts)
    for q in sorted(sigs):
        want = candidate_pairs(lsh, {q: sigs[q]}, opts)
        assert band_candidates(bands[bands["doc_id"] == q], bands) == want
    assert any(candidate_pairs(lsh, {q: sigs[q]}, opts) for q in sigs)


def test_signature_is_datasketch_update_batch():
    """``signature`` computes datasketch's ``MinHash.update_batch`` (the n-grams as their
    own hash values) on the whole array at once: the same values, for texts with no
    n-gram, a few, and more than one batch of them, and other sizes and seeds."""
    from datasketch import MinHash

    from pipeline.dedupe.minhash import SCHEME, _BATCH, MinHashOptions, signature
    from pipeline.dedupe.shingles import char_shingle_set

    rng = np.random.default_rng(3)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz    .,'"))
    texts = ["", "   ", "ab", TEXT, TEXT.upper(), "".join(rng.choice(letters, 60_000))]
    assert char_shingle_set(texts[-1], 5).size > _BATCH  # more than one batch
    for num_perm, seed, n in ((128, 1, 5), (64, 7, 4), (16, 2, 8)):
        opts = MinHashOptions(num_perm=num_perm, seed=seed, char_ngram=n, lsh_threshold=0.5)
        for text in texts:
            ref = MinHash(num_perm=num_perm, seed=seed, hashfunc=int, scheme=SCHEME)
            grams = char_shingle_set(text, n)
            if grams.size:
                ref.update_batch(grams)
            got = signature(text, opts)
            assert got.dtype == np.uint64 and got.tolist() == np.asarray(ref.hashvalues, dtype=np.uint64).tolist()
