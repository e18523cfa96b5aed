"""The spawn page form: rendered from the shipped catalog, read back, checked by the catalog."""

import copy
import dataclasses
import re
from html.parser import HTMLParser

import pytest

from jupyterhub_datalab import catalog
from jupyterhub_datalab.profile_form import parse_form, render_form

pytestmark = pytest.mark.unit

REGION = {"cpu": 2, "memory": 8, "disk": 20}
CONTEXT = {"user": {"name": "alice", "email": "alice@example.fr", "projects": ["stats"],
                    "project": "stats"}, "region": REGION}
VOID = {"input", "img", "br", "hr", "meta", "link", "source", "wbr", "col", "area"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def __getitem__(self, key):
        return self.attrs[key]

    def get(self, key, default=None):
        return self.attrs.get(key, default)

    def iter(self, tag=None):
        for child in self.children:
            if isinstance(child, Node):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def text(self, lang=None):
        """Text content; with ``lang``, what a reader of that language sees."""
        out = []
        for child in self.children:
            if isinstance(child, str):
                out.append(child)
            elif lang is None or child.get("lang") in (None, lang):
                out.append(child.text(lang))
        return "".join(out)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class Tree(HTMLParser):
    """A small DOM from the rendered HTML, so tests ask about elements, not exact strings."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.root = self.here = Node("#root", {})
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.here)
        self.here.children.append(node)
        if tag not in VOID:
            self.here = node

    def handle_startendtag(self, tag, attrs):
        self.here.children.append(Node(tag, attrs, self.here))

    def handle_endtag(self, tag):
        node = self.here
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.here = node.parent

    def handle_data(self, data):
        self.here.children.append(data)

    def by_id(self, id_):
        return next(n for n in self.root.iter() if n.get("id") == id_)

    def named(self, name):
        return [n for n in self.root.iter() if n.get("name") == name]

    def label_for(self, node):
        labels = [n for n in self.root.iter("label") if n.get("for") == node["id"]]
        assert len(labels) == 1, f"{node.get('name')}: expected one label"
        return labels[0]

    def fieldset(self, entry_id):
        return next(n for n in self.root.iter("fieldset") if n.get("data-dl-entry") == entry_id)


@pytest.fixture(scope="module")
def entries():
    """The shipped environments: what the spawn page offers (services go to the sidebar)."""
    entries, errors = catalog.load([catalog.shipped_catalog()])
    assert not errors and entries
    return {k: e for k, e in entries.items() if e.kind == "environment"}


@pytest.fixture(scope="module")
def schemas(entries):
    return {e.id: catalog.resolve_schema(e, CONTEXT) for e in entries.values()}


def choices_for(entries, unavailable=None, values=None, replace=None):
    out = []
    for entry in entries.values():
        entry = (replace or {}).get(entry.id, entry)
        out.append({"entry": entry, "schema": catalog.resolve_schema(entry, CONTEXT),
                    "unavailable": (unavailable or {}).get(entry.id),
                    "values": (values or {}).get(entry.id)})
    return out


def leaves(schema, path=()):
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") == "object":
            yield from leaves(prop, (*path, name))
        else:
            yield ".".join((*path, name)), prop


def browser_post(tree, script=True):
    """What a browser posts for the form as rendered (default values, nothing touched).

    With script, fieldsets of entries not chosen are disabled, as the page's script does.
    """
    chosen = next((n["value"] for n in tree.named("entry") if "checked" in n.attrs), None)
    post = {}
    for node in tree.root.iter():
        name = node.get("name")
        if not name or node.tag not in ("input", "select", "textarea") or "disabled" in node.attrs:
            continue
        fieldsets = [a for a in node.ancestors() if a.tag == "fieldset"]
        if any("disabled" in f.attrs for f in fieldsets):
            continue
        if script and any(f.get("data-dl-entry") not in (None, chosen) for f in fieldsets):
            continue
        kind = node.get("type", "text")
        if node.tag == "select":
            options = list(node.iter("option"))
            value = next((o["value"] for o in options if "selected" in o.attrs), options[0]["value"])
        elif node.tag == "textarea":
            value = node.text()
        elif kind in ("checkbox", "radio"):
            if "checked" not in node.attrs:
                continue
            value = node.get("value", "on")
        else:
            value = node.get("value", "")
            if kind == "range":  # a browser clamps to the bounds: they must already hold
                assert float(node["min"]) <= float(value) <= float(node["max"]), name
        post.setdefault(name, []).append(value)
    return post


# -- cards ---------------------------------------------------------------------------------


def test_every_entry_has_a_card_grouped_by_category(entries):
    tree = Tree(render_form(choices_for(entries)))
    radios = tree.named("entry")
    assert sorted(r["value"] for r in radios) == sorted(entries)
    for radio in radios:
        entry = entries[radio["value"]]
        assert radio["type"] == "radio"
        label = tree.label_for(radio)
        assert label.text("en").startswith(entry.name["en"]) or entry.name["en"] in label.text("en")
        assert entry.description["en"] in label.text("en")
        assert entry.description["fr"] in label.text("fr")
        assert entry.description["fr"] not in label.text("en")
        assert any("dl-icon" in n.get("class", "") for n in label.iter())
        section = next(a for a in radio.ancestors() if a.tag == "section")
        heading = next(section.iter("h3"))
        assert heading.text("en") == catalog.CATEGORIES[entry.category]["en"]
        assert heading.text("fr") == catalog.CATEGORIES[entry.category]["fr"]
    # categories appear in CATEGORIES order
    headings = [h.text("en") for h in tree.root.iter("h3")]
    order = [v["en"] for v in catalog.CATEGORIES.values()]
    assert headings == sorted(headings, key=order.index)


def test_selection_default_and_explicit(entries):
    first = next(iter(entries))
    checked = [r["value"] for r in Tree(render_form(choices_for(entries))).named("entry")
               if "checked" in r.attrs]
    assert checked == [first]
    other = list(entries)[-1]
    tree = Tree(render_form(choices_for(entries), selected=other))
    assert [r["value"] for r in tree.named("entry") if "checked" in r.attrs] == [other]
    # an unavailable choice is never preselected
    tree = Tree(render_form(choices_for(entries, unavailable={other: {"en": "no", "fr": "non"}}),
                            selected=other))
    assert [r["value"] for r in tree.named("entry") if "checked" in r.attrs] == [first]


def test_unavailable_card_is_disabled_with_its_reason(entries):
    why = {"en": "RStudio Server is not installed: install it.",
           "fr": "RStudio Server n'est pas installé : installez-le."}
    tree = Tree(render_form(choices_for(entries, unavailable={"rstudio": why})))
    radio = next(r for r in tree.named("entry") if r["value"] == "rstudio")
    assert "disabled" in radio.attrs and "checked" not in radio.attrs
    label = tree.label_for(radio)
    assert why["en"] in label.text("en") and why["fr"] in label.text("fr")
    assert why["fr"] not in label.text("en")
    reason = next(n for n in label.iter() if "dl-why" in n.get("class", ""))
    assert reason["id"] in radio["aria-describedby"].split()
    assert not any(f.get("data-dl-entry") == "rstudio" for f in tree.root.iter("fieldset"))
    assert not any(n.get("name", "").startswith("rstudio/") for n in tree.root.iter())
    assert "rstudio" not in browser_post(tree, script=False).get("entry", [])


def test_nothing_available_says_so(entries):
    why = {"en": "no", "fr": "non"}
    tree = Tree(render_form(choices_for(entries, unavailable=dict.fromkeys(entries, why))))
    assert not any("checked" in r.attrs for r in tree.named("entry"))
    assert any("alert" in n.get("class", "") for n in tree.root.iter("p"))


# -- fields --------------------------------------------------------------------------------


def test_fields_and_bounds_follow_the_schema(entries):
    choices = choices_for(entries)
    tree = Tree(render_form(choices))
    for choice in choices:
        entry, schema = choice["entry"], choice["schema"]
        fieldset = tree.fieldset(entry.id)
        for path, prop in leaves(schema):
            x = prop.get("x-datalab", {})
            name = f"{entry.id}/{path}"
            controls = [n for n in tree.named(name) if n.get("type") != "hidden"]
            assert len(controls) == 1, name
            control = controls[0]
            assert fieldset in list(control.ancestors()), name
            label = tree.label_for(control)
            assert label.text("en") == x["label"]["en"] and label.text("fr") == x["label"]["fr"]
            if "help" in x:
                help_ = tree.by_id(control["aria-describedby"])
                assert help_.text("en") == x["help"]["en"]
            if "enum" in prop:
                assert control.tag == "select"
                assert [o["value"] for o in control.iter("option")] == prop["enum"]
            elif prop["type"] == "boolean":
                assert control["type"] == "checkbox" and control["value"] == "true"
                assert ("checked" in control.attrs) == prop["default"]
                # the hidden "false" comes first, so an unchecked box posts "false"
                names = [n for n in tree.root.iter("input") if n.get("name") == name]
                assert names[0]["type"] == "hidden" and names[0]["value"] == "false"
                assert names[1] is control
            elif x.get("widget") == "slider":
                assert control["type"] == "range"
                assert float(control["min"]) == prop["minimum"]
                assert float(control["max"]) == prop["maximum"]
                assert float(control["step"]) == x["step"]
                assert float(control["value"]) == prop["default"]
                output = tree.by_id(control["id"] + "-value")
                assert output.tag == "output" and float(output.text()) == prop["default"]
                if x.get("unit"):
                    assert x["unit"] in output.parent.text("en")
                    assert output.parent.text("fr").endswith({"cores": "cœurs", "GiB": "Gio"}[x["unit"]])
            else:
                assert control["type"] == "text" and control["value"] == prop["default"]
                assert int(control["maxlength"]) == prop["maxLength"]
        # sub-objects are sub-fieldsets with their label
        legends = [g.children[0].text("en") for g in fieldset.iter("fieldset")]
        assert legends == [p["x-datalab"]["label"]["en"] for p in schema["properties"].values()
                           if p.get("type") == "object"]
    ids = [n["id"] for n in tree.root.iter() if "id" in n.attrs]
    assert len(ids) == len(set(ids))


def test_region_and_user_defaults_and_admin_bounds(entries):
    entry = entries["jupyter-python"]
    schema = catalog.resolve_schema(entry, CONTEXT, {"cpu": {"maximum": 3}})
    tree = Tree(render_form([{"entry": entry, "schema": schema, "unavailable": None, "values": None}]))
    cpu = tree.named("jupyter-python/resources.cpu")[0]
    assert (float(cpu["max"]), float(cpu["value"])) == (3, REGION["cpu"])
    assert tree.named("jupyter-python/git.email")[0]["value"] == "alice@example.fr"
    assert tree.named("jupyter-python/disk")[0]["value"] == str(REGION["disk"])


def locked_entry(entry):
    """jupyter-python with a readonly slider and toggle, and a hidden toggle and object."""
    options = copy.deepcopy(entry.options)
    props = options["properties"]
    props["resources"]["properties"]["cpu"]["x-datalab"]["readonly"] = True
    props["connections"]["properties"]["s3"]["x-datalab"]["readonly"] = True
    props["connections"]["properties"]["vault"]["x-datalab"]["hidden"] = True
    for prop in props["init"]["properties"].values():
        prop["x-datalab"]["hidden"] = True
    return dataclasses.replace(entry, options=options)


def test_readonly_is_disabled_and_hidden_is_absent(entries):
    entry = locked_entry(entries["jupyter-python"])
    schema = catalog.resolve_schema(entry, CONTEXT)
    tree = Tree(render_form([{"entry": entry, "schema": schema, "unavailable": None, "values": None}]))
    cpu = tree.named("jupyter-python/resources.cpu")
    assert len(cpu) == 1 and "disabled" in cpu[0].attrs
    s3 = tree.named("jupyter-python/connections.s3")
    assert len(s3) == 1 and "disabled" in s3[0].attrs and "checked" in s3[0].attrs
    assert tree.named("jupyter-python/connections.vault") == []
    assert tree.named("jupyter-python/init.script") == []
    legends = [f.children[0].text("en") for f in tree.fieldset("jupyter-python").iter("fieldset")]
    assert "Initialisation" not in legends  # an object with nothing to show is left out
    # the default post is accepted: readonly and hidden fields are not sent, defaults apply
    form = parse_form(browser_post(tree), {"jupyter-python": schema})
    assert "cpu" not in form["options"]["resources"]
    assert "connections" not in form["options"]
    checked = catalog.check_options(entry, form["options"], CONTEXT)
    assert checked == catalog.check_options(entry, {}, CONTEXT)


def test_previous_values_prefill(entries, schemas):
    values = {"version": "py3.12.9", "resources": {"cpu": 3.5, "memory": 6}, "disk": 0,
              "connections": {"s3": False, "vault": True},
              "git": {"repository": "https://git.example.fr/a/b.git", "branch": "main"}}
    tree = Tree(render_form(choices_for(entries, values={"jupyter-python": values}),
                            selected="jupyter-python"))
    name = "jupyter-python/"
    select = tree.named(name + "version")[0]
    assert [o["value"] for o in select.iter("option") if "selected" in o.attrs] == ["py3.12.9"]
    assert tree.named(name + "resources.cpu")[0]["value"] == "3.5"
    assert tree.by_id(tree.named(name + "resources.cpu")[0]["id"] + "-value").text() == "3.5"
    assert tree.named(name + "disk")[0]["value"] == "0"
    s3 = next(n for n in tree.named(name + "connections.s3") if n["type"] == "checkbox")
    assert "checked" not in s3.attrs
    assert tree.named(name + "git.branch")[0]["value"] == "main"
    # another entry keeps its defaults
    assert "checked" in next(n for n in tree.named("jupyter-r/connections.s3")
                         if n["type"] == "checkbox").attrs
    form = parse_form(browser_post(tree), schemas)
    checked = catalog.check_options(entries["jupyter-python"], form["options"], CONTEXT)
    assert checked == catalog.fill_defaults(
        catalog.resolve_schema(entries["jupyter-python"], CONTEXT), values)


def test_widgets_not_in_the_shipped_catalog(entries):
    entry = entries["jupyter-python"]
    options = copy.deepcopy(entry.options)
    options["properties"]["extra"] = {"type": "object", "properties": {
        "notes": {"type": "string", "default": "a < b", "x-datalab": {
            "label": {"en": "Notes", "fr": "Notes"}, "widget": "textarea"}},
        "token": {"type": "string", "default": "", "x-datalab": {
            "label": {"en": "Token", "fr": "Jeton"}, "widget": "password"}},
        "workers": {"type": "integer", "default": 2, "minimum": 1, "maximum": 9, "x-datalab": {
            "label": {"en": "Workers", "fr": "Workers"}}},
        "size": {"type": "integer", "enum": [1, 2, 4], "default": 2, "x-datalab": {
            "label": {"en": "Size", "fr": "Taille"}}}}}
    entry = dataclasses.replace(entry, options=options)
    schema = catalog.resolve_schema(entry, CONTEXT)
    tree = Tree(render_form([{"entry": entry, "schema": schema, "unavailable": None, "values": None}]))
    notes = tree.named("jupyter-python/extra.notes")[0]
    assert notes.tag == "textarea" and notes.text() == "a < b"
    assert tree.named("jupyter-python/extra.token")[0]["type"] == "password"
    workers = tree.named("jupyter-python/extra.workers")[0]
    assert (workers["type"], workers["min"], workers["max"], workers["step"]) == ("number", "1", "9", "1")
    size = tree.named("jupyter-python/extra.size")[0]
    assert size.tag == "select" and [o["value"] for o in size.iter("option")] == ["1", "2", "4"]
    form = parse_form(browser_post(tree), {"jupyter-python": schema})
    assert form["options"]["extra"] == {"notes": "a < b", "token": "", "workers": 2, "size": 2}
    assert catalog.check_options(entry, form["options"], CONTEXT) == catalog.check_options(
        entry, {}, CONTEXT)


# -- safety and looks ------------------------------------------------------------------------


def test_hostile_catalog_strings_render_as_text(entries):
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    entry = entries["jupyter-python"]
    options = copy.deepcopy(entry.options)
    options["properties"]["git"]["x-datalab"]["label"]["en"] = evil
    options["properties"]["git"]["properties"]["branch"]["default"] = evil
    options["properties"]["git"]["properties"]["branch"]["x-datalab"]["help"] = {"en": evil, "fr": evil}
    options["properties"]["version"]["enum"].append(evil)
    hostile = dataclasses.replace(
        entry, id='x"><script>alert(2)</script>', name={"en": evil, "fr": evil},
        description={"en": evil, "fr": evil}, icon="javascript:alert(1)", category=evil,
        options=options)
    why = {"en": evil, "fr": evil}
    html = render_form([
        {"entry": hostile, "schema": catalog.resolve_schema(hostile, CONTEXT), "unavailable": None,
         "values": {"git": {"repository": evil}}},
        {"entry": dataclasses.replace(entry, id="other", description={"en": evil, "fr": evil}),
         "schema": catalog.resolve_schema(entry, CONTEXT), "unavailable": why, "values": None}])
    tree = Tree(html)
    assert len(list(tree.root.iter("script"))) == 1  # only the page's own
    assert not list(tree.root.iter("img"))
    assert not any(k.startswith("on") for n in tree.root.iter() for k in n.attrs)
    radio = next(r for r in tree.named("entry") if r["value"] == hostile.id)
    label = tree.label_for(radio)
    assert evil in label.text("en")
    assert evil in [h.text("en") for h in tree.root.iter("h3")]
    name = f"{hostile.id}/git.branch"
    assert tree.named(name)[0]["value"] == evil
    assert tree.named(f"{hostile.id}/git.repository")[0]["value"] == evil
    assert evil in [o["value"] for o in tree.named(f"{hostile.id}/version")[0].iter("option")]
    other = next(r for r in tree.named("entry") if r["value"] == "other")
    assert evil in tree.label_for(other).text("fr")


def test_icons(entries):
    entry = entries["jupyter-python"]
    schema = catalog.resolve_schema(entry, CONTEXT)
    icons = ["https://example.fr/icon.svg", "data:image/png;base64,iVBORw0KGgo=", "python",
             "something-new", "javascript:alert(1)"]
    tree = Tree(render_form([
        {"entry": dataclasses.replace(entry, id=f"e{i}", icon=icon), "schema": schema,
         "unavailable": None, "values": None} for i, icon in enumerate(icons)]))
    found = [next(n for n in tree.label_for(r).iter() if "dl-icon" in n.get("class", ""))
             for r in tree.named("entry")]
    assert [n.tag for n in found] == ["img", "img", "span", "span", "span"]
    assert [found[0]["src"], found[1]["src"]] == icons[:2]
    assert found[0]["alt"] == ""
    assert found[2].text() == "Py" and found[3].text() == "So" and found[4].text() == "Ja"


def test_style_uses_only_bootstrap_colour_variables(entries):
    html = render_form(choices_for(entries))
    style = next(Tree(html).root.iter("style")).text()
    declarations = re.findall(r"([a-z-]+)\s*:\s*([^;{}]+)", style)
    assert declarations
    named = {"white", "black", "red", "blue", "green", "gray", "grey", "orange", "yellow"}
    for prop, value in declarations:
        bare = re.sub(r"var\([^()]*(\([^()]*\))?[^()]*\)", "", value)
        assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(", bare), (prop, value)
        assert not set(re.findall(r"[a-z]+", bare)) & named, (prop, value)
    assert "var(--bs-body-bg)" in style and "var(--bs-border-color)" in style
    assert "var(--bs-primary)" in style and "var(--bs-secondary-color)" in style
    # monogram colours are Bootstrap variables too
    for node in Tree(html).root.iter("span"):
        if "style" in node.attrs:
            assert re.fullmatch(r"--dl-colour:var\(--bs-[a-z]+\)", node["style"])


def test_both_languages_everywhere(entries):
    tree = Tree(render_form(choices_for(entries)))
    spans = [n for n in tree.root.iter("span") if "lang" in n.attrs]
    assert {n["lang"] for n in spans} == {"en", "fr"}
    assert sum(n["lang"] == "en" for n in spans) == sum(n["lang"] == "fr" for n in spans)
    # every label shows a text in each language
    for label in tree.root.iter("label"):
        assert label.text("en").strip() and label.text("fr").strip()
    script = next(tree.root.iter("script")).text()
    assert "navigator.languages" in script


# -- reading the post back ---------------------------------------------------------------------


def test_parse_form_coerces_by_schema_type(schemas):
    form = parse_form({
        "entry": ["jupyter-python"],
        "jupyter-python/version": ["py3.12.9"],
        "jupyter-python/resources.cpu": ["1.5"],
        "jupyter-python/resources.memory": ["8"],
        "jupyter-python/disk": ["20.0"],
        "jupyter-python/connections.s3": ["false", "true"],
        "jupyter-python/connections.vault": ["false"],
        "jupyter-python/git.branch": [" main "],
    }, schemas)
    assert form == {"entry": "jupyter-python", "options": {
        "version": "py3.12.9", "resources": {"cpu": 1.5, "memory": 8}, "disk": 20,
        "connections": {"s3": True, "vault": False}, "git": {"branch": " main "}}}
    assert type(form["options"]["resources"]["memory"]) is int
    assert parse_form({"entry": ["jupyter-python"], "jupyter-python/resources.cpu": ["2"]},
                      schemas)["options"]["resources"]["cpu"] == 2


def test_parse_form_keeps_bad_values_raw_so_the_check_names_the_field(entries, schemas):
    for field, raw in [("resources.cpu", "two"), ("resources.memory", "2.5"), ("disk", "1e999"),
                       ("resources.memory", "9" * 5000), ("connections.s3", "maybe"),
                       ("resources.cpu", "nan")]:
        form = parse_form({"entry": ["jupyter-python"], f"jupyter-python/{field}": [raw]}, schemas)
        node = form["options"]
        for part in field.split("."):
            node = node[part]
        assert node == raw
        with pytest.raises(catalog.OptionsError) as e:
            catalog.check_options(entries["jupyter-python"], form["options"], CONTEXT)
        assert e.value.field == field
    # out of bounds is coerced, then refused by the check with the field's name
    form = parse_form({"entry": ["jupyter-python"], "jupyter-python/resources.memory": ["999"]},
                      schemas)
    with pytest.raises(catalog.OptionsError, match="maximum") as e:
        catalog.check_options(entries["jupyter-python"], form["options"], CONTEXT)
    assert e.value.field == "resources.memory"


def test_parse_form_reads_only_the_chosen_entry(schemas):
    form = parse_form({
        "entry": ["jupyter-r"],
        "jupyter-python/resources.cpu": ["3"],
        "jupyter-r/resources.cpu": ["2"],
        "jupyter-r/resources.nope": ["1"],
        "jupyter-r/": ["x"], "jupyter-r/git": ["x"], "whatever": ["x"], "_xsrf": ["t"],
    }, schemas)
    assert form == {"entry": "jupyter-r", "options": {"resources": {"cpu": 2}}}


@pytest.mark.parametrize("formdata, entry", [
    ({"entry": ["no-such-thing"], "no-such-thing/x": ["1"]}, "no-such-thing"),
    ({"entry": ["<script>"]}, "<script>"),
    ({}, None),
    ({"entry": []}, None),
    ({"entry": "jupyter-python"}, "jupyter-python"),  # a bare string is taken as one value
    ({"entry": [b"jupyter-r"]}, "jupyter-r"),
    ({"entry": [None]}, None),
    (None, None),
])
def test_parse_form_never_raises(schemas, formdata, entry):
    form = parse_form(formdata, schemas)
    assert form["entry"] == entry
    if entry not in schemas:
        assert form["options"] == {}


def test_parse_form_hostile_values(schemas):
    form = parse_form({"entry": ["jupyter-python"],
                       "jupyter-python/resources.cpu": [],
                       "jupyter-python/resources.memory": [None],
                       "jupyter-python/git.name": ["x" * 1_000_000],
                       "jupyter-python/disk": [b"\xff\xfe"]}, schemas)
    assert form["options"]["git"]["name"] == "x" * 1_000_000
    assert "resources" not in form["options"]
    assert form["options"]["disk"] == "\ufffd\ufffd"


# -- the whole trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("script", [True, False], ids=["with-script", "no-script"])
def test_round_trip_default_post_is_accepted_and_equals_defaults(entries, schemas, script):
    for entry in entries.values():
        tree = Tree(render_form(choices_for(entries), selected=entry.id))
        post = browser_post(tree, script=script)
        assert post["entry"] == [entry.id]
        form = parse_form(post, schemas)
        assert form["entry"] == entry.id
        checked = catalog.check_options(entry, form["options"], CONTEXT)
        assert checked == catalog.check_options(entry, {}, CONTEXT)
        assert checked["resources"]["cpu"] == REGION["cpu"]
        assert checked["git"]["email"] == "alice@example.fr"


def test_round_trip_through_the_admins_catalog(entries):
    dc = catalog.DatalabCatalog(region=REGION, option_overrides={"memory": {"maximum": 12}})
    context = dc.context("alice", ["stats"], "alice@example.fr")
    entry = dc.get("jupyter-python")
    schema = dc.schema(entry, context)
    tree = Tree(render_form([{"entry": entry, "schema": schema, "unavailable": None, "values": None}]))
    assert tree.named("jupyter-python/resources.memory")[0]["max"] == "12"
    form = parse_form(browser_post(tree), {entry.id: schema})
    launch = dc.launch(form["entry"], form["options"], username="alice", groups=["stats"],
                       claims={"email": "alice@example.fr"})
    assert (launch.cpu, launch.memory, launch.disk, launch.s3) == (2.0, 8.0, 20, True)
    assert launch.env["GIT_USER_MAIL"] == "alice@example.fr"
