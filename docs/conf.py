"""Sphinx configuration of the datalab documentation (MyST Markdown pages).

Build: ``.venv/bin/sphinx-build -W -b html docs docs/_build/html`` (warnings are
errors: a broken link or reference, or a trait without help, fails the build).
"""

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

from jupyterhub_datalab._version import __version__

project = "jupyterhub-datalab"
author = "jupyterhub-datalab contributors"
copyright = "jupyterhub-datalab contributors"
version = release = __version__

extensions = [
    "myst_parser",
    "datalab_docs",  # docs/_ext: the configuration reference from the traits
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
# docs/README.md is the index for people browsing the repository, not a page of the site
exclude_patterns = ["_build", "README.md", "**/.ipynb_checkpoints"]

myst_enable_extensions = ["colon_fence", "deflist"]
# slugs for the headings, so [x](page.md#a-heading) links work as on GitHub
myst_heading_anchors = 4

language = "en"
html_theme = "pydata_sphinx_theme"
html_title = "jupyterhub-datalab"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path = []

