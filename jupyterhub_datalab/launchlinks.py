"""Launch links: a URL that opens the spawn page with an entry and its options filled in.

``/hub/datalab/launch/<entry>?server=<name>&version=py3.12.9&resources.cpu=2`` (like
Onyxia's launcher links and fancy-profiles' permalinks). Query keys are the entry's
dotted option paths; ``server`` names the server (none: the default one). The hub
checks the link for the signed-in user exactly as a start would (``catalog.launch``
with their groups and claims: restricted and unknown entries are refused, every value
is checked against the schema and the admin's bounds), then shows the spawn form
pre-filled with the entry selected. **Nothing starts until the user presses Start**:
the form posts to JupyterHub's ``/hub/spawn/<user>/<server>`` like any other start, so
the options are checked once more there.

A refused link answers 400 with the spawn page, the refusal on top in English and
French naming the field (the same words as the spawn API, ``spawner.refusal``), and
the form below to choose again.

Served by the hub itself (``hubconfig.configure`` registers ``LaunchHandler`` in
``JupyterHub.extra_handlers``), so it is authenticated like every hub page: an
anonymous visitor is sent to the login page and comes back to the link.
"""

from urllib.parse import quote, urlencode

from jupyterhub.handlers.base import BaseHandler
from jupyterhub.scopes import needs_scope
from jupyterhub.utils import url_path_join
from tornado import web

from .catalog import OptionsError
from .messages import both
from .profile_form import _leaves, parse_form, render_form

PATH = r"/datalab/launch/([^/]+)"
RESERVED = ("server",)  # query keys that are not options


def notice(entry):
    """The line above a link's form: which entry, and that nothing runs before Start."""
    return {"en": f"Opened from a launch link for “{entry.text('name')}”: review its options "
                  "below, then press Start. Nothing runs until you do.",
            "fr": f"Ouvert depuis un lien de lancement pour « {entry.text('name', 'fr')} » : "
                  "vérifiez ses options ci-dessous puis cliquez sur Start. Rien ne démarre avant."}


def parse_link(entry_id, query, schema):
    """``{"entry", "options"}`` of a link's query, typed like the spawn form's post.

    ``query``: ``{key: [str, ...]}`` without the reserved keys; ``schema``: the entry's
    resolved schema, or None when the entry is unknown to this user. The one parser is
    ``profile_form.parse_form``: a link is the form's post with the entry's prefix.
    A key that is no option of the entry raises OptionsError naming it.
    """
    if schema is not None:
        known = {".".join(path) for path, _ in _leaves(schema)}
        for key in query:
            if key not in known:
                raise OptionsError("unknown option: this entry has no such option",
                                   fr="option inconnue : cette entrée n'a pas cette option", field=key)
    formdata = {"entry": [entry_id], **{f"{entry_id}/{key}": values for key, values in query.items()}}
    return parse_form(formdata, {entry_id: schema} if schema is not None else {})


def check_link(spawner, entry_id, query, groups, claims):
    """(parsed user_options, refusal or None, the entry when accepted) of a link for the user.

    The same checks as a start: ``catalog.launch`` for the entry (restricted or unknown:
    refused) and every value, and the spawner's ``unavailable``.
    """
    catalog = spawner.catalog
    entry = catalog.get(entry_id)
    schema = None
    if entry is not None and entry.kind == "environment" and catalog.allowed(entry, groups, claims):
        context = catalog.context(spawner.user.name, groups, (claims or {}).get("email", ""))
        schema = catalog.schema(entry, context)
    parsed = {"entry": entry_id, "options": {}}
    try:
        if schema is None:  # the catalog's own refusal, word for word
            catalog.launch(entry_id, {}, username=spawner.user.name, groups=groups, claims=claims)
        parsed = parse_link(entry_id, query, schema)
        launch = catalog.launch(entry_id, parsed["options"], username=spawner.user.name,
                                groups=groups, claims=claims)
    except OptionsError as e:
        return parsed, both(f"Option {e.field}: {e.en}", f"Option {e.field} : {e.fr}"), None
    reason = spawner.unavailable(launch.entry)
    if reason:
        return parsed, both(f"{launch.entry.text('name')} cannot run here: {reason['en']}",
                            f"{launch.entry.text('name', 'fr')} ne peut pas démarrer ici : {reason['fr']}"), None
    return parsed, None, launch.entry


class LaunchHandler(BaseHandler):
    """``GET /hub/datalab/launch/<entry>?server=...&<option>=...``: the pre-filled spawn page."""

    @web.authenticated
    async def get(self, entry_id):
        return await self._get(user_name=self.current_user.name, entry_id=entry_id)

    @needs_scope("servers")
    async def _get(self, user_name, entry_id):
        user = self.current_user
        query = {k: [v.decode("utf-8", "replace") for v in vs]
                 for k, vs in self.request.query_arguments.items() if k not in RESERVED}
        server_name = self.get_argument("server", "")
        if server_name:
            # the hub's own rules for a server name and the user's server limit
            await self._check_named_server_request(user, server_name, server_name)

        # no spawner is created for a new name: the default one renders the form
        # (choices depend on the user only); the form's post creates the server
        existing = server_name in user.orm_spawners
        spawner = user.get_spawner(server_name) if existing else user.spawner
        groups, claims = await spawner._user_context()
        parsed, error, entry = check_link(spawner, entry_id, query, groups, claims)

        if existing and not error:
            # like JupyterHub's spawn page: a running server is opened, not restarted
            if spawner.ready:
                return self.redirect(user.server_url(server_name))
            if spawner.active:
                return self.redirect(url_path_join(self.hub.base_url, "spawn-pending",
                                                   user.escaped_name, quote(server_name, safe="")))

        choices = await spawner.catalog_choices()
        for choice in choices:
            if choice["entry"].id == entry_id:
                choice["values"] = parsed["options"]
        notices = await spawner.form_notices() if hasattr(spawner, "form_notices") else []
        if not error:
            notices = [notice(entry), *notices]
        form = render_form(choices, selected=entry_id, notices=notices)

        action = url_path_join(self.hub.base_url, "spawn", user.escaped_name)
        if server_name:
            action = url_path_join(action, quote(server_name, safe=""))
        action += "?" + urlencode({"_xsrf": self.xsrf_token.decode("ascii")})
        if error:
            self.log.info("Launch link of %s refused for %s: %s", entry_id, user.name, error)
            self.set_status(400)
        html = await self.render_template(
            "spawn.html", for_user=user, auth_state=await user.get_auth_state(),
            spawner_options_form=form, error_message=error, html_error_message=None,
            url=action, spawner=spawner)
        self.set_header("Cache-Control", "no-store")
        self.finish(html)

