"""The spawn page: catalog entries as cards, then the chosen entry's options as a form.

Pure functions, so the page is testable without a hub. ``render_form`` returns the HTML
JupyterHub puts inside its spawn ``<form>`` (``Spawner.options_form``); ``parse_form``
turns the posted form (``Spawner.options_from_form``) back into ``{"entry", "options"}``,
which the spawner then checks with ``catalog.check_options`` like any REST request.

The page speaks fr and en without knowing the user's language: both texts are in the
HTML and a few lines of script pick one from ``navigator.languages``. Colours are only
Bootstrap variables, so JupyterHub's dark mode (``data-bs-theme``) applies. Every string
from a catalog file is escaped: anyone may contribute entries.
"""

from __future__ import annotations

import math
from html import escape

from .catalog import CATEGORIES

ROOT = "datalab-profiles"
# icon name -> (monogram, Bootstrap colour); anything else gets its first letters in grey
ICONS = {
    "python": ("Py", "blue"), "r": ("R", "indigo"), "spark": ("Sp", "orange"),
    "gpu": ("GPU", "green"), "vscode": ("VS", "blue"), "rstudio": ("RS", "teal"),
    "postgresql": ("PG", "indigo"), "mlflow": ("ML", "teal"), "redis": ("Rd", "red"),
    "app": ("App", "purple"), "jupyter": ("Ju", "orange"), "database": ("DB", "indigo"),
}
# units catalog files give as one string, in French; a unit may also be {"en", "fr"}
UNITS = {"cores": "cœurs", "GiB": "Gio", "MiB": "Mio", "TiB": "Tio", "GB": "Go", "MB": "Mo"}
TEXT = {
    "options": {"en": "Options", "fr": "Options"},
    "unavailable": {"en": "Unavailable", "fr": "Indisponible"},
    "none": {"en": "No environment can be started here.",
             "fr": "Aucun environnement ne peut être lancé ici."},
    "copy": {"en": "Copy launch link", "fr": "Copier le lien de lancement"},
    "copied": {"en": "Link copied: it opens this form with these options, for anyone allowed to "
                     "use this entry.",
               "fr": "Lien copié : il ouvre ce formulaire avec ces options, pour toute personne "
                     "autorisée à utiliser cette entrée."},
    "link": {"en": "Launch link", "fr": "Lien de lancement"},
}

