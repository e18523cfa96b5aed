"""The Secrets panel's calls: spaces, listing, describe / write / delete, values on
request, rename / restore / inject; new kernels see the injected secrets at once."""

import json
import os

import tornado.web

from ...messages import DatalabError
from ..errors import ServiceError, integer
from .base import DatalabHandler


def _secrets(handler):
    return handler.settings["datalab_secrets"]  # DatalabServerApp.initialize_settings


class SecretSpacesHandler(DatalabHandler):
    @tornado.web.authenticated
    def get(self):
        secrets = _secrets(self)
        self.finish(json.dumps({"configured": secrets.configured, "spaces": secrets.spaces()}))


class SecretListHandler(DatalabHandler):
    @tornado.web.authenticated
    async def get(self, space):
        result = await self.run(_secrets(self).list, space, self.get_argument("folder", ""))
        self.finish(json.dumps(result))


class SecretHandler(DatalabHandler):
    """GET describes (keys, versions; no values), PUT writes a new version, DELETE removes."""

    @tornado.web.authenticated
    async def get(self, space):
        result = await self.run(_secrets(self).describe, space, self.get_argument("path"))
        self.finish(json.dumps(result))

    @tornado.web.authenticated
    async def put(self, space):
        body = self.body()
        result = await self.run(_secrets(self).write, space, body.get("path"), body.get("data"),
                                integer(body.get("cas"), "cas", minimum=0))
        await refresh_kernel_environment(self)
        self.finish(json.dumps(result))

    @tornado.web.authenticated
    async def delete(self, space):
        result = await self.run(_secrets(self).delete, space, self.get_argument("path"))
        await refresh_kernel_environment(self)
        self.finish(json.dumps(result))


class SecretValueHandler(DatalabHandler):
    """The values, only when asked for (the panel hides them until then)."""

    @tornado.web.authenticated
    async def get(self, space):
        result = await self.run(_secrets(self).read, space, self.get_argument("path"),
                                integer(self.get_argument("version", None), "version", minimum=1))
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(result))


class SecretActionHandler(DatalabHandler):
    @tornado.web.authenticated
    async def post(self, space, action):
        body, secrets = self.body(), _secrets(self)
        if action == "rename":
            result = await self.run(secrets.rename, space, body.get("source"), body.get("target"))
        elif action == "restore":
            version = integer(body.get("version"), "version", minimum=1)
            if version is None:
                raise ServiceError(400, "version: which version to restore is required.",
                                   "version : la version à restaurer est requise.")
            result = await self.run(secrets.restore, space, body.get("path"), version)
        else:  # inject
            result = await self.run(secrets.set_injected, space, body.get("path"), body.get("injected"))
        await refresh_kernel_environment(self)
        self.finish(json.dumps(result))


async def refresh_kernel_environment(handler):
    """New kernels see the marked secrets at once: they inherit this process's environment."""
    settings = handler.settings
    try:
        env = await handler.run(_secrets(handler).injected_environment)
    except DatalabError:
        return
    # at first what the spawner injected (DatalabServerApp.injected_keys)
    for key in settings["datalab_injected_keys"] - set(env):
        os.environ.pop(key, None)
    os.environ.update(env)
    settings["datalab_injected_keys"] = set(env)
