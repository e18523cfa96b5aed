"""The storage REST API of alice's and bob's real servers, on the real SeaweedFS."""

import os
import time
import urllib.parse

import pytest
import requests

from ..clients import Client



def test_spaces_list_the_personal_bucket(alice):
    r = alice("GET", "spaces")
    assert r.status_code == 200
    spaces = r.json()["spaces"]
    assert spaces[0] == {"id": "personal", "bucket": "user-alice", "prefix": "", "url": "s3://user-alice/"}
    assert spaces[1] == {"id": "project-stats", "bucket": "project-stats", "prefix": "",
                         "url": "s3://project-stats/", "project": "stats"}
    assert len(spaces) == 2


def test_upload_list_download_move_share_delete(alice):
    data = os.urandom(20 * 1024 * 1024 + 123)  # three multipart parts
    r = alice("PUT", "personal/upload", params={"key": "demo/big.bin"}, data=data)
    assert r.status_code == 200, r.text
    assert alice("PUT", "personal/upload", params={"key": "demo/small.csv"},
                 data=b"name;age\nAda;36\nAlan;41\n").status_code == 200
    page = alice("GET", "personal/list", params={"prefix": "demo/"}).json()
    assert {f["name"]: f["size"] for f in page["files"]} == {"big.bin": len(data), "small.csv": 24}
    root = alice("GET", "personal/list").json()
    assert {"key": "demo/", "name": "demo"} in root["folders"]
    got = alice("GET", "personal/object", params={"key": "demo/big.bin"}, stream=True)
    assert got.status_code == 200 and got.content == data
    preview = alice("GET", "personal/preview", params={"key": "demo/small.csv"}).json()
    assert preview == {"columns": ["name", "age"], "rows": [["Ada", "36"], ["Alan", "41"]]}
    assert alice("POST", "personal/move", json={"source": "demo/small.csv",
                                                "target": "demo/renamed.csv"}).status_code == 200
    link = alice("POST", "personal/share", json={"key": "demo/renamed.csv", "expires_in": 120}).json()
    assert requests.get(link["url"], timeout=30).content == b"name;age\nAda;36\nAlan;41\n"
    assert alice("POST", "personal/folder", json={"key": "empty"}).json() == {"key": "empty/"}
    assert alice("DELETE", "personal/object", params={"key": "demo/"}).json() == {"deleted": 2}
    assert alice("GET", "personal/list", params={"prefix": "demo/"}).json()["files"] == []


def test_pagination_never_returns_more_than_a_page(alice, stack):
    import json

    import boto3

    creds = json.loads((stack.state_dir / "s3/admin.json").read_text())
    admin = boto3.client("s3", endpoint_url=stack.endpoints["s3_endpoint"], region_name="us-east-1",
                         aws_access_key_id=creds["access_key"], aws_secret_access_key=creds["secret_key"])
    for i in range(250):
        admin.put_object(Bucket="user-alice", Key=f"many/f{i:04d}.txt", Body=b"x")
    seen, token, pages = [], None, 0
    while True:
        params = {"prefix": "many/", "limit": 100, **({"token": token} if token else {})}
        page = alice("GET", "personal/list", params=params).json()
        assert len(page["files"]) <= 100
        seen += [f["name"] for f in page["files"]]
        pages += 1
        token = page["next_token"]
        if not token:
            break
    assert pages == 3 and len(seen) == 250 and len(set(seen)) == 250


@pytest.mark.parametrize("key, words", [
    ("../user-bob/x", ".."),
    ("a/../../x", ".."),
    ("/etc/passwd", "leading '/'"),
    ("tab\there", "control characters"),
    ("new\nline", "control characters"),
    ("x" * 2048, "too long"),
    ("a//b", "empty path segments"),
    # seen before: S3's filer refused these, answered 502 instead of the rule
    ("folder/" + "é" * 130 + ".csv", "at most 255 bytes"),
    ("windows\\path.txt", "'\\'"),
])
def test_hostile_keys_are_refused_in_words(alice, key, words):
    for method, path, kw in (("PUT", "personal/upload", {"params": {"key": key}, "data": b"x"}),
                             ("GET", "personal/object", {"params": {"key": key}}),
                             ("DELETE", "personal/object", {"params": {"key": key}})):
        r = alice(method, path, **kw)
        assert r.status_code == 400, (method, key, r.status_code, r.text[:300])
        assert words in r.json()["message"]


