"""The user's server's errors: :class:`~jupyterhub_datalab.messages.DatalabError` under the
name its modules use, and the checks of request values that answer with one."""

from ..messages import DatalabError


class ServiceError(DatalabError):
    """An error for the person using the panel: ``ServiceError(status, en, fr=...)``."""


MAX_DEPTH = 32  # nesting of a request's JSON: the panel sends 3 at most


def integer(value, field, minimum=None, maximum=None, default=None):
    """``value`` (a query argument or a JSON value) as an int, or a 400 naming ``field``.

    Seen before: ``limit=abc``, a ``cas`` of ``"x"``, ``[1]`` or ``{}``, ``version=1.5``
    each answered 500 with a traceback in the log."""
    if value is None or value == "":
        return default
    if isinstance(value, bool) or isinstance(value, (list, dict, float)):
        number = None
    else:
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
    if number is None:
        raise ServiceError(400, f"{field} must be a whole number, not {str(value)[:20]!r}.",
                           f"{field} doit être un nombre entier, pas {str(value)[:20]!r}.")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        bornes = f"entre {minimum} et {maximum}" if maximum is not None else f"au moins {minimum}"
        raise ServiceError(400, f"{field} must be {bounds}.", f"{field} doit être {bornes}.")
    return number


def depth(value, limit=MAX_DEPTH):
    """How deep ``value`` nests, stopping past ``limit``."""
    level, layer = 0, [value]
    while layer and level <= limit:
        layer = [v for item in layer if isinstance(item, (list, dict))
                 for v in (item.values() if isinstance(item, dict) else item)]
        level += 1
    return level
