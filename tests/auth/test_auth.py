"""DatalabOAuthenticator against a real OIDC provider process and a real hub.

One `datalab up` whose demo provider behaves like ProConnect (userinfo as a signed
JWT, acr_values, short-lived access tokens) and whose hub maps groups through
patterns, allows only gouv.fr addresses and members of some projects.
"""

import json
import secrets
import time
import urllib.parse

import jwt
import pytest
import requests

from jupyterhub_datalab.names import normalize_name
from jupyterhub_datalab.tokens import TokensUnavailable, user_tokens

from ..stackctl import RunningStack, free_base_port, oidc_login, parse_forms, start_server
from ..waiting import wait_until

ADMIN_TOKEN = secrets.token_hex(16)


def agent(username, groups, email=None, **claims):
    return {"username": username, "password": f"pw-{secrets.token_hex(4)}",
            "email": email or f"{username.strip('*?').lower() or 'x'}@agents.gouv.fr",
            "name": f"{username} Agent", "given_name": username, "family_name": "Agent",
            "groups": groups, **({"claims": claims} if claims else {})}


USERS = [
    agent("ALICE", ["datalab-stats", "datalab-old-archive", "unrelated", "/datalab-geo"]),
    agent("*", ["datalab-stats"]),
    agent("b?b", ["datalab-stats"]),
    agent("dora", ["datalab-admins"]),
    agent("carol", []),
    agent("eve", ["datalab-stats"], email="eve@example.com"),
    agent("jd", ["datalab-stats"], email="jean.dupont@interieur.gouv.fr", preferred_username=None),
]

HUB_CONFIG = f"""
c.DatalabOAuthenticator.allow_all = False
c.DatalabOAuthenticator.allowed_groups = {{"stats", "admins"}}
c.DatalabOAuthenticator.admin_groups = {{"admins"}}
c.DatalabOAuthenticator.allowed_email_domains = ["gouv.fr"]
c.DatalabOAuthenticator.included_group_pattern = "datalab-.*"
c.DatalabOAuthenticator.excluded_group_pattern = ".*-archive"
c.DatalabOAuthenticator.transform_group_pattern = "datalab-(.*)"
c.DatalabOAuthenticator.transform_group_replacement = r"\\1"
c.DatalabOAuthenticator.acr_values = ["eidas1"]
c.DatalabOAuthenticator.token_refresh_margin = 300
c.DatalabOAuthenticator.auth_refresh_age = 2
c.JupyterHub.services.append({{"name": "test-admin", "api_token": "{ADMIN_TOKEN}"}})
c.JupyterHub.load_roles.append({{"name": "test-admin", "services": ["test-admin"],
    "scopes": ["admin:users", "admin:auth_state", "list:users", "admin:groups", "admin:servers"]}})
"""

# access tokens live 120 s, inside the 300 s refresh margin: every check refreshes them
PROVIDER_OVERRIDES = {"acr_values": ["eidas1"], "access_token_ttl": 120,
                      "hub_client": {"userinfo_signed_response_alg": "RS256"}}


@pytest.fixture(scope="module")
def auth_stack(tmp_path_factory):
    state = tmp_path_factory.mktemp("auth") / "state"
    (state / "oidc").mkdir(parents=True)
    (state / "hub/config.d").mkdir(parents=True)
    (state / "oidc/users.json").write_text(json.dumps(USERS))
    (state / "oidc/overrides.json").write_text(json.dumps(PROVIDER_OVERRIDES))
    (state / "hub/config.d/auth.py").write_text(HUB_CONFIG)
    running = RunningStack(state, free_base_port()).start()
    yield running
    running.stop()
    assert running.proc.returncode == 0


def admin_api(stack, path, method="GET"):
    r = requests.request(method, f"{stack.hub_url}/hub/api/{path}", timeout=30,
                         headers={"Authorization": f"token {ADMIN_TOKEN}"})
    return r


def user_model(stack, name):
    r = admin_api(stack, f"users/{name}")
    assert r.status_code == 200, r.text
    return r.json()


