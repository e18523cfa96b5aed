"""The demo agents of the embedded OIDC provider."""

import secrets

DEMO_AGENTS = [
    {"username": "alice", "name": "Alice Martin", "groups": ["stats"]},
    {"username": "bob", "name": "Bob Durand", "groups": ["stats"]},
    {"username": "carol", "name": "Carol Petit", "groups": []},
]
EMAIL_DOMAIN = "demo.gouv.fr"


def make_demo_users():
    """Demo agents with passwords generated once per state dir."""
    users = []
    for agent in DEMO_AGENTS:
        given, family = agent["name"].split(" ", 1)
        users.append({
            "username": agent["username"],
            "password": f"{agent['username']}-{secrets.token_hex(3)}",
            "email": f"{agent['username']}@{EMAIL_DOMAIN}",
            "name": agent["name"],
            "given_name": given,
            "family_name": family,
            "groups": list(agent["groups"]),
        })
    return users
