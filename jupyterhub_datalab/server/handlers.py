"""HTTP handlers of the datalab server extension: handler -> service -> S3.

Every handler is authenticated by jupyter-server (the hub's OAuth: only the
server's owner gets in); errors come back as JSON ``{"message": ...}`` in words.
"""

import asyncio
import json
import mimetypes
import os
import sys
from urllib.parse import quote, urlencode

import tornado.web
from botocore.exceptions import BotoCoreError, ClientError
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .._version import __version__
from ..i18n import pick_language
from ..launch_urls import link
from .errors import MAX_DEPTH, ServiceError, depth, integer
from .secrets import Secrets
from .storage import Storage, StorageError, check_key, explain

PART_SIZE = 8 * 1024 * 1024  # multipart upload part; memory per upload stays near this
MAX_OBJECT_SIZE = 5 * 1024**4  # S3's own limit for one object
DOWNLOAD_CHUNK = 4 * 1024 * 1024


def _storage(handler):
    settings = handler.settings
    if "datalab_storage" not in settings:
        settings["datalab_storage"] = Storage()
    return settings["datalab_storage"]


class DatalabHandler(APIHandler):
    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        message = exc.message if isinstance(exc, ServiceError) else self._reason
        cause = exc if isinstance(exc, ServiceError) else getattr(exc, "__cause__", None)
        body = {"message": message}
        if isinstance(cause, ServiceError) and cause.fr:
            body["fr"] = cause.fr
            if pick_language(self.request.headers.get("Accept-Language", "")) == "fr":
                body["message"] = cause.fr  # the browser asks for French
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def _handle_request_exception(self, e):
        if isinstance(e, ServiceError):  # bad input checked in the handler: words, no traceback
            if not self._finished:
                self.send_error(e.status, exc_info=sys.exc_info())
            return
        super()._handle_request_exception(e)

    async def run(self, fn, *args):
        """Run a blocking backend call off the event loop; ServiceError -> HTTP error."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
        except ServiceError as e:
            raise tornado.web.HTTPError(e.status, reason=e.message) from e

    def body(self):
        try:
            data = json.loads(self.request.body or b"{}")
        except (ValueError, RecursionError):
            raise tornado.web.HTTPError(400, reason="The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(400, reason="The request body must be a JSON object.")
        if depth(data) > MAX_DEPTH:
            raise tornado.web.HTTPError(400, reason=f"The request body nests deeper than {MAX_DEPTH} levels.")
        return data


class InfoHandler(DatalabHandler):
    """Who the sidebar talks to: the datalab version and the signed-in user."""

    @tornado.web.authenticated
    def get(self):
        user = self.current_user
        name = getattr(user, "username", None) or getattr(user, "name", None) or ""
        self.finish(json.dumps({"version": __version__, "user": name}))


class SpacesHandler(DatalabHandler):
    @tornado.web.authenticated
    def get(self):
        storage = _storage(self)
        self.finish(json.dumps({"configured": storage.configured, "spaces": storage.spaces()}))


class ListHandler(DatalabHandler):
    @tornado.web.authenticated
    async def get(self, space):
        limit = integer(self.get_argument("limit", None), "limit", minimum=1)
        page = await self.run(_storage(self).list, space, self.get_argument("prefix", ""),
                              self.get_argument("token", None), limit)
        self.finish(json.dumps(page))


class ObjectHandler(DatalabHandler):
    """GET downloads (streaming), DELETE deletes a file or a folder ('/'-ended key)."""

    @tornado.web.authenticated
    async def get(self, space):
        key = self.get_argument("key")
        obj = await self.run(_storage(self).open, space, key)
        name = key.rstrip("/").rsplit("/", 1)[-1]
        self.set_header("Content-Type", mimetypes.guess_type(name)[0] or "application/octet-stream")
        self.set_header("Content-Length", str(obj["ContentLength"]))
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
        body = obj["Body"]
        loop = asyncio.get_running_loop()
        try:
            while True:
                chunk = await loop.run_in_executor(None, body.read, DOWNLOAD_CHUNK)
                if not chunk:
                    break
                self.write(chunk)
                await self.flush()
        finally:
            body.close()
        self.finish()

    @tornado.web.authenticated
    async def delete(self, space):
        result = await self.run(_storage(self).delete, space, self.get_argument("key"))
        self.finish(json.dumps(result))


class FolderHandler(DatalabHandler):
    @tornado.web.authenticated
    async def post(self, space):
        result = await self.run(_storage(self).mkdir, space, self.body().get("key"))
        self.finish(json.dumps(result))


class MoveHandler(DatalabHandler):
    @tornado.web.authenticated
    async def post(self, space):
        body = self.body()
        result = await self.run(_storage(self).move, space, body.get("source"), body.get("target"),
                                body.get("overwrite", False))
        self.finish(json.dumps(result))


class ShareHandler(DatalabHandler):
    @tornado.web.authenticated
    async def post(self, space):
        body = self.body()
        result = await self.run(_storage(self).share, space, body.get("key"),
                                body.get("expires_in", 3600))
        self.finish(json.dumps(result))


class PreviewHandler(DatalabHandler):
    @tornado.web.authenticated
    async def get(self, space):
        result = await self.run(_storage(self).preview, space, self.get_argument("key"))
        self.finish(json.dumps(result))


@tornado.web.stream_request_body
class UploadHandler(DatalabHandler):
    """PUT streams the body to S3 in parts: memory stays near one part whatever the size.

    A client that disconnects mid-way aborts the multipart upload: nothing half-written.
    """

    async def prepare(self):
        await super().prepare()
        if self.request.method != "PUT":
            return
        if self.current_user is None:
            raise tornado.web.HTTPError(403, reason="Not authenticated.")
        # streamed to S3 part by part: the server-wide body limit does not apply
        self.request.connection.set_max_body_size(MAX_OBJECT_SIZE)
        self.request.connection.set_body_timeout(3600)
        self.error = None
        try:
            space = self.path_kwargs["space"]
            self.key = check_key(self.get_argument("key"))
            self.storage = _storage(self)
            self.bucket, self.full_key = self.storage._where(space, self.key)
            self.client = await self.run(self.storage.client)
        except StorageError as e:
            # answer once the body is read: closing mid-body would break the
            # proxy's kept-alive connection for the next request
            self.error = tornado.web.HTTPError(e.status, reason=e.message)
            self.error.__cause__ = e
        except tornado.web.HTTPError as e:
            self.error = e
        self.buffer = bytearray()
        self.parts = []
        self.upload_id = None
        self.in_flight = None  # the part being sent while the next one is received
        self.done = False

    async def data_received(self, chunk):
        if self.error is not None:
            return
        self.buffer.extend(chunk)
        if len(self.buffer) >= PART_SIZE:
            try:
                await self._send_part()
            except (ClientError, BotoCoreError) as e:
                self._fail(e)

    async def _send_part(self):
        """Send the buffer as the next part, overlapping with receiving the one after.

        At most one part is in flight: memory stays near two parts whatever the size.
        """
        loop = asyncio.get_running_loop()
        if self.upload_id is None:
            answer = await loop.run_in_executor(None, lambda: self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.full_key))
            self.upload_id = answer["UploadId"]
        await self._wait_in_flight()
        data, self.buffer = bytes(self.buffer), bytearray()
        number = len(self.parts) + 1
        self.parts.append({"PartNumber": number})
        self.in_flight = (number, loop.run_in_executor(None, lambda: self.client.upload_part(
            Bucket=self.bucket, Key=self.full_key, UploadId=self.upload_id,
            PartNumber=number, Body=data)))

    async def _wait_in_flight(self):
        if self.in_flight is not None:
            number, future = self.in_flight
            self.in_flight = None
            self.parts[number - 1]["ETag"] = (await future)["ETag"]

    def _fail(self, boto_error, last_step=False):
        """Abort the upload and keep the error for the answer, once the body is read.
        ``last_step``: the object was being written; without an answer, it may be there."""
        self._abort()
        error = explain(boto_error, (f"upload {self.key}", f"envoyer {self.key}"), write=last_step)
        self.error = tornado.web.HTTPError(error.status, reason=error.message)
        self.error.__cause__ = error  # its French, for write_error
        self.buffer = bytearray()

    @tornado.web.authenticated
    async def put(self, space):
        if self.error is not None:
            raise self.error
        loop = asyncio.get_running_loop()
        try:
            if self.upload_id is None:
                data = bytes(self.buffer)
                await loop.run_in_executor(None, lambda: self.client.put_object(
                    Bucket=self.bucket, Key=self.full_key, Body=data))
            else:
                if self.buffer:
                    await self._send_part()
                await self._wait_in_flight()
                await loop.run_in_executor(None, lambda: self.client.complete_multipart_upload(
                    Bucket=self.bucket, Key=self.full_key, UploadId=self.upload_id,
                    MultipartUpload={"Parts": self.parts}))
        except (ClientError, BotoCoreError) as e:
            self._fail(e, last_step=True)
            raise self.error from self.error.__cause__
        self.done = True
        self.finish(json.dumps({"key": self.key, "size": self.request.headers.get("Content-Length")}))

    def _abort(self):
        if getattr(self, "upload_id", None) and not self.done:
            upload_id, self.upload_id = self.upload_id, None
            client, bucket, key, log = self.client, self.bucket, self.full_key, self.log

            def abort():
                try:
                    client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
                except Exception as e:  # the bucket's lifecycle cleans up what is left
                    log.warning("Could not abort upload of %s: %s", key, e)

            # in a thread: a hung S3 must not block this server's other requests
            asyncio.get_running_loop().run_in_executor(None, abort)

    def on_connection_close(self):
        self._abort()
        super().on_connection_close()


def _secrets(handler):
    settings = handler.settings
    if "datalab_secrets" not in settings:
        settings["datalab_secrets"] = Secrets()
    return settings["datalab_secrets"]


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
    except tornado.web.HTTPError:
        return
    if "datalab_injected_keys" not in settings:  # what the spawner injected
        settings["datalab_injected_keys"] = set(filter(None, os.environ.get(
            "DATALAB_INJECTED_KEYS", "").split(",")))
    for key in settings["datalab_injected_keys"] - set(env):
        os.environ.pop(key, None)
    os.environ.update(env)
    settings["datalab_injected_keys"] = set(env)


# -- companion services: the panel's calls go to the datalab hub service ----------------------

SERVICE_TIMEOUT = 30  # seconds: the service answers at once (launches go on in the background)


def service_url():
    """Where the datalab hub service is (the hub sets ``$DATALAB_SERVICE_URL``), or ''."""
    return os.environ.get("DATALAB_SERVICE_URL", "").rstrip("/")


async def call_service(method, path, body=None, query="", timeout=SERVICE_TIMEOUT):
    """(status, body bytes) of a call to the hub service as this server's owner.

    The server's own ``$JUPYTERHUB_API_TOKEN`` (scope ``access:services!service=datalab``)
    says who calls: the service acts for the server's owner, never for anybody else.
    """
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    base = service_url()
    if not base:
        raise tornado.web.HTTPError(503, reason="Companion services are not set up on this "
                                    "platform (no datalab service). / Les services ne sont pas "
                                    "configurés sur cette plateforme.")
    url = f"{base}/api/{path.lstrip('/')}" + (f"?{query}" if query else "")
    request = HTTPRequest(url, method=method, body=body, allow_nonstandard_methods=True,
                          headers={"Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}",
                                   "Content-Type": "application/json"},
                          connect_timeout=min(10, timeout), request_timeout=timeout)
    try:
        r = await AsyncHTTPClient().fetch(request, raise_error=False)
    except OSError as e:
        raise tornado.web.HTTPError(503, reason=f"The datalab service cannot be reached ({e}). / "
                                    f"Le service datalab est injoignable ({e}).") from None
    if r.code == 599:
        raise tornado.web.HTTPError(503, reason=f"The datalab service cannot be reached ({r.error}). / "
                                    f"Le service datalab est injoignable ({r.error}).")
    return r.code, r.body or b""


class ServicesForwardHandler(DatalabHandler):
    """``datalab/api/services/<path>`` -> the hub service's ``api/<path>``, as this server's owner."""

    async def forward(self, path):
        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH") else None
        status, answer = await call_service(self.request.method, path, body, self.request.query)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        if self.request.method != "GET" and status < 300:
            await refresh_service_environment(self.settings, self.log)
        self.finish(answer)

    @tornado.web.authenticated
    async def get(self, path):
        await self.forward(path)

    @tornado.web.authenticated
    async def post(self, path):
        await self.forward(path)

    @tornado.web.authenticated
    async def delete(self, path):
        await self.forward(path)


async def refresh_service_environment(settings, log):
    """New kernels see the connection variables of the owner's ready services (``api/env``).

    Called before every kernel start; variables of services gone are dropped again.
    """
    if not service_url():
        return
    try:
        status, answer = await call_service("GET", "env", timeout=5)
        env = json.loads(answer)["env"] if status == 200 else None
    except (tornado.web.HTTPError, ValueError, KeyError) as e:
        log.warning("Companion services' variables not refreshed: %s", getattr(e, "reason", e))
        return
    if env is None:
        log.warning("Companion services' variables not refreshed: HTTP %s", status)
        return
    previous = settings.get("datalab_service_keys", set())
    for key in previous - set(env):
        os.environ.pop(key, None)
    os.environ.update({k: str(v) for k, v in env.items()})
    settings["datalab_service_keys"] = set(env)


def hub_prefix():
    """The hub's URL prefix as the browser sees it (``/hub/`` under the hub's base URL)."""
    return os.environ.get("JUPYTERHUB_BASE_URL", "/").rstrip("/") + "/hub/"


class CatalogHandler(DatalabHandler):
    """``datalab/api/catalog?category=training``: the environments this user may start.

    Asked of the datalab hub service (the hub's catalog and access rules, one catalog
    model); each entry gets its launch link (``/hub/datalab/launch/<id>?server=<id>``),
    which opens the pre-filled spawn page of a server named after it. Also says where
    the documentation is (``$DATALAB_DOCS_URL``, set by ``hubconfig.configure``).
    """

    @tornado.web.authenticated
    async def get(self):
        query = {"kind": "environment"}
        category = self.get_argument("category", None)
        if category:
            query["category"] = category
        status, answer = await call_service("GET", "catalog", query=urlencode(query), timeout=30)
        try:
            data = json.loads(answer)
        except ValueError:
            data = {}
        if status != 200 or not isinstance(data.get("entries"), list):
            raise tornado.web.HTTPError(status if status >= 400 else 502, reason=data.get("message") or
                                        "The catalog could not be read. / Le catalogue n'a pas pu être lu.")
        prefix = hub_prefix()
        for entry in data["entries"]:
            entry["launch"] = link(entry["id"], server=entry["id"], hub_prefix=prefix)
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"entries": data["entries"],
                                "docs_url": os.environ.get("DATALAB_DOCS_URL", "")}))


def setup_handlers(web_app):
    base_url = web_app.settings["base_url"]
    api = url_path_join(base_url, "datalab", "api")
    space = r"/(?P<space>[a-z0-9-]{1,64})"
    web_app.add_handlers(".*$", [
        (url_path_join(api, "info"), InfoHandler),
        (url_path_join(api, "catalog"), CatalogHandler),
        (url_path_join(api, "storage", "spaces"), SpacesHandler),
        (url_path_join(api, "storage") + space + "/list", ListHandler),
        (url_path_join(api, "storage") + space + "/object", ObjectHandler),
        (url_path_join(api, "storage") + space + "/upload", UploadHandler),
        (url_path_join(api, "storage") + space + "/folder", FolderHandler),
        (url_path_join(api, "storage") + space + "/move", MoveHandler),
        (url_path_join(api, "storage") + space + "/share", ShareHandler),
        (url_path_join(api, "storage") + space + "/preview", PreviewHandler),
        (url_path_join(api, "secrets", "spaces"), SecretSpacesHandler),
        (url_path_join(api, "secrets") + space + "/list", SecretListHandler),
        (url_path_join(api, "secrets") + space + "/secret", SecretHandler),
        (url_path_join(api, "secrets") + space + "/value", SecretValueHandler),
        (url_path_join(api, "secrets") + space + r"/(?P<action>rename|restore|inject)", SecretActionHandler),
        (url_path_join(api, "services") + r"/(?P<path>.*)", ServicesForwardHandler),
    ])
