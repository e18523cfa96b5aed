"""Named servers count toward ``named_server_limit_per_user`` only once they ran.

JupyterHub keeps a named server's record from the moment its spawn page is opened, and
keeps it when the start is refused, so records nobody started count toward the limit
(seen: five cross-site links such as ``/hub/spawn/alice/x1?x=1``, each refused, locked
alice out of new servers). The datalab's spawners mark in their state the servers that
started once (``STARTED``); the limit's callable forgets the others of the user just
before JupyterHub counts them.
"""

STARTED = "datalab_started"


def ever_started(orm_spawner):
    """Whether a named server record ran once (or runs, or is starting)."""
    return bool(orm_spawner.server is not None or orm_spawner.started is not None
                or (orm_spawner.state or {}).get(STARTED))


def forget_unstarted(user, keep=""):
    """Drop the user's named server records that never ran (not ``keep``); their names."""
    forgotten = []
    for name, orm_spawner in list(user.orm_spawners.items()):
        if not name or name == keep or ever_started(orm_spawner):
            continue
        spawner = user.spawners.get(name)
        if spawner is not None and (spawner.active or spawner.pending):
            continue
        user.spawners.pop(name, None)
        user.db.delete(orm_spawner)
        forgotten.append(name)
    if forgotten:
        user.db.commit()
    return forgotten


class NamedServerLimit:
    """``c.JupyterHub.named_server_limit_per_user = NamedServerLimit(5)``: at most 5 named
    servers per user, counting only those that ran once."""

    def __init__(self, limit):
        self.limit = int(limit)

    def __call__(self, handler):
        kwargs = getattr(handler, "path_kwargs", None) or {}
        name = kwargs.get("user_name") or kwargs.get("name")
        user = handler.find_user(name) if name and hasattr(handler, "find_user") else None
        user = user or handler.current_user
        if getattr(user, "orm_spawners", None) is not None:
            keep = kwargs.get("server_name") or ""
            for gone in forget_unstarted(user, keep=keep):
                handler.log.info("Forgot %s's named server %r: it never started", user.name, gone)
        return self.limit

    def __repr__(self):
        return f"NamedServerLimit({self.limit})"
