"""What the service asks the hub with its own token: a user's projects, claims and identity token.

The service's role (``hubconfig.SERVICE_SCOPES``) lets it read users and their
``auth_state``; the identity token in it is what S3 trusts for the owner's credentials.
"""

import json
import os
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from .errors import ApiError

CACHE_SECONDS = 10


@dataclass
class Person:
    """Who calls, as the hub knows them now."""

    name: str
    groups: list = field(default_factory=list)  # normalised project names
    claims: dict = field(default_factory=dict)  # the login's claims (catalog access rules)

    def member_of(self, project):
        return bool(project) and project in self.groups


class HubUsers:
    """Users from the hub API, cached a few seconds (projects change at login only)."""

    def __init__(self, api_url=None, api_token=None, log=None):
        self.api_url = (api_url or os.environ.get("JUPYTERHUB_API_URL", "")).rstrip("/")
        self.api_token = api_token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
        self.log = log
        self._cache = {}

    async def _model(self, name):
        url = f"{self.api_url}/users/{quote(name, safe='')}"
        try:
            r = await AsyncHTTPClient().fetch(url, headers={"Authorization": f"token {self.api_token}"},
                                              request_timeout=15)
        except HTTPClientError as e:
            if e.code == 404:
                raise ApiError(404, f"No user {name}.", f"Aucun utilisateur {name}.") from None
            raise ApiError(502, f"The hub refused to describe {name} (HTTP {e.code}).",
                           f"Le hub a refusé de décrire {name} (HTTP {e.code}).") from None
        except OSError as e:
            raise ApiError(503, f"The hub cannot be reached: {e}.",
                           f"Le hub est injoignable : {e}.") from None
        return json.loads(r.body)

    async def person(self, name, fresh=False):
        cached = self._cache.get(name)
        if cached and not fresh and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        model = await self._model(name)
        auth_state = model.get("auth_state") or {}
        person = Person(name=model["name"], groups=sorted(model.get("groups") or []),
                        claims=auth_state.get("oauth_user") or {})
        self._cache[name] = (time.monotonic(), person)
        return person

    async def identity_token(self, name):
        """The owner's datalab identity token (for S3 STS), or None."""
        model = await self._model(name)
        return (model.get("auth_state") or {}).get("identity_token")
