"""Launch links as URLs, without JupyterHub's handlers: the user's server builds them too
(the welcome page's trainings), and it must not import the hub's ORM to do so."""

from urllib.parse import quote, urlencode

PATH = "datalab/launch"


def _join(*parts):
    return "/" + "/".join(p.strip("/") for p in parts if p.strip("/"))


def link(entry_id, options=None, server="", hub_prefix="/hub/"):
    """The launch link of an entry: ``options`` maps dotted paths to values."""
    query = {"server": server} if server else {}
    for path, value in (options or {}).items():
        query[path] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    url = _join(hub_prefix, PATH, quote(entry_id, safe=""))
    return url + (f"?{urlencode(query)}" if query else "")