def page_text(response):
    """The page as a browser reads it (the hub's pages declare utf-8 in a meta tag)."""
    return response.content.decode("utf-8")


def login(stack, username):
    return oidc_login(stack.hub_url, username, stack.password(username))


def test_full_login_maps_name_and_groups_through_the_patterns(auth_stack):
    session = login(auth_stack, "ALICE")
    assert session.last_response.status_code == 200, session.last_response.text[:300]
    name = normalize_name("ALICE")
    assert name != "alice" and name.startswith("alice--")
    model = user_model(auth_stack, name)
    # datalab-stats -> stats, /datalab-geo -> geo; archive excluded, unrelated not included
    assert set(model["groups"]) == {"stats", "geo"}
    assert model["admin"] is False
    claims = model["auth_state"]["oauth_user"]
    assert claims["preferred_username"] == "ALICE"


@pytest.mark.parametrize("raw", ["*", "b?b"])
def test_wildcard_usernames_become_plain_names(auth_stack, raw):
    session = login(auth_stack, raw)
    assert session.last_response.status_code == 200
    name = normalize_name(raw)
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-") and "--" in name
    assert user_model(auth_stack, name)["groups"] == ["stats"]
    assert admin_api(auth_stack, "users/bob").status_code == 404  # b?b did not become bob


def test_username_falls_back_to_the_email_local_part(auth_stack):
    session = login(auth_stack, "jd")
    assert session.last_response.status_code == 200
    assert user_model(auth_stack, normalize_name("jean.dupont"))["groups"] == ["stats"]


def test_admin_group_makes_admins(auth_stack):
    assert login(auth_stack, "dora").last_response.status_code == 200
    model = user_model(auth_stack, "dora")
    assert model["admin"] is True and model["groups"] == ["admins"]


def test_refused_domain_shows_why_in_both_languages(auth_stack):
    r = login(auth_stack, "eve").last_response
    assert r.status_code == 403
    text = page_text(r)
    assert "gouv.fr" in text and "réservé" in text and "only open to" in text
    assert "example.com" in text
    assert admin_api(auth_stack, "users/eve").status_code == 404


def test_refused_group_shows_why_in_both_languages(auth_stack):
    r = login(auth_stack, "carol").last_response
    assert r.status_code == 403
    text = page_text(r)
    assert "admins, stats" in text and "administrateur" in text and "administrator" in text
    assert "Traceback" not in text


def test_a_replayed_callback_is_refused_with_words(auth_stack):
    """Replaying the provider's redirect (same code, same state) logs nobody in."""
    session = requests.Session()
    r = session.get(f"{auth_stack.hub_url}/hub/oauth_login", timeout=30)
    form = next(f for f in parse_forms(r.text) if "password" in f["inputs"])
    r = session.post(urllib.parse.urljoin(r.url, form["action"]), allow_redirects=False,
                     data={"username": "dora", "password": auth_stack.password("dora")})
    while "/hub/oauth_callback" not in r.headers.get("Location", ""):
        r = session.get(urllib.parse.urljoin(r.url, r.headers["Location"]), allow_redirects=False)
    callback = urllib.parse.urljoin(r.url, r.headers["Location"])
    first = session.get(callback, timeout=30)
    assert first.status_code == 200
    # an attacker holding the URL but not the browser's cookies
    thief = requests.Session()
    replay = thief.get(callback, timeout=30)
    assert replay.status_code in (400, 403), replay.status_code
    assert "Traceback" not in replay.text
    assert not any(c.name.startswith("jupyterhub-hub-login") for c in thief.cookies)