STYLE = f"""<style>
#{ROOT} .dl-category{{margin:0 0 1rem}}
#{ROOT} .dl-category h3{{font-size:1rem;font-weight:600;margin:0 0 .5rem}}
#{ROOT} .dl-cards{{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.75rem}}
#{ROOT} .dl-card{{position:relative;min-width:0;overflow-wrap:anywhere}}
#{ROOT} .dl-radio{{position:absolute;top:.9rem;right:.9rem;margin:0}}
#{ROOT} .dl-card label{{display:flex;flex-direction:column;gap:.25rem;height:100%;margin:0;
  padding:.75rem 2.5rem .75rem .75rem;cursor:pointer;color:var(--bs-body-color);
  background:var(--bs-body-bg);border:1px solid var(--bs-border-color);
  border-radius:var(--bs-border-radius-lg)}}
#{ROOT} .dl-radio:checked+label{{border-color:var(--bs-primary);
  box-shadow:0 0 0 .2rem var(--bs-primary-border-subtle)}}
#{ROOT} .dl-radio:focus-visible+label{{outline:2px solid var(--bs-primary);outline-offset:2px}}
#{ROOT} .dl-radio:disabled+label{{cursor:not-allowed;background:var(--bs-tertiary-bg);
  color:var(--bs-secondary-color)}}
#{ROOT} .dl-head{{display:flex;align-items:center;gap:.5rem;font-weight:600}}
#{ROOT} .dl-icon{{display:inline-flex;align-items:center;justify-content:center;flex:none;
  width:2rem;height:2rem;border-radius:var(--bs-border-radius);font-size:.75rem;font-weight:700;
  color:var(--bs-white);background:var(--dl-colour,var(--bs-secondary))}}
#{ROOT} img.dl-icon{{background:none;object-fit:contain}}
#{ROOT} .dl-desc{{font-size:.875em;color:var(--bs-secondary-color)}}
#{ROOT} .dl-why{{font-size:.875em;color:var(--bs-warning-text-emphasis)}}
#{ROOT} .dl-options{{margin:0 0 1rem;padding:1rem;background:var(--bs-tertiary-bg);
  border:1px solid var(--bs-border-color);border-radius:var(--bs-border-radius-lg)}}
#{ROOT} .dl-options>legend{{font-size:1.1rem;font-weight:600;float:none;width:auto}}
#{ROOT} .dl-group{{margin:.75rem 0 0;padding:.75rem 0 0;border-top:1px solid var(--bs-border-color)}}
#{ROOT} .dl-group>legend{{font-size:1rem;font-weight:600;float:none;width:auto;margin:0 0 .25rem}}
#{ROOT} .dl-field{{margin:0 0 .75rem}}
#{ROOT} .dl-slider{{display:flex;align-items:center;gap:.75rem}}
#{ROOT} .dl-slider output{{min-width:5rem;text-align:right;font-variant-numeric:tabular-nums}}
#{ROOT} [hidden]{{display:none!important}}
#{ROOT} .dl-share{{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin:0 0 1rem}}
#{ROOT} .dl-share input{{flex:1 1 20rem;min-width:0;font-size:.875em}}
#{ROOT} .dl-share [role=status]{{flex-basis:100%;font-size:.875em;color:var(--bs-secondary-color)}}
#{ROOT}:not(.dl-fr) [lang="fr"],#{ROOT}.dl-fr [lang="en"]{{display:none!important}}
</style>"""

# language from the browser; show only the chosen entry's fields and post only those;
# keep each slider's value visible. Without script everything shows and still works.
SCRIPT = f"""<script>
(function () {{
  var root = document.getElementById("{ROOT}");
  if (!root) return;
  var langs = navigator.languages || [navigator.language || "en"];
  for (var i = 0; i < langs.length; i++) {{
    var l = String(langs[i]).toLowerCase();
    if (l.indexOf("fr") === 0) {{ root.classList.add("dl-fr"); break; }}
    if (l.indexOf("en") === 0) break;
  }}
  function relabel() {{  // the hub's own words on this page, in its language too
    if (!root.classList.contains("dl-fr")) return;
    var start = document.querySelector("#spawn_form [type=submit]");
    if (start) start.textContent = "Démarrer";
    document.querySelectorAll("h1").forEach(function (h) {{
      if (h.textContent.trim() === "Server Options") h.textContent = "Options du serveur";
    }});
  }}
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", relabel);
  else relabel();
  function show() {{
    var chosen = root.querySelector('input[name="entry"]:checked');
    root.querySelectorAll("fieldset[data-dl-entry]").forEach(function (f) {{
      var on = !!chosen && f.getAttribute("data-dl-entry") === chosen.value;
      f.hidden = !on;
      f.disabled = !on;
    }});
  }}
  root.addEventListener("change", function (e) {{ if (e.target.name === "entry") show(); }});
  root.addEventListener("input", function (e) {{
    if (e.target.type !== "range") return;
    var out = document.getElementById(e.target.id + "-value");
    if (out) out.value = e.target.value;
  }});
  show();
  // "copy launch link": /hub/datalab/launch/<entry>?server=..&<path>=<value> for the values
  // that differ from the defaults; passwords never go into a link
  var share = root.querySelector(".dl-share");
  if (share) {{
    share.hidden = false;
    share.querySelector("button").addEventListener("click", function () {{
      var chosen = root.querySelector('input[name="entry"]:checked');
      if (!chosen) return;
      var form = document.getElementById("spawn_form");
      var action = new URL(form ? form.getAttribute("action") : location.href, location.href);
      var m = action.pathname.match(/^(.*\\/)spawn\\/[^\\/]+(?:\\/([^\\/]+))?\\/?$/);
      var params = new URLSearchParams();
      if (m && m[2]) params.set("server", decodeURIComponent(m[2]));
      var prefix = chosen.value + "/";
      root.querySelectorAll("fieldset[data-dl-entry] [data-dl-default]").forEach(function (el) {{
        if (el.matches(":disabled") || el.type === "password" || el.name.indexOf(prefix) !== 0) return;
        var v = el.type === "checkbox" ? (el.checked ? "true" : "false") : el.value;
        if (v !== el.getAttribute("data-dl-default")) params.set(el.name.slice(prefix.length), v);
      }});
      var q = params.toString();
      var url = location.origin + (m ? m[1] : "/hub/") + "datalab/launch/" +
        encodeURIComponent(chosen.value) + (q ? "?" + q : "");
      var out = share.querySelector("input");
      out.value = url;
      out.hidden = false;
      out.select();
      var done = function () {{ share.querySelector("[role=status]").hidden = false; }};
      if (navigator.clipboard) navigator.clipboard.writeText(url).then(done, function () {{}});
    }});
  }}
}})();
</script>"""


