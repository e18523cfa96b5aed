"""``DatalabHandler``: what every handler of the extension shares. Errors come back as
JSON ``{"message": ...}`` in words (in French for a browser asking for it), blocking
backend calls run off the event loop, request bodies are checked JSON objects."""

import asyncio
import json
import sys

import tornado.web
from jupyter_server.base.handlers import APIHandler

from ...i18n import pick_language
from ..errors import MAX_DEPTH, ServiceError, depth


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