def test_userinfo_is_a_signed_jwt_and_acr_was_requested(auth_stack):
    session = login(auth_stack, "dora")
    tokens = user_model(auth_stack, "dora")["auth_state"]
    discovery = requests.get(auth_stack.endpoints["oidc_issuer"] + "/.well-known/openid-configuration").json()
    r = requests.get(discovery["userinfo_endpoint"],
                     headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert r.headers["Content-Type"].startswith("application/jwt")
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert len(claims["nonce"]) >= 32
    assert "eidas1" in discovery["acr_values_supported"]
    assert session.last_response.status_code == 200


def test_tokens_are_refreshed_before_spawn_and_servers_read_only_their_own(auth_stack):
    name = normalize_name("ALICE")
    session = login(auth_stack, "ALICE")
    start_server(session, auth_stack.hub_url, name)  # the login itself starts the server
    assert admin_api(auth_stack, f"users/{name}/server", "DELETE").status_code in (202, 204)
    wait_until(lambda: not user_model(auth_stack, name)["servers"], f"{name}'s server stopped")
    before = user_model(auth_stack, name)["auth_state"]["access_token"]
    start_server(session, auth_stack.hub_url, name)
    after = user_model(auth_stack, name)["auth_state"]["access_token"]
    assert after != before, "the access token near expiry was not refreshed before the spawn"

    env = auth_stack.server_env(name)
    tokens = user_tokens(env["JUPYTERHUB_API_URL"], env["JUPYTERHUB_API_TOKEN"])
    assert tokens["username"] == name and tokens["access_token"]
    assert jwt.decode(tokens["id_token"], options={"verify_signature": False})["preferred_username"] == "ALICE"
    assert "refresh_token" not in tokens
    for other in ("dora", normalize_name("*")):
        r = requests.get(f"{env['JUPYTERHUB_API_URL']}/users/{other}", timeout=10,
                         headers={"Authorization": f"token {env['JUPYTERHUB_API_TOKEN']}"})
        assert r.status_code in (403, 404) and "auth_state" not in r.text
    with pytest.raises(TokensUnavailable):
        user_tokens(env["JUPYTERHUB_API_URL"], "not-a-token")


def test_a_hung_provider_at_refresh_keeps_valid_tokens_and_the_spawn_goes_on(auth_stack):
    """Seen before: with the provider hung while the hub refreshed tokens before a spawn,
    the hub waited 23 s. Now the token request is bounded; tokens that still hold are kept
    (and said so in the log), and the spawn goes on with them."""
    import os
    import signal

    name = normalize_name("jean.dupont")
    session = login(auth_stack, "jd")
    start_server(session, auth_stack.hub_url, name)
    assert admin_api(auth_stack, f"users/{name}/server", "DELETE").status_code in (202, 204)
    wait_until(lambda: not user_model(auth_stack, name)["servers"], f"{name}'s server stopped")
    before = user_model(auth_stack, name)["auth_state"]
    assert before["expires_at"] - time.time() > 60, "the tokens must still hold for this test"
    pid = auth_stack.status()["components"]["oidc-provider"]
    os.kill(pid, signal.SIGSTOP)
    try:
        start_server(session, auth_stack.hub_url, name)
    finally:
        os.kill(pid, signal.SIGCONT)
    after = user_model(auth_stack, name)
    assert after["servers"][""]["ready"], after["servers"]
    assert after["auth_state"]["access_token"] == before["access_token"]
    log = (auth_stack.state_dir / "logs/jupyterhub.log").read_text(errors="replace")
    assert f"Tokens of {name} not refreshed (the identity provider does not answer)" in log


def test_a_revoked_refresh_token_sends_the_person_back_to_login(auth_stack):
    session = login(auth_stack, "b?b")
    name = normalize_name("b?b")
    refresh_token = user_model(auth_stack, name)["auth_state"]["refresh_token"]
    discovery = requests.get(auth_stack.endpoints["oidc_issuer"] + "/.well-known/openid-configuration").json()
    secret = (auth_stack.state_dir / "oidc/hub-client-secret").read_text().strip()
    revoked = requests.post(discovery["revocation_endpoint"], data={
        "token": refresh_token, "token_type_hint": "refresh_token",
        "client_id": "jupyterhub", "client_secret": secret})
    assert revoked.status_code == 200
    time.sleep(2.5)  # past auth_refresh_age: the hub checks the tokens at the next request
    home = session.get(f"{auth_stack.hub_url}/hub/home", timeout=30)
    assert "/hub/login" in home.url, (home.status_code, home.url)
    # new servers need a new login (a running server keeps its own session until it expires)
    spawn = session.get(f"{auth_stack.hub_url}/hub/spawn/{name}/second", timeout=30)
    assert "/hub/login" in spawn.url


def test_logout_ends_the_session_at_the_provider(auth_stack):
    session = login(auth_stack, "dora")
    id_token = user_model(auth_stack, "dora")["auth_state"]["id_token"]
    r = session.get(f"{auth_stack.hub_url}/hub/logout", allow_redirects=False, timeout=30)
    assert r.status_code == 302
    location = r.headers["Location"]
    discovery = requests.get(auth_stack.endpoints["oidc_issuer"] + "/.well-known/openid-configuration").json()
    assert location.startswith(discovery["end_session_endpoint"])
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert query["id_token_hint"] == id_token
    assert query["post_logout_redirect_uri"] == f"{auth_stack.hub_url}/hub/login"
    page = session.get(location, timeout=30)
    assert page.status_code == 200
    form = next(f for f in parse_forms(page.text) if "xsrf" in f["inputs"])
    done = session.post(urllib.parse.urljoin(page.url, form["action"]),
                        data={**form["inputs"], "logout": "yes"}, timeout=30)
    assert done.url.startswith(f"{auth_stack.hub_url}/hub/login")
    # logged out at the provider too: a new login asks for the password again
    again = session.get(f"{auth_stack.hub_url}/hub/oauth_login", timeout=30)
    assert any("password" in f["inputs"] for f in parse_forms(again.text))


def _s3_admin(stack):
    import boto3

    creds = json.loads((stack.state_dir / "s3/admin.json").read_text())
    return boto3.client("s3", endpoint_url=stack.endpoints["s3_endpoint"], region_name="us-east-1",
                        aws_access_key_id=creds["access_key"], aws_secret_access_key=creds["secret_key"])


def _s3_as(stack, identity_token):
    import boto3

    from jupyterhub_datalab.credentials import s3_credentials

    env = s3_credentials(identity_token, stack.endpoints["s3_endpoint"], stack.endpoints["s3_role_arn"])
    return boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                        aws_session_token=env["AWS_SESSION_TOKEN"])