def _both(texts, fallback=""):
    """Both translations of ``{"en", "fr"}`` as spans; the script shows one."""
    if not isinstance(texts, dict):
        return escape(str(texts or fallback))
    en = texts.get("en") or texts.get("fr") or fallback
    fr = texts.get("fr") or en
    return f'<span lang="en">{escape(str(en))}</span><span lang="fr">{escape(str(fr))}</span>'


def _icon(icon):
    """An https/data image, or a coloured monogram for an icon name."""
    icon = str(icon or "")
    if icon.startswith(("https://", "data:image/")):
        return f'<img class="dl-icon" src="{escape(icon)}" alt="" width="32" height="32">'
    letters, colour = ICONS.get(icon, (icon[:2].capitalize() or "?", "secondary"))
    return (f'<span class="dl-icon" style="--dl-colour:var(--bs-{colour})" '
            f'aria-hidden="true">{escape(letters)}</span>')


def _as_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _type(prop):
    """The schema's type; ``["integer", "null"]`` counts as integer."""
    t = prop.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    return t


def _lookup(values, path):
    node = values
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None, False
        node = node[part]
    return node, True


class _Form:
    """Renders one entry's fields; ids come from a counter so any property name is safe."""

    def __init__(self):
        self.count = 0

    def new_id(self):
        self.count += 1
        return f"dl-field-{self.count}"

    def fields(self, entry_id, schema, values, path=()):
        out = []
        for name, prop in (schema.get("properties") or {}).items():
            if not isinstance(prop, dict) or prop.get("x-datalab", {}).get("hidden"):
                continue  # hidden: the server uses the default
            here = (*path, str(name))
            if _type(prop) == "object":
                inner = self.fields(entry_id, prop, values, here)
                if inner:
                    label = _both(prop.get("x-datalab", {}).get("label"), name)
                    body = "\n".join(inner)
                    out.append(f'<fieldset class="dl-group"><legend>{label}</legend>\n{body}\n</fieldset>')
            else:
                out.append(self.leaf(entry_id, here, prop, values))
        return out

    def leaf(self, entry_id, path, prop, values):
        x = prop.get("x-datalab", {})
        fid, name = self.new_id(), escape(f"{entry_id}/{'.'.join(path)}")
        value, given = _lookup(values, path)
        if not given:
            value = prop.get("default")
        readonly = bool(x.get("readonly"))
        disabled = " disabled" if readonly else ""  # not posted: the server keeps the default
        label = _both(x.get("label"), path[-1])
        help_ = ""
        described = ""
        if x.get("help"):
            help_ = f'<div class="form-text" id="{fid}-help">{_both(x["help"])}</div>'
            described = f' aria-describedby="{fid}-help"'
        kind, widget = _type(prop), x.get("widget")
        common = f'id="{fid}" name="{name}"{described}{disabled}'
        # the copy-launch-link script puts only the values that differ from it in a link
        common += f' data-dl-default="{escape(_as_text(prop.get("default")))}"'

        if kind == "boolean" or widget == "toggle":
            # an unchecked box posts nothing: the hidden "false" comes first, "true" wins
            hidden = "" if readonly else f'<input type="hidden" name="{name}" value="false">'
            checked = " checked" if value is True else ""
            return (f'<div class="dl-field form-check form-switch">{hidden}'
                    f'<input class="form-check-input" type="checkbox" role="switch" value="true" '
                    f'{common}{checked}><label class="form-check-label" for="{fid}">{label}</label>'
                    f'{help_}</div>')

        control = ""
        if isinstance(prop.get("enum"), list):
            options = "".join(
                f'<option value="{escape(_as_text(v))}"'
                f'{" selected" if _as_text(v) == _as_text(value) else ""}>{escape(_as_text(v))}</option>'
                for v in prop["enum"])
            control = f'<select class="form-select" {common}>{options}</select>'
        elif kind in ("integer", "number"):
            step = x.get("step") or prop.get("multipleOf") or (1 if kind == "integer" else "any")
            bounds = "".join(f' {attr}="{escape(_as_text(prop[key]))}"' for attr, key in
                             (("min", "minimum"), ("max", "maximum")) if key in prop)
            attrs = f'{bounds} step="{escape(_as_text(step))}" value="{escape(_as_text(value))}"'
            if widget == "slider" and "minimum" in prop and "maximum" in prop:
                unit = x.get("unit") or ""
                unit = _both(unit if isinstance(unit, dict) else {"en": unit, "fr": UNITS.get(unit, unit)})
                control = (f'<div class="dl-slider"><input class="form-range" type="range" '
                           f'{common}{attrs}><output id="{fid}-value" for="{fid}">'
                           f'{escape(_as_text(value))}</output>'
                           f'<span class="dl-unit">{unit}</span></div>')
            else:
                control = f'<input class="form-control" type="number" {common}{attrs}>'
        elif widget == "textarea":
            control = f'<textarea class="form-control" rows="3" {common}>{escape(_as_text(value))}</textarea>'
        else:
            kind = "password" if widget == "password" else "text"
            limit = f' maxlength="{int(prop["maxLength"])}"' if isinstance(prop.get("maxLength"), int) else ""
            control = (f'<input class="form-control" type="{kind}" {common}{limit} '
                       f'value="{escape(_as_text(value))}" autocomplete="off">')
        return (f'<div class="dl-field"><label class="form-label" for="{fid}">{label}</label>'
                f'{control}{help_}</div>')


