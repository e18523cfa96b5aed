"""Which variable names a person's secrets may put into an environment, and why not.

Injected secrets become environment variables of servers, kernels and companions. Some
names do not carry data but change how programs run: a proxy reroutes every request
(seen: a project member injected ``HTTP_PROXY`` and received another member's panel
requests with her ``X-Vault-Token``), a package index or CA bundle swaps the code or the
certificates people trust, a loader path runs foreign code. Those are never injected,
whoever marks the secret, and the names the platform sets itself are never overridden.
Programs read many of these in lower case too, so the rule ignores case.

Framework-free: the user's server, the hub's spawners and the datalab service all
decide with ``refusal``.
"""

import re

# set by the platform: credentials, hub tokens, the datalab's own settings
PLATFORM_PREFIXES = ("AWS_", "VAULT_", "JUPYTERHUB_", "DATALAB_", "JPY_", "JUPYTER_")

# the git variables a person may inject: who they are in commits, nothing that runs code
GIT_ALLOWED = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")

# (pattern on the upper-cased name, why it is refused): English, French
RULES = [
    (r".*_PROXY|NO_PROXY|ALL_PROXY",
     "routes network requests through another machine",
     "fait passer les requêtes réseau par une autre machine"),
    (r"PATH|LD_.*|DYLD_.*|.*_LIBRARY_PATH|CLASSPATH|NODE_PATH|GEM_PATH|GOPATH|MANPATH|PERL5LIB",
     "changes which programs and libraries run",
     "change les programmes et bibliothèques exécutés"),
    ("|".join([r"PYTHON.*", r"IPYTHON.*", r"PIP_.*", r"UV_.*", r"CONDA_.*", r"NPM_CONFIG_.*",
               "NODE_OPTIONS", r"R_LIBS.*", r"R_PROFILE.*", r"R_ENVIRON.*", r"PERL5.*", "RUBYOPT",
               "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"]),
     "changes how an interpreter starts or where packages come from",
     "change le démarrage d'un interpréteur ou la provenance des paquets"),
    (r".*_CA_BUNDLE|SSL_CERT_.*|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|NODE_EXTRA_CA_CERTS|SSLKEYLOGFILE",
     "changes which certificates are trusted",
     "change les certificats de confiance"),
    (r"GIT_(?!AUTHOR_NAME$|AUTHOR_EMAIL$|COMMITTER_NAME$|COMMITTER_EMAIL$).*",
     f"changes how git runs (only {', '.join(GIT_ALLOWED)} are allowed)",
     f"change le fonctionnement de git (seuls {', '.join(GIT_ALLOWED)} sont permis)"),
    ("|".join(["HOME", "USER", "LOGNAME", "SHELL", "PWD", "TMPDIR", "TEMP", "TMP", "BASH_ENV",
               "ENV", "PROMPT_COMMAND", "IFS", "PS4", "BROWSER", "EDITOR", "VISUAL", "PAGER",
               "KUBECONFIG", "DOCKER_HOST", "SSH_AUTH_SOCK", r"KRB5.*", "LANG", "LANGUAGE", r"LC_.*"]),
     "is part of the session's own setup",
     "fait partie de la configuration de la session"),
]
_RULES = [(re.compile(rf"^(?:{pattern})$"), en, fr) for pattern, en, fr in RULES]


def refusal(name):
    """Why ``name`` is never injected, as (en, fr), or None when it may be."""
    upper = name.upper()
    if upper.startswith(PLATFORM_PREFIXES):
        return ("is set by the datalab itself", "est défini par le datalab lui-même")
    for pattern, en, fr in _RULES:
        if pattern.match(upper):
            return en, fr
    return None


def injectable(env):
    """The part of ``env`` that may be injected (the refused names left out)."""
    return {k: v for k, v in env.items() if refusal(k) is None}