@pytest.mark.parametrize("raw", ["*", "b?b", "ALICE"])
def test_hostile_usernames_never_widen_s3_access(auth_stack, raw):
    """Against the real SeaweedFS: each user reaches only user-<their normalised name>."""
    from botocore.exceptions import ClientError

    admin = _s3_admin(auth_stack)
    everyone = ["dora", normalize_name("*"), normalize_name("b?b"), normalize_name("ALICE")]
    for name in everyone:
        bucket = f"user-{name}"
        try:
            admin.create_bucket(Bucket=bucket)
        except ClientError:
            pass
        admin.put_object(Bucket=bucket, Key="private.txt", Body=f"only for {name}".encode())
    assert login(auth_stack, raw).last_response.status_code == 200
    me = normalize_name(raw)
    identity = user_model(auth_stack, me)["auth_state"]["identity_token"]
    claims = jwt.decode(identity, options={"verify_signature": False})
    assert claims["preferred_username"] == me and claims["iss"].endswith("/hub/datalab")
    s3 = _s3_as(auth_stack, identity)
    assert s3.get_object(Bucket=f"user-{me}", Key="private.txt")["Body"].read() == f"only for {me}".encode()
    s3.put_object(Bucket=f"user-{me}", Key="mine.txt", Body=b"ok")
    for other in everyone:
        if other == me:
            continue
        for attempt in (lambda: s3.get_object(Bucket=f"user-{other}", Key="private.txt"),
                        lambda: s3.list_objects_v2(Bucket=f"user-{other}"),
                        lambda: s3.put_object(Bucket=f"user-{other}", Key="x", Body=b"x"),
                        lambda: s3.delete_object(Bucket=f"user-{other}", Key="private.txt")):
            with pytest.raises(ClientError) as denied:
                attempt()
            assert denied.value.response["Error"]["Code"] in ("AccessDenied", "403")
    assert admin.get_object(Bucket="user-dora", Key="private.txt")["Body"].read() == b"only for dora"


