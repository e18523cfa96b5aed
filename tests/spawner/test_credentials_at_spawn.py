"""What a user's server receives at spawn: working S3 and Vault credentials, for them only."""

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from ..stackctl import oidc_login, start_server


def assert_refused(*calls):
    """Each S3 call is refused by the server itself."""
    for call in calls:
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] in ("AccessDenied", "403"), refused.value


def _s3(env):
    return boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                        aws_session_token=env["AWS_SESSION_TOKEN"])


@pytest.fixture(scope="module")
def envs(stack):
    out = {}
    for name in ("alice", "bob", "carol"):
        session = oidc_login(stack.hub_url, name, stack.password(name))
        start_server(session, stack.hub_url, name)
        out[name] = stack.server_env(name)
    return out


def test_servers_get_the_standard_and_onyxia_variables(stack, envs):
    env = envs["alice"]
    assert env["AWS_ENDPOINT_URL"] == stack.endpoints["s3_endpoint"]
    assert env["AWS_S3_ENDPOINT"] == stack.endpoints["s3_endpoint"].split("://")[1]
    assert env["DATALAB_S3_PERSONAL"] == "s3://user-alice/"
    assert env["VAULT_ADDR"] == stack.endpoints["vault_addr"]
    assert env["VAULT_MOUNT"] == "secret" and env["VAULT_TOP_DIR"] == "users/alice"
    assert env["VAULT_PERSONAL_PATH"] == "secret/users/alice"
    admin_keys = (stack.state_dir / "s3/admin.json").read_text()
    assert env["AWS_ACCESS_KEY_ID"] not in admin_keys, "the server got the platform's keys"


def test_s3_credentials_reach_only_the_users_own_bucket(envs):
    alice, bob = _s3(envs["alice"]), _s3(envs["bob"])
    alice.put_object(Bucket="user-alice", Key="data/hello.csv", Body=b"a,b\n1,2\n")
    assert alice.get_object(Bucket="user-alice", Key="data/hello.csv")["Body"].read() == b"a,b\n1,2\n"
    assert_refused(lambda: bob.get_object(Bucket="user-alice", Key="data/hello.csv"),
                   lambda: bob.list_objects_v2(Bucket="user-alice"),
                   lambda: bob.put_object(Bucket="user-alice", Key="x", Body=b"x"),
                   lambda: alice.list_objects_v2(Bucket="user-bob"))


def vault(env, method, path, body=None):
    """A Vault call with the token a server received."""
    return requests.request(method, f"{env['VAULT_ADDR']}/v1/{path}", json=body, timeout=10,
                            headers={"X-Vault-Token": env["VAULT_TOKEN"]})


def test_vault_token_reaches_only_the_users_own_path(envs):
    alice, bob = envs["alice"], envs["bob"]
    assert vault(alice, "POST", "secret/data/users/alice/api", {"data": {"key": "s3cr3t"}}).status_code == 200
    assert vault(alice, "GET", "secret/data/users/alice/api").json()["data"]["data"] == {"key": "s3cr3t"}
    assert vault(bob, "GET", "secret/data/users/alice/api").status_code == 403
    assert vault(bob, "POST", "secret/data/users/alice/api", {"data": {"key": "x"}}).status_code == 403


def test_a_notebook_reads_and_writes_s3_with_no_configuration(stack, envs):
    """pandas (s3fs) and boto3 in alice's kernel: credentials come from the environment."""
    from ..stackctl import run_in_kernel

    session = oidc_login(stack.hub_url, "alice", stack.password("alice"))
    start_server(session, stack.hub_url, "alice")
    out = run_in_kernel(session, stack.hub_url, "alice", """
import os, boto3, pandas as pd
base = os.environ["DATALAB_S3_PERSONAL"]
pd.DataFrame({"city": ["Paris", "Lyon"], "pop": [2.1, 0.5]}).to_parquet(base + "notebook/cities.parquet")
print(pd.read_parquet(base + "notebook/cities.parquet")["pop"].sum())
s3 = boto3.client("s3")
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="user-alice", Prefix="notebook/")["Contents"]]
print(keys)
try:
    s3.list_objects_v2(Bucket="user-bob")
    print("bob readable")
except Exception as e:
    print("bob denied", type(e).__name__)
""")
    assert "2.6" in out
    assert "['notebook/cities.parquet']" in out
    assert "bob denied" in out and "bob readable" not in out


def test_project_members_share_the_project_space_and_others_do_not(envs):
    alice, bob, carol = (_s3(envs[n]) for n in ("alice", "bob", "carol"))
    assert envs["alice"]["DATALAB_S3_PROJECT_STATS"] == "s3://project-stats/"
    assert envs["bob"]["DATALAB_S3_PROJECT_STATS"] == "s3://project-stats/"
    assert not any(k.startswith("DATALAB_S3_PROJECT_") for k in envs["carol"])
    alice.put_object(Bucket="project-stats", Key="shared/report.csv", Body=b"x,y\n")
    assert bob.get_object(Bucket="project-stats", Key="shared/report.csv")["Body"].read() == b"x,y\n"
    bob.put_object(Bucket="project-stats", Key="shared/from-bob.txt", Body=b"hi")
    assert_refused(lambda: carol.get_object(Bucket="project-stats", Key="shared/report.csv"),
                   lambda: carol.list_objects_v2(Bucket="project-stats"),
                   lambda: carol.put_object(Bucket="project-stats", Key="intruder", Body=b"x"),
                   lambda: carol.create_bucket(Bucket="project-other"))


def test_project_members_share_project_secrets_and_others_do_not(envs):
    alice, bob, carol = envs["alice"], envs["bob"], envs["carol"]
    assert alice["VAULT_PROJECT_PATH_STATS"] == "secret/projects/stats"
    assert vault(alice, "POST", "secret/data/projects/stats/db", {"data": {"pw": "shared"}}).status_code == 200
    assert vault(bob, "GET", "secret/data/projects/stats/db").json()["data"]["data"] == {"pw": "shared"}
    assert vault(carol, "GET", "secret/data/projects/stats/db").status_code == 403
    assert vault(carol, "POST", "secret/data/projects/stats/db", {"data": {"pw": "x"}}).status_code == 403
    assert vault(carol, "LIST", "secret/metadata/projects").status_code == 403


def test_s3_credentials_outlast_a_working_day_and_the_panel_renews_its_own(stack, envs):
    import time

    from jupyterhub_datalab.server.storage import Storage

    env = envs["alice"]
    assert int(env["DATALAB_S3_EXPIRES_AT"]) - time.time() > 11 * 3600
    # the panel's service, its credentials expired: it renews them through the hub
    expired = {**env, "DATALAB_S3_EXPIRES_AT": str(int(time.time()) - 10),
               "AWS_SECRET_ACCESS_KEY": "expired-and-useless"}
    storage = Storage(expired)
    page = storage.list("personal")
    assert storage._creds["AWS_ACCESS_KEY_ID"] != env["AWS_ACCESS_KEY_ID"]
    assert isinstance(page["files"], list)
    refused = {**expired, "JUPYTERHUB_API_TOKEN": "revoked"}
    from jupyterhub_datalab.server.storage import StorageError

    with pytest.raises(StorageError) as info:
        Storage(refused).list("personal")
    assert info.value.status == 401 and "could not be renewed" in info.value.message
