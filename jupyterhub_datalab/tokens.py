"""Fresh OIDC tokens of a server's owner, read from the hub.

A single-user server (or a kernel in it) calls :func:`user_tokens` with its own
``$JUPYTERHUB_API_TOKEN``; the hub refreshes the tokens first when they near
expiry (``DatalabOAuthenticator.refresh_user``) and answers only for the
token's owner (scope ``admin:auth_state!user``).
"""

import os

import requests


class TokensUnavailable(RuntimeError):
    """The hub gave no tokens: not logged in through OIDC, or the login expired."""


def user_tokens(hub_api_url=None, api_token=None, timeout=10):
    """``{"username", "identity_token", "id_token", "access_token", "expires_at"}``.

    ``identity_token`` is what S3 STS and Vault accept (:mod:`jupyterhub_datalab.identity`).
    """
    hub_api_url = (hub_api_url or os.environ["JUPYTERHUB_API_URL"]).rstrip("/")
    api_token = api_token or os.environ["JUPYTERHUB_API_TOKEN"]
    headers = {"Authorization": f"token {api_token}"}
    # /user says who the token belongs to; only /users/{name} carries auth_state
    r = requests.get(f"{hub_api_url}/user", timeout=timeout, headers=headers)
    if r.status_code in (401, 403):
        raise TokensUnavailable("the hub refused this server's token: log in again")
    r.raise_for_status()
    name = r.json()["name"]
    r = requests.get(f"{hub_api_url}/users/{name}", timeout=timeout, headers=headers)
    r.raise_for_status()
    model = r.json()
    auth_state = model.get("auth_state") or {}
    if not auth_state.get("access_token"):
        raise TokensUnavailable(
            f"no OIDC tokens for {model.get('name')}: the hub keeps none, or they expired"
        )
    return {
        "username": model["name"],
        "identity_token": auth_state.get("identity_token"),
        "id_token": auth_state.get("id_token"),
        "access_token": auth_state["access_token"],
        "expires_at": auth_state.get("expires_at"),
    }