def test_s3_trusts_only_the_hub_not_the_providers_tokens(auth_stack):
    """A provider ID token (raw username '*') is refused by STS; forged identities too."""
    from jupyterhub_datalab.credentials import CredentialsError

    login(auth_stack, "*")
    state = user_model(auth_stack, normalize_name("*"))["auth_state"]
    with pytest.raises(CredentialsError, match="refused"):
        _s3_as(auth_stack, state["id_token"])
    claims = jwt.decode(state["identity_token"], options={"verify_signature": False})
    claims["preferred_username"] = "dora"
    forged = jwt.encode(claims, "not-the-hub-key-" + "x" * 32, algorithm="HS256")
    with pytest.raises(CredentialsError, match="refused"):
        _s3_as(auth_stack, forged)
    jwks = requests.get(claims["iss"] + "/jwks", timeout=10).json()
    assert len(jwks["keys"]) == 1 and "d" not in jwks["keys"][0]


def _vault(stack, method, path, token, body=None):
    return requests.request(method, f"{stack.endpoints['vault_addr']}/v1/{path}", json=body,
                            headers={"X-Vault-Token": token}, timeout=10)


@pytest.mark.parametrize("raw", ["*", "b?b", "ALICE"])
def test_hostile_usernames_never_widen_vault_access(auth_stack, raw):
    """Against the real OpenBao: each user reaches only secret/users/<their normalised name>/."""
    from jupyterhub_datalab.credentials import vault_login

    root = json.loads((auth_stack.state_dir / "vault/init.json").read_text())["root_token"]
    everyone = ["dora", normalize_name("*"), normalize_name("b?b"), normalize_name("ALICE")]
    for name in everyone:
        r = _vault(auth_stack, "POST", f"secret/data/users/{name}/db", root, {"data": {"password": f"pw-of-{name}"}})
        assert r.status_code == 200, r.text
    assert login(auth_stack, raw).last_response.status_code == 200
    me = normalize_name(raw)
    identity = user_model(auth_stack, me)["auth_state"]["identity_token"]
    token = vault_login(identity, auth_stack.endpoints["vault_addr"])["VAULT_TOKEN"]
    mine = _vault(auth_stack, "GET", f"secret/data/users/{me}/db", token)
    assert mine.status_code == 200 and mine.json()["data"]["data"]["password"] == f"pw-of-{me}"
    assert _vault(auth_stack, "POST", f"secret/data/users/{me}/new", token, {"data": {"k": "v"}}).status_code == 200
    assert _vault(auth_stack, "LIST", f"secret/metadata/users/{me}", token).status_code == 200
    for other in everyone:
        if other == me:
            continue
        assert _vault(auth_stack, "GET", f"secret/data/users/{other}/db", token).status_code == 403
        assert _vault(auth_stack, "POST", f"secret/data/users/{other}/db", token,
                      {"data": {"password": "owned"}}).status_code == 403
        assert _vault(auth_stack, "DELETE", f"secret/metadata/users/{other}/db", token).status_code == 403
    assert _vault(auth_stack, "LIST", "secret/metadata/users", token).status_code == 403
    assert _vault(auth_stack, "GET", "secret/data/users/dora/db", root).json()["data"]["data"]["password"] == "pw-of-dora"


def test_vault_trusts_only_the_hub_not_the_providers_tokens(auth_stack):
    from jupyterhub_datalab.credentials import CredentialsError, vault_login

    login(auth_stack, "*")
    state = user_model(auth_stack, normalize_name("*"))["auth_state"]
    with pytest.raises(CredentialsError, match="refused"):
        vault_login(state["id_token"], auth_stack.endpoints["vault_addr"])
    with pytest.raises(CredentialsError, match="refused"):
        vault_login(state["identity_token"] + "x", auth_stack.endpoints["vault_addr"])
