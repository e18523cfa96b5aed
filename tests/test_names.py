"""Name normalisation: safe, stable, and collision-free."""

import itertools
import re

import pytest

from jupyterhub_datalab.names import MAX_LENGTH, normalize_name

RFC1123 = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


pytestmark = pytest.mark.unit

@pytest.mark.parametrize("raw, expected", [
    ("alice", "alice"),
    ("jean-dupont", "jean-dupont"),
    ("stats", "stats"),
    ("a1", "a1"),
])
def test_safe_names_are_kept(raw, expected):
    assert normalize_name(raw) == expected


HOSTILE = ["*", "?", "b?b", "ALICE", "Alice", "alice*", "al*ce", "../bob", "bob/..", "Jean.Dupont",
           "jean.dupont@interieur.gouv.fr", "Élodie Müller", "名前", "-alice-", "alice--x",
           "a" * 300, "x" * 41, "${jwt:sub}", "bob ", " bob", "a--b", "user-bob"[:0] + "BOB"]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_names_become_plain_labels(raw):
    name = normalize_name(raw)
    assert RFC1123.match(name) and len(name) <= MAX_LENGTH
    assert not set(name) & set("*?$/{}.@ ")
    assert normalize_name(raw) == name  # stable


def test_no_two_raw_names_share_a_result():
    raws = ["alice", "ALICE", "Alice", "alice*", "al?ce", "b?b", "bob", "BOB", "*", "?", "alice--x",
            "Jean.Dupont", "jean.dupont", "jean-dupont", "Élodie", "elodie", "x" * 41, "x" * 42]
    results = {normalize_name(r) for r in raws}
    assert len(results) == len(raws)
    for a, b in itertools.combinations(raws, 2):
        assert normalize_name(a) != normalize_name(b), (a, b)


def test_wildcards_never_survive():
    assert normalize_name("*") != "*" and "*" not in normalize_name("*")
    assert normalize_name("b?b") != "bob" and normalize_name("ALICE") != "alice"


def test_empty_names():
    assert normalize_name("") == "" and normalize_name("   ") == "" and normalize_name(None) == ""


def test_companion_suffixes_never_collide():
    """alice's own `bob-cache` and bob's shared `cache` once both gave `REDIS_*_BOB_CACHE`."""
    from jupyterhub_datalab.names import companion_suffix

    assert companion_suffix("alice", "bob-cache", "alice") == "BOB_CACHE"
    assert companion_suffix("bob", "cache", "alice") == "BOB___CACHE"
    owners = ["alice", "bob", "bob-cache", "a--1234567890", "a"]
    names = ["cache", "bob-cache", "x--abcdef1234", "x-abcdef1234", "b-cache", "cache-2"]
    seen = {}
    for owner in owners:
        for name in names:
            suffix = companion_suffix(owner, name, "alice")
            assert suffix not in seen, (owner, name, seen.get(suffix))
            seen[suffix] = (owner, name)
