"""The datalab service's error: :class:`~jupyterhub_datalab.messages.DatalabError` (an HTTP
status and a sentence in English and French) under the name its modules use."""

from ..messages import DatalabError


class ApiError(DatalabError):
    """What a person is told: ``ApiError(status, en, fr=...)``; answered as
    :meth:`~jupyterhub_datalab.messages.DatalabError.to_json` in the caller's language."""


def not_found(owner, name):
    # the same words whether it does not exist or is not theirs: outsiders learn nothing
    return ApiError(404, f"No service {owner}/{name}.", f"Aucun service {owner}/{name}.")
