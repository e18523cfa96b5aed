"""The demo people as tests meet them, defined once: ``alice``, ``bob`` and ``carol`` are
fixtures (conftest.py) of the module's ``stack``, each calling the API the module names in
``API`` (default ``storage``):

- ``"storage"``, ``"secrets"``, ``"services"``: that API of the person's own server, as the
  JupyterLab panel calls it (``alice("GET", "spaces")``);
- ``""``: every API of the server (``carol("GET", "storage/spaces")``);
- ``"hub"``: the person's logged-in browser session on the hub only (no server started).
"""

from .stackctl import oidc_login, start_server

APIS = ("storage", "secrets", "services", "", "hub")


class Client:
    """Calls a user's server API the way the JupyterLab panel does (cookie + XSRF)."""

    def __init__(self, stack, user, api="storage"):
        self.session = oidc_login(stack.hub_url, user, stack.password(user))
        start_server(self.session, stack.hub_url, user)
        self.base = f"{stack.hub_url}/user/{user}/datalab/api" + (f"/{api}" if api else "")
        self.user = user

    def __call__(self, method, path, **kw):
        # the current cookie: a restarted server sets a new one
        xsrf = next(c.value for c in self.session.cookies
                    if c.name == "_xsrf" and c.path.startswith(f"/user/{self.user}"))
        headers = {"X-XSRFToken": xsrf, **kw.pop("headers", {})}
        kw.setdefault("timeout", 120)
        return self.session.request(method, f"{self.base}/{path}", headers=headers, **kw)


def person(stack, user, api):
    """``user`` on ``stack`` as the module asks (see the module docstring)."""
    assert api in APIS, f"API = {api!r}: one of {APIS}"
    if api == "hub":
        return oidc_login(stack.hub_url, user, stack.password(user))
    return Client(stack, user, api=api)