def test_unicode_names_stay_inside_the_space(alice):
    key = "données/été 2026/résumé ✓.txt"
    assert alice("PUT", "personal/upload", params={"key": key}, data="ok".encode()).status_code == 200
    assert alice("GET", "personal/object", params={"key": key}).content == b"ok"
    names = [f["name"] for f in alice("GET", "personal/list", params={"prefix": "données/été 2026/"}).json()["files"]]
    assert names == ["résumé ✓.txt"]


def test_bob_cannot_use_alices_spaces_or_server(alice, bob):
    assert alice("PUT", "personal/upload", params={"key": "secret.txt"}, data=b"alice only").status_code == 200
    # his own API only knows his own space
    assert bob("GET", "spaces").json()["spaces"][0]["bucket"] == "user-bob"
    assert "secret.txt" not in [f["name"] for f in bob("GET", "personal/list").json()["files"]]
    assert bob("GET", "user-alice/list").status_code == 404
    # the project space is shared: both see what either puts there
    assert alice("PUT", "project-stats/upload", params={"key": "team.txt"}, data=b"team").status_code == 200
    assert bob("GET", "project-stats/object", params={"key": "team.txt"}).content == b"team"
    # and alice's server refuses him outright
    for method, path in (("GET", "personal/list"), ("GET", "personal/object?key=secret.txt"),
                         ("DELETE", "personal/object?key=secret.txt"), ("POST", "personal/share")):
        url = alice.base + "/" + path
        r = bob.session.request(method, url, timeout=30, json={"key": "secret.txt"})
        assert r.status_code in (403, 404) or "/hub/login" in r.url, (method, path, r.status_code)
        assert b"alice only" not in r.content
    assert alice("GET", "personal/object", params={"key": "secret.txt"}).content == b"alice only"


def test_share_expiry_is_validated(alice):
    alice("PUT", "personal/upload", params={"key": "s.txt"}, data=b"s")
    for bad in (0, 10, 8 * 24 * 3600, "soon"):
        r = alice("POST", "personal/share", json={"key": "s.txt", "expires_in": bad})
        expected = "a number of seconds" if isinstance(bad, str) else "1 minute to 7 days"
        assert r.status_code == 400 and expected in r.json()["message"], (bad, r.text)
    missing = alice("POST", "personal/share", json={"key": "nope.txt", "expires_in": 120})
    assert missing.status_code == 404 and "Not found" in missing.json()["message"]
    assert urllib.parse.urlsplit(alice("POST", "personal/share", json={"key": "s.txt"}).json()["url"]).query


def test_parquet_preview_reads_the_first_rows(alice):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": list(range(1000)), "label": [f"row {i}" for i in range(1000)]}),
                   buffer, row_group_size=100)
    assert alice("PUT", "personal/upload", params={"key": "t/table.parquet"},
                 data=buffer.getvalue()).status_code == 200
    preview = alice("GET", "personal/preview", params={"key": "t/table.parquet"}).json()
    assert preview["columns"] == ["id", "label"]
    assert preview["rows"][:2] == [["0", "row 0"], ["1", "row 1"]] and len(preview["rows"]) == 20
    alice("PUT", "personal/upload", params={"key": "t/fake.parquet"}, data=b"not parquet at all")
    bad = alice("GET", "personal/preview", params={"key": "t/fake.parquet"})
    assert bad.status_code == 422 and "not a readable Parquet" in bad.json()["message"]


def test_s3_down_is_said_in_words():
    from jupyterhub_datalab.server.storage import Storage, StorageError

    storage = Storage({"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "k",
                       "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t",
                       "DATALAB_S3_PERSONAL": "s3://user-x/"})
    with pytest.raises(StorageError) as info:
        storage.list("personal")
    assert info.value.status == 503 and "cannot be reached" in info.value.message