def render_form(choices, selected=None, notices=()):
    """The spawn page's HTML: cards by category, then one fieldset of options per entry.

    ``choices``: ``[{"entry": Entry, "schema": resolved schema, "unavailable": None or
    {"en", "fr"}, "values": None or the previous options}]``; ``selected``: an entry id;
    ``notices``: ``{"en", "fr"}`` lines shown above the cards (e.g. injected secrets).
    """
    available = [c["entry"].id for c in choices if not c.get("unavailable")]
    chosen = selected if selected in available else (available[0] if available else None)
    order = list(CATEGORIES)
    groups = {}
    for choice in choices:
        groups.setdefault(choice["entry"].category, []).append(choice)
    out = [STYLE, f'<div id="{ROOT}">']
    out.extend(f'<p class="alert alert-info dl-notice">{_both(n)}</p>' for n in notices)
    if not available:
        out.append(f'<p class="alert alert-warning">{_both(TEXT["none"])}</p>')
    for category in sorted(groups, key=lambda c: (order.index(c) if c in order else len(order), str(c))):
        title = _both(CATEGORIES.get(category), category)
        out.append(f'<section class="dl-category"><h3>{title}</h3><div class="dl-cards" '
                   f'role="radiogroup">')
        for choice in groups[category]:
            entry, why = choice["entry"], choice.get("unavailable")
            eid = escape(entry.id)
            state = " disabled" if why else (" checked" if entry.id == chosen else "")
            note = (f'<span class="dl-why" id="dl-why-{eid}"><strong>{_both(TEXT["unavailable"])}'
                    f'</strong> — {_both(why)}</span>') if why else ""
            described = f"dl-desc-{eid}" + (f" dl-why-{eid}" if why else "")
            out.append(
                f'<div class="dl-card"><input class="dl-radio form-check-input" type="radio" '
                f'name="entry" id="dl-entry-{eid}" value="{eid}" aria-describedby="{described}"'
                f'{state}>\n  <label for="dl-entry-{eid}"><span class="dl-head">{_icon(entry.icon)}'
                f'<span class="dl-name">{_both(entry.name, entry.id)}</span></span>'
                f'\n  <span class="dl-desc" id="dl-desc-{eid}">{_both(entry.description)}</span>'
                f'{note}</label></div>')
        out.append("</div></section>")
    form = _Form()
    for choice in choices:
        if choice.get("unavailable"):
            continue  # never selectable, so nothing to fill in
        entry = choice["entry"]
        fields = form.fields(entry.id, choice["schema"], choice.get("values") or {})
        out.append(f'<fieldset class="dl-options" data-dl-entry="{escape(entry.id)}">'
                   f'<legend>{_both(TEXT["options"])} · {_both(entry.name, entry.id)}</legend>\n'
                   + "\n".join(fields) + "\n</fieldset>")
    if available:
        out.append(f'<div class="dl-share" hidden><button type="button" class="btn btn-outline-secondary '
                   f'btn-sm">{_both(TEXT["copy"])}</button><input type="text" class="form-control '
                   f'form-control-sm" readonly hidden aria-label="{escape(TEXT["link"]["en"])}">'
                   f'<span role="status" hidden>{_both(TEXT["copied"])}</span></div>')
    out.append("</div>")
    out.append(SCRIPT)
    return "\n".join(out)


