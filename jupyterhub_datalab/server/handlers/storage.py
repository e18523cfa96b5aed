"""The Storage panel's calls: spaces, listing, download (streamed), delete, folders,
move, share links, preview, and uploads streamed to S3 in parts."""

import asyncio
import json
import mimetypes
from urllib.parse import quote

import tornado.web
from botocore.exceptions import BotoCoreError, ClientError

from ...messages import DatalabError, Message
from ..errors import ServiceError, integer
from ..storage import check_key, explain
from .base import DatalabHandler

PART_SIZE = 8 * 1024 * 1024  # multipart upload part; memory per upload stays near this
MAX_OBJECT_SIZE = 5 * 1024**4  # S3's own limit for one object
DOWNLOAD_CHUNK = 4 * 1024 * 1024


def _storage(handler):
    return handler.settings["datalab_storage"]  # DatalabServerApp.initialize_settings


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
            raise ServiceError(403, "Not authenticated.", fr="Non authentifié.")
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
        except (DatalabError, tornado.web.HTTPError) as e:
            # answer once the body is read: closing mid-body would break the
            # proxy's kept-alive connection for the next request
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
        self.error = explain(boto_error, Message(f"upload {self.key}", f"envoyer {self.key}"), write=last_step)
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
            raise self.error from None
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
