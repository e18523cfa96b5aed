"""Share links whose lifetime is real. Seen before: links were signed with the server's STS
session, so a "7 days" link answered 403 InvalidAccessKeyId once that session ended (a
link of 3600 s died after 900 s with a short session). Here the server's sessions last 20 s
(a stack of its own: SeaweedFS's STS told so, the spawner asking no duration) and the test
waits until S3 refuses the session."""

import time
import urllib.parse

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from ..clients import Client
from ..stackctl import serve_stack

SESSION = 20  # seconds


@pytest.fixture(scope="module")
def short_stack(tmp_path_factory):
    def prepare(state):
        (state / "s3").mkdir(parents=True)
        (state / "s3/overrides.json").write_text(f'{{"tokenDuration": "{SESSION}s"}}')
        (state / "hub/config.d").mkdir(parents=True)
        # no DurationSeconds: STS's own (short) token duration applies
        (state / "hub/config.d/short-sessions.py").write_text("c.Spawner.s3_session_duration = 0\n")

    yield from serve_stack(tmp_path_factory, "short-sessions", prepare=prepare)


def test_a_seven_day_link_answers_after_the_session_it_was_asked_in_has_expired(short_stack):
    stack = short_stack
    alice = Client(stack, "alice")
    env = stack.server_env("alice")
    left = float(env["DATALAB_S3_EXPIRES_AT"]) - time.time()
    assert left < 2 * SESSION, f"the server's session is not short ({left:.0f} s): the test proves nothing"
    assert alice("PUT", "personal/upload", params={"key": "week.txt"}, data=b"for a week").status_code == 200
    r = alice("POST", "personal/share", json={"key": "week.txt", "expires_in": 7 * 24 * 3600})
    assert r.status_code == 200, r.text
    link = r.json()
    assert link["expires_in"] == 604800 and not link["capped"], link
    # the old way, for contrast: the same link signed with the server's own session
    s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                      aws_session_token=env["AWS_SESSION_TOKEN"], config=Config(signature_version="s3v4"))
    old_way = s3.generate_presigned_url("get_object", Params={"Bucket": "user-alice", "Key": "week.txt"},
                                        ExpiresIn=7 * 24 * 3600)
    assert requests.get(old_way, timeout=30).status_code == 200

    time.sleep(max(0.0, float(env["DATALAB_S3_EXPIRES_AT"]) - time.time()) + 3)
    with pytest.raises(ClientError):  # the session is over: S3 refuses it
        s3.get_object(Bucket="user-alice", Key="week.txt")
    assert requests.get(old_way, timeout=30).status_code == 403, "a session's link outlived it"
    r = requests.get(link["url"], timeout=30)
    assert r.status_code == 200 and r.content == b"for a week", (r.status_code, r.text[:300])
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link["url"]).query)
    assert "X-Amz-Security-Token" not in query