def test_isolation_matrix_for_list_read_write_delete_share(alice, bob, carol):
    """Through the API: the owner does everything, a project member shares the project
    space, an outsider (carol, no project) reaches neither alice's space nor the project's."""
    assert alice("PUT", "personal/upload", params={"key": "m/own.txt"}, data=b"own").status_code == 200
    assert alice("PUT", "project-stats/upload", params={"key": "m/team.txt"}, data=b"team").status_code == 200
    # bob, a member of stats: list, read, write, share and delete in the project space
    assert "team.txt" in [f["name"] for f in bob("GET", "project-stats/list", params={"prefix": "m/"}).json()["files"]]
    assert bob("PUT", "project-stats/upload", params={"key": "m/bob.txt"}, data=b"bob").status_code == 200
    link = bob("POST", "project-stats/share", json={"key": "m/team.txt", "expires_in": 600})
    assert link.status_code == 200 and requests.get(link.json()["url"], timeout=30).content == b"team"
    assert bob("DELETE", "project-stats/object", params={"key": "m/bob.txt"}).status_code == 200
    # carol: no project space at all, and alice's personal space is not hers to name
    assert [s["id"] for s in carol("GET", "spaces").json()["spaces"]] == ["personal"]
    for method, path, kw in (("GET", "project-stats/list", {}),
                             ("GET", "project-stats/object", {"params": {"key": "m/team.txt"}}),
                             ("PUT", "project-stats/upload", {"params": {"key": "m/x"}, "data": b"x"}),
                             ("DELETE", "project-stats/object", {"params": {"key": "m/team.txt"}}),
                             ("POST", "project-stats/share", {"json": {"key": "m/team.txt"}}),
                             ("GET", "user-alice/list", {})):
        r = carol(method, path, **kw)
        assert r.status_code == 404, (method, path, r.status_code)
        assert b"team" not in r.content and b"own" not in r.content
    assert alice("GET", "project-stats/object", params={"key": "m/team.txt"}).content == b"team"


