"""Build-time steps the wheel needs besides Python files: the embedded stack's Node
bundles, and the labextension's French catalog compiled from its .po.

Run as a script (`python hatch_build.py`) it only compiles the catalogs, for a
developer who edited a .po in an editable install."""

import json
from pathlib import Path

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script, outside a build: only compile_catalogs is used
    BuildHookInterface = object

ROOT = Path(__file__).resolve().parent
LOCALE = ROOT / "jupyterhub_datalab" / "locale"
DOMAIN = "jupyterhub_datalab"


def po_to_jupyterlab(po_path):
    """One .po as the JSON JupyterLab's gettext reads (what jupyterlab-translate writes):
    `{"": metadata, msgid: [msgstr...], "ctx\\u0004msgid": [...]}`, plural forms in a list.
    Untranslated and fuzzy entries are left out, so JupyterLab shows the English."""
    from babel.messages.pofile import read_po  # jupyterlab_server's own dependency

    with open(po_path, "rb") as f:
        catalog = read_po(f, domain=DOMAIN)
    language = str(catalog.locale) if catalog.locale else po_path.parent.parent.name
    data = {"": {"domain": DOMAIN, "language": language.replace("_", "-"),
                 "plural_forms": catalog.plural_forms, "version": catalog.project or DOMAIN}}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(strings):
            continue
        msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        key = f"{message.context}\u0004{msgid}" if message.context else msgid
        data[key] = strings
    return data


def compile_catalogs(locale_dir=LOCALE):
    """Every `<lang>/LC_MESSAGES/*.po` under `locale_dir` to the .json beside it."""
    written = []
    for po in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
        target = po.with_suffix(".json")
        target.write_text(json.dumps(po_to_jupyterlab(po), ensure_ascii=False, sort_keys=True),
                          encoding="utf-8")
        written.append(target)
    return written


class NodeBundles(BuildHookInterface):
    """npm install + esbuild in devstack/node (the OIDC provider and the proxy), and the
    labextension's gettext catalogs."""

    PLUGIN_NAME = "custom"

    def initialize(self, version, build_data):
        from hatch_jupyter_builder import npm_builder

        compile_catalogs()
        npm_builder(
            self.target_name,
            version,
            path="jupyterhub_datalab/devstack/node",
            build_cmd="build",
            npm=["npm"],
            source_dir="jupyterhub_datalab/devstack/node",
            build_dir="jupyterhub_datalab/devstack/node/dist",
        )


if __name__ == "__main__":
    for path in compile_catalogs():
        print(path.relative_to(ROOT))
