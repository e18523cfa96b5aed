"""The embedded OIDC provider (npm ``oidc-provider``, bundled at build time)."""

from .demo import make_demo_users
from .nodejs import DIST, node_command
from .process import Component, http_status

BUNDLE = DIST / "provider.mjs"
HUB_CLIENT_ID = "jupyterhub"


def demo_users(state):
    users = state.read_json("oidc/users.json")
    if users is None:
        users = make_demo_users()
        state.write_json("oidc/users.json", users)
    return users


def component(state, ports):
    command = node_command(BUNDLE.name)
    issuer = ports.url("oidc")
    hub = ports.url("proxy")
    config = {
        "issuer": issuer,
        "host": "127.0.0.1",
        "port": ports["oidc"],
        "keys_file": str(state / "oidc/jwks.json"),
        "cookie_keys_file": str(state / "oidc/cookie-keys.json"),
        "clients": [
            {
                "client_id": HUB_CLIENT_ID,
                "client_secret": state.secret("oidc/hub-client-secret"),
                "redirect_uris": [f"{hub}/hub/oauth_callback"],
                "post_logout_redirect_uris": [f"{hub}/hub/login", f"{hub}/hub/logout"],
            }
        ],
        "users": demo_users(state),
    }
    # <state-dir>/oidc/overrides.json can make the demo provider behave like another
    # one, e.g. ProConnect: {"acr_values": ["eidas1"], "id_token_ttl": 60,
    # "hub_client": {"userinfo_signed_response_alg": "RS256"}}
    overrides = dict(state.read_json("oidc/overrides.json", {}))
    config["clients"][0].update(overrides.pop("hub_client", {}))
    config.update(overrides)
    config_path = state.write_json("oidc/provider.json", config)
    discovery = f"{issuer}/.well-known/openid-configuration"
    return Component(
        "oidc-provider",
        [*command, "--config", config_path],
        state / "logs/oidc-provider.log",
        ready=lambda: http_status(discovery) == 200,
        url=issuer,
    )
