"""The datalab hub service: companion services launched from JupyterLab's Services panel.

A JupyterHub-managed service (``c.JupyterHub.services``, see ``hubconfig.service``)::

    browser ──cookie──> /services/datalab/open/<owner>/<name>/...  web UIs (proxy.py)
    panel ──> /user/<name>/datalab/api/services/... ──token──> /services/datalab/api/...

- ``app``: ``DatalabService``, its traits (backend, state dir, S3...) and the tornado app;
- ``handlers``: the REST API (``api/catalog``, ``api/services``, ``api/env``);
- ``manager``: lifecycle and access checks (owner, project members, nobody else);
- ``proxy``: the authenticated reverse proxy to web UIs (HTTP and websockets);
- ``store``: companions on disk; ``hub``: what the service asks the hub about users.
"""

from .app import DatalabService, main

__all__ = ["DatalabService", "main"]
