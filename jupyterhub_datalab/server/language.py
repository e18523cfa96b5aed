"""JupyterLab in its user's language from the first start.

The spawner decides the language with the datalab's one rule (the spawn request's choice,
else the browser's Accept-Language, else the login's ``locale`` claim) and passes it as
``$DATALAB_LANGUAGE``; the spawn page already follows it. JupyterLab, though, reads its
language from its own setting (Settings > Language) and stayed English for French users.
So the server writes that setting, marked as the datalab's, when the person has not chosen
one: a choice made in JupyterLab (which rewrites the file without the mark) is theirs and
is never replaced. The Datalab sidebar follows JupyterLab's language (ITranslator).
"""

import json
import os
import re
from pathlib import Path

LOCALES = {"fr": "fr_FR", "en": "en"}
MARK = "// Set by the datalab from your browser's language; choose another in Settings > Language."
SETTING = "@jupyterlab/translation-extension/plugin.jupyterlab-settings"


def apply_language(log, env=None, settings_dir=None):
    """Write JupyterLab's language setting for ``$DATALAB_LANGUAGE``; the locale written, or
    None when there is nothing to do (no language given, or the person chose one)."""
    env = os.environ if env is None else env
    locale = LOCALES.get(env.get("DATALAB_LANGUAGE", ""))
    if locale is None:
        return None
    if settings_dir is None:
        from jupyterlab.commands import get_user_settings_dir

        settings_dir = get_user_settings_dir()
    path = Path(settings_dir) / SETTING
    try:
        if path.exists() and not path.read_text().startswith(MARK):
            return None  # their own choice
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{MARK}\n{json.dumps({'locale': locale}, indent=2)}\n")
    except OSError as e:
        log.warning("JupyterLab's language could not be set to %s: %s", locale, e)
        return None
    return locale


def chosen_language(settings_dir=None):
    """The locale (``fr_FR``) the person chose for JupyterLab (Settings > Language: the file
    without our mark), else None: the first of the datalab's one rule, for API errors."""
    try:
        if settings_dir is None:
            from jupyterlab.commands import get_user_settings_dir

            settings_dir = get_user_settings_dir()
        text = (Path(settings_dir) / SETTING).read_text()
    except (OSError, ImportError):
        return None
    if text.startswith(MARK):
        return None  # ours, from the browser at spawn time: not a choice of the person
    found = re.search(r'"locale"\s*:\s*"([A-Za-z_-]+)"', text)
    return found.group(1) if found else None
