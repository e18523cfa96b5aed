"""The datalab's one language rule, framework-free: the hub (spawn page, spawner), the
user's server (API errors) and the service pick English or French the same way."""

import os

LANGUAGES = ("en", "fr")


def pick_language(*candidates):
    """The first of ``en``/``fr`` the candidates ask for, else ``en``.

    Each candidate is a language (``fr``, ``fr-FR``), an ``Accept-Language`` header
    (``fr-FR,fr;q=0.9,en;q=0.8``) or empty."""
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        ranked = []
        for i, part in enumerate(candidate.split(",")):
            tag, _, params = part.strip().partition(";")
            q = 1.0
            if params.strip().startswith("q="):
                try:
                    q = float(params.strip()[2:])
                except ValueError:
                    q = 0.0
            ranked.append((-q, i, tag.strip().lower().replace("_", "-").split("-")[0]))
        for _, _, lang in sorted(ranked):
            if lang in LANGUAGES:
                return lang
    return "en"


def environment_language(env=None):
    """``en`` or ``fr`` for a command run in a terminal: gettext's order (``LANGUAGE``, a
    ``fr:en`` list, then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``fr_FR.UTF-8``); the first
    one set decides, as for every other program in that terminal."""
    env = os.environ if env is None else env
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").split(".")[0]
        if value and value not in ("C", "POSIX"):
            return pick_language(value.replace(":", ","))
    return "en"
