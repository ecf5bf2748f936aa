"""Keyed-hash pseudonyms and the key file (invented handles)."""

from __future__ import annotations

import os
import stat

import pytest

from pipeline.errors import UserError
from pipeline.quotes.pseudonym import Pseudonymiser, load_or_create_key, pseudonym


def test_key_file_is_created_private_once_and_reused(tmp_path):
    path = tmp_path / "keys" / "pseudonym.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    assert load_or_create_key(tmp_path / "other.key") != key


def test_key_file_readable_by_others_or_garbled_is_refused(tmp_path):
    path = tmp_path / "k"
    load_or_create_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(UserError, match="chmod 600"):
        load_or_create_key(path)
    os.chmod(path, 0o600)
    path.write_text("not a key\n")
    with pytest.raises(UserError, match="does not hold a hex key"):
        load_or_create_key(path)


def test_pseudonyms_are_stable_keyed_and_fold_spelling():
    k1, k2 = b"\x01" * 32, b"\x02" * 32
    assert pseudonym("Hedge Sparrow", k1) == pseudonym("  hedge   SPARROW ", k1) == pseudonym("@Hedge Sparrow", k1)
    assert pseudonym("Hedge Sparrow", k1) != pseudonym("Hedge Sparrow", k2)
    assert pseudonym("Hedge Sparrow", k1) != pseudonym("Wren", k1)
    assert pseudonym("Wren", k1).startswith("Author-")


def test_handles_inside_text_are_replaced_longest_first_and_anonymous_stays():
    p = Pseudonymiser(b"\x03" * 32, ["Hedge Sparrow", "Hedge", "Wren_PO", "Anonymous"], keep=["Anonymous", "Anon"])
    out = p.text("Thanks @Wren_PO and hedge sparrow; Hedge agrees. Hedgerow and Wren_POs are not handles.")
    assert "Wren_PO " not in out and "hedge sparrow" not in out and "Hedge agrees" not in out
    assert f"[{pseudonym('Wren_PO', p.key)}]" in out and f"[{pseudonym('Hedge Sparrow', p.key)}]" in out
    assert "Hedgerow" in out and "Wren_POs" in out
    assert p.author("Anonymous") == "Anonymous" and p.author("Anon") == "Anonymous" and p.author(None) == "Anonymous"
    assert p.author("Wren_PO") == pseudonym("Wren_PO", p.key)
    assert p.text("Anonymous said so") == "Anonymous said so"


def test_one_and_two_letter_handles_are_not_replaced_inside_text():
    p = Pseudonymiser(b"\x04" * 32, ["A", "JS", "Kit"])
    assert p.text("A cat and JS and Kit.") == f"A cat and JS and [{pseudonym('Kit', p.key)}]."
    assert p.author("JS") == pseudonym("JS", p.key)
