"""``DatalabHandler``: what every handler of the extension shares, and the user's server's
adapter of :mod:`jupyterhub_datalab.messages`: errors come back as JSON
``{"message", "en", "fr"[, "field"]}`` with ``message`` in the caller's language, blocking
backend calls run off the event loop, request bodies are checked JSON objects, settings
come from the app (``DatalabServerApp``)."""

import asyncio
import json
import sys

import tornado.web
from jupyter_server.base.handlers import APIHandler

from ...i18n import pick_language
from ...messages import DatalabError
from ..errors import MAX_DEPTH, ServiceError, depth
from ..language import chosen_language

APP = "jupyterhub_datalab"  # DatalabServerApp.name: where the app is in the web app's settings


def as_error(exc, status_code, reason):
    """The DatalabError to answer for ``exc`` (tornado's own errors and bugs included)."""
    for candidate in (exc, getattr(exc, "__cause__", None)):
        if isinstance(candidate, DatalabError):
            return candidate
    if isinstance(exc, tornado.web.MissingArgumentError):
        return ServiceError(400, f"Missing argument {exc.arg_name}.", fr=f"Argument manquant : {exc.arg_name}.")
    if status_code >= 500:
        return ServiceError(status_code, "The datalab extension failed; its log says why.",
                            fr="L'extension datalab a échoué ; son journal dit pourquoi.")
    return ServiceError(status_code, reason or "Request refused.", fr=reason or "Requête refusée.")


class DatalabHandler(APIHandler):
    @property
    def datalab(self):
        """The extension's app (``DatalabServerApp``): its settings are traits."""
        return self.settings[APP]

    def language(self):
        """The caller's language by the datalab's one rule: the person's choice (JupyterLab's
        language, once chosen in Settings > Language), else the browser's Accept-Language,
        else the hub's choice at spawn time (which fell back on the login's ``locale``)."""
        return self.asked_language() or pick_language(self.datalab.language if APP in self.settings else "")

    def asked_language(self):
        """The first two steps of that rule only (None when neither says): what calls
        forwarded to the datalab service pass on, which otherwise answers in both."""
        chosen, header = chosen_language(), self.request.headers.get("Accept-Language", "")
        return pick_language(chosen, header) if chosen or header.strip() else None

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None, None))[1]
        error = as_error(exc, status_code, self._reason)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(error.to_json(self.language())))

    def _handle_request_exception(self, e):
        if isinstance(e, DatalabError):  # bad input or a backend's refusal: words, no traceback
            if not self._finished:
                self.send_error(e.status, exc_info=sys.exc_info())
            return
        super()._handle_request_exception(e)

    async def run(self, fn, *args):
        """Run a blocking backend call off the event loop (its DatalabError is the answer)."""
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    def body(self):
        try:
            data = json.loads(self.request.body or b"{}")
        except (ValueError, RecursionError):
            raise ServiceError(400, "The request body is not valid JSON.",
                               fr="Le corps de la requête n'est pas du JSON valide.") from None
        if not isinstance(data, dict):
            raise ServiceError(400, "The request body must be a JSON object.",
                               fr="Le corps de la requête doit être un objet JSON.")
        if depth(data) > MAX_DEPTH:
            raise ServiceError(400, f"The request body nests deeper than {MAX_DEPTH} levels.",
                               fr=f"Le corps de la requête est imbriqué sur plus de {MAX_DEPTH} niveaux.")
        return data