# -- reading the post back ----------------------------------------------------------------

TRUE, FALSE = ("true", "on", "1"), ("false", "off", "0", "")
MAX_NUMBER_TEXT = 100  # longer "numbers" are kept raw and refused by the schema check


def _coerce(raw, prop):
    """The posted string as the schema's type; a string that does not fit is kept as is."""
    if isinstance(prop.get("enum"), list):
        for v in prop["enum"]:
            if _as_text(v) == raw:
                return v
    kind = _type(prop)
    if kind == "boolean":
        low = raw.strip().lower()
        return True if low in TRUE else False if low in FALSE else raw
    if kind in ("integer", "number") and len(raw) <= MAX_NUMBER_TEXT:
        try:
            number = float(raw)
        except ValueError:
            return raw
        if not math.isfinite(number):
            return raw
        if number.is_integer():
            try:
                return int(raw)  # exact, even beyond float precision
            except ValueError:
                return int(number)
        return raw if kind == "integer" else number
    return raw


def _leaves(schema, path=()):
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        if _type(prop) == "object":
            yield from _leaves(prop, (*path, str(name)))
        else:
            yield (*path, str(name)), prop


def _last(values):
    if isinstance(values, (list, tuple)):
        values = values[-1] if values else None
    if isinstance(values, bytes):
        values = values.decode("utf-8", "replace")
    return values if isinstance(values, str) else None


def parse_form(formdata, schemas):
    """``{"entry": id, "options": nested dict}`` from a posted spawn form.

    Only the chosen entry's fields are read, typed by its schema; unknown names are ignored.
    Validation (bounds, patterns, readonly) is ``catalog.check_options``' job, not this one's.
    """
    formdata = formdata if isinstance(formdata, dict) else {}
    entry_id = _last(formdata.get("entry"))
    schema = schemas.get(entry_id) if isinstance(entry_id, str) else None
    options = {}
    if not isinstance(schema, dict):
        return {"entry": entry_id, "options": options}
    for path, prop in _leaves(schema):
        raw = _last(formdata.get(f"{entry_id}/{'.'.join(path)}"))
        if raw is None:
            continue  # not posted: the default applies
        node = options
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _coerce(raw, prop)
    return {"entry": entry_id, "options": options}