def test_injected_credentials_cannot_delete_or_share_what_is_not_theirs(stack, alice, bob, carol):
    """Directly with the S3 credentials each server received: delete and pre-signed links."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    def s3(user):
        env = stack.server_env(user)
        return boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                            aws_session_token=env["AWS_SESSION_TOKEN"],
                            config=Config(signature_version="s3v4"))

    # a member's own pre-signed link works: the refusals below are the policy's
    mine = s3("bob").generate_presigned_url("get_object", ExpiresIn=60,
                                            Params={"Bucket": "project-stats", "Key": "m/team.txt"})
    assert requests.get(mine, timeout=30).content == b"team"

    assert alice("PUT", "personal/upload", params={"key": "m/keep.txt"}, data=b"keep").status_code == 200
    for intruder, bucket in (("bob", "user-alice"), ("carol", "user-alice"), ("carol", "project-stats")):
        client = s3(intruder)
        key = "m/keep.txt" if bucket == "user-alice" else "m/team.txt"
        with pytest.raises(ClientError):
            client.delete_object(Bucket=bucket, Key=key)
        forged = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)
        r = requests.get(forged, timeout=30)
        assert r.status_code == 403 and r.content not in (b"keep", b"team"), (intruder, bucket)
        assert b"AccessDenied" in r.content, r.content[:200]
    assert alice("GET", "personal/object", params={"key": "m/keep.txt"}).content == b"keep"
    assert alice("GET", "project-stats/object", params={"key": "m/team.txt"}).content == b"team"


def test_a_rename_never_replaces_a_file_unless_asked(alice):
    """Seen before: a rename onto an existing object silently replaced it."""
    assert alice("PUT", "personal/upload", params={"key": "keep/a.txt"}, data=b"A").status_code == 200
    assert alice("PUT", "personal/upload", params={"key": "keep/b.txt"}, data=b"B").status_code == 200
    r = alice("POST", "personal/move", json={"source": "keep/a.txt", "target": "keep/b.txt"})
    assert r.status_code == 409 and "already exists" in r.json()["message"], r.text
    assert alice("GET", "personal/object", params={"key": "keep/b.txt"}).content == b"B"
    assert alice("GET", "personal/object", params={"key": "keep/a.txt"}).content == b"A"
    assert alice("POST", "personal/move", json={"source": "keep/a.txt", "target": "keep/b.txt",
                                                "overwrite": "yes"}).status_code == 400
    r = alice("POST", "personal/move", json={"source": "keep/a.txt", "target": "keep/b.txt", "overwrite": True})
    assert r.status_code == 200, r.text
    assert alice("GET", "personal/object", params={"key": "keep/b.txt"}).content == b"A"
    assert alice("GET", "personal/object", params={"key": "keep/a.txt"}).status_code == 404


def test_keys_written_by_a_kernel_in_another_unicode_form_are_used_as_listed(alice, stack):
    """Seen before: a key not in NFC (as macOS and some libraries write é: e + U+0301) was
    listed, then 404 on every action, and deleting its folder answered {"deleted": 0}
    keeping the data: the server normalised the key it was given."""
    import unicodedata

    import boto3

    nfd = unicodedata.normalize("NFD", "nfd/résumé.txt")
    assert nfd != unicodedata.normalize("NFC", nfd)
    server = stack.server_env("alice")
    boto3.client("s3", endpoint_url=server["AWS_ENDPOINT_URL"], region_name="us-east-1",
                 aws_access_key_id=server["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=server["AWS_SECRET_ACCESS_KEY"],
                 aws_session_token=server["AWS_SESSION_TOKEN"]).put_object(
        Bucket="user-alice", Key=nfd, Body=b"as a kernel wrote it")
    listed = alice("GET", "personal/list", params={"prefix": "nfd/"}).json()["files"]
    assert [f["key"] for f in listed] == [nfd]
    key = listed[0]["key"]
    assert alice("GET", "personal/object", params={"key": key}).content == b"as a kernel wrote it"
    assert alice("POST", "personal/share", json={"key": key, "expires_in": 600}).status_code == 200
    r = alice("POST", "personal/move", json={"source": key, "target": "nfd/moved.txt"})
    assert r.status_code == 200, r.text
    assert alice("PUT", "personal/upload", params={"key": nfd}, data=b"again").status_code == 200
    r = alice("DELETE", "personal/object", params={"key": "nfd/"})
    assert r.status_code == 200 and r.json()["deleted"] == 2, r.text
    assert alice("GET", "personal/list", params={"prefix": "nfd/"}).json()["files"] == []


def test_a_seven_day_link_does_not_die_with_the_servers_session(alice, carol, stack):
    """Seen before: links were signed with the server's STS session, so a "7 days" link
    answered 403 InvalidAccessKeyId once that session ended (an hour). Now the datalab
    service signs with its read-only identity: the link holds no session token."""
    assert alice("PUT", "personal/upload", params={"key": "week.txt"}, data=b"for a week").status_code == 200
    r = alice("POST", "personal/share", json={"key": "week.txt", "expires_in": 7 * 24 * 3600})
    assert r.status_code == 200, r.text
    link = r.json()
    assert link["expires_in"] == 604800 and not link["capped"]
    assert abs(link["expires_at"] - (time.time() + 604800)) < 120
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link["url"]).query)
    session = stack.server_env("alice")["AWS_ACCESS_KEY_ID"]
    assert "X-Amz-Security-Token" not in query, "signed with a session: it dies with it"
    assert not query["X-Amz-Credential"][0].startswith(session) and query["X-Amz-Expires"] == ["604800"]
    assert requests.get(link["url"], timeout=30).content == b"for a week"
    # the service signs only what the caller may read: carol asks it for alice's file
    services = Client(stack, "carol", api="services")
    r = services("POST", "links", json={"bucket": "user-alice", "key": "week.txt", "expires_in": 600})
    assert r.status_code == 403 and "your own space" in r.json()["message"], r.text
    r = services("POST", "links", json={"bucket": "user-carol", "key": "x", "expires_in": 10**9})
    assert r.status_code == 400 and "7 days" in r.json()["message"], r.text


def test_without_a_signer_a_link_is_cut_to_the_session_and_says_so(alice, stack):
    """Where the platform has no signing identity, the server signs with its session: the
    link is cut to what the session has left, and the answer says so (not a silent lie)."""
    from jupyterhub_datalab.server.storage import Storage

    assert alice("PUT", "personal/upload", params={"key": "short.txt"}, data=b"short").status_code == 200
    env = {k: v for k, v in stack.server_env("alice").items() if k != "DATALAB_SERVICE_URL"}
    env["DATALAB_S3_EXPIRES_AT"] = str(time.time() + 900)  # a session with 15 minutes left
    link = Storage(env).share("personal", "short.txt", 7 * 24 * 3600)
    assert link["capped"] and 600 <= link["expires_in"] <= 840, link
    assert requests.get(link["url"], timeout=30).content == b"short"
