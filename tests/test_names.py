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


# -- derived names --------------------------------------------------------------------

KUBE_NAMES = ["alice", "a", "jean-dupont", normalize_name("jean.dupont"), normalize_name("ALICE"),
              normalize_name("*"), "1abc", "x" * 40, "a" * 47, "a" * 48, "a" * 49, "b---c", "-x-",
              normalize_name("é" * 30), "stats-2024"]
SERVERS = ["", "lab", "training", "my-server", "Lab", "a" * 30, "x--y", "1st"]


def kubespawner_expands(template, username, servername=""):
    """What KubeSpawner 7 itself makes of ``template`` (its own code, a stand-in spawner)."""
    from types import SimpleNamespace

    from kubespawner import KubeSpawner

    spawner = SimpleNamespace(user=SimpleNamespace(name=username, id=1), name=servername,
                              slug_scheme="safe", _namespace_default=lambda: "datalab")
    return KubeSpawner._expand_user_properties(spawner, template)


@pytest.mark.parametrize("username", KUBE_NAMES)
@pytest.mark.parametrize("servername", SERVERS)
def test_pvc_and_pod_names_are_the_ones_kubespawner_makes(username, servername):
    """Seen: for jean.dupont KubeSpawner's disk was claim-jean-dupont-c6314bcbcd---aeaf18ec
    (it hashes a name holding ``--`` again) while apps mounted claim-jean-dupont--c6314bcbcd."""
    from jupyterhub_datalab import names

    for template in ("claim-{user_server}", "claim-{username}", "jupyter-{user_server}",
                     "claim-{username}--{servername}", "{username}-{servername}-"):
        assert names.kubespawner_name(template, username, servername) == \
            kubespawner_expands(template, username, servername), (template, username, servername)
    assert names.pvc_name(username, servername) == kubespawner_expands("claim-{user_server}", username, servername)
    assert names.pod_name(username, servername) == kubespawner_expands("jupyter-{user_server}", username, servername)


def test_a_hashed_name_gets_kubespawners_own_slug():
    from jupyterhub_datalab.names import pvc_name

    owner = normalize_name("jean.dupont")
    assert "--" in owner
    assert pvc_name(owner) != f"claim-{owner}" and pvc_name(owner).startswith("claim-jean-dupont-")
    assert RFC1123.match(pvc_name(owner))
    assert pvc_name("alice") == "claim-alice" and pvc_name("alice", "lab") == "claim-alice--lab"


def test_spaces_of_a_user_and_a_project():
    from jupyterhub_datalab import names

    hashed = normalize_name("jean.dupont")
    assert names.user_namespace("alice") == "user-alice"
    assert names.user_namespace(hashed) == f"user-{hashed}"  # a platform name is not hashed twice
    assert names.user_namespace("ALICE") == f"user-{normalize_name('ALICE')}"
    assert names.project_namespace("stats") == "project-stats"
    assert names.personal_bucket("alice") == "user-alice"
    assert names.personal_bucket("alice", template="datalab-{username}") == "datalab-alice"
    assert names.project_bucket("stats") == "project-stats"
    assert names.project_bucket("stats", template="{project}-shared") == "stats-shared"
    assert names.vault_user_dir("alice") == "users/alice"
    assert names.vault_user_dir(hashed, template="{username}") == hashed
    assert names.vault_project_dir("stats") == "projects/stats"
    # a hostile raw name never reaches a policy or a path as is
    for raw in ("*", "b?b", "../bob"):
        for made in (names.personal_bucket(raw), names.vault_user_dir(raw), names.user_namespace(raw)):
            assert not set(made) & set("*?{}$") and ".." not in made, made


@pytest.mark.parametrize("raw", ["alice", "jean.dupont", "ALICE", "*", "élodie.müller@x.gouv.fr"])
def test_the_kube_spawners_namespace_is_user_namespace(raw):
    """The spawner's ``user_namespace_template`` and ``names.user_namespace`` agree."""
    from jupyterhub_datalab import names
    from jupyterhub_datalab.kubespawner import DatalabKubeSpawner

    username = normalize_name(raw)
    template = DatalabKubeSpawner._default_user_namespace_template(None)  # its @default
    assert kubespawner_expands(template, username) == names.user_namespace(username)
