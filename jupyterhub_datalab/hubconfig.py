"""The one-line hub setup::

    # jupyterhub_config.py
    from jupyterhub_datalab.hubconfig import configure; configure(c)

then set the few things only you know (``c.DatalabOAuthenticator.issuer``,
``client_id``, ...). ``datalab up`` writes its hub config the same way.
"""

# What a user's server may do with its $JUPYTERHUB_API_TOKEN: the usual
# (activity, access to itself) plus reading its own user's auth_state, which is
# how the server gets fresh OIDC tokens for S3 and Vault. `!user` confines it to
# the server's owner: alice's server never reads bob's tokens.
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "access:servers!server",
    "read:users:name!user",
    "read:users:groups!user",
    "admin:auth_state!user",
]


def configure(c, spawner="datalab-local"):
    """Apply the datalab's hub settings to the config object ``c``."""
    c.JupyterHub.authenticator_class = "datalab"
    c.JupyterHub.spawner_class = spawner
    # users hold their own auth_state scope so their servers can be given it
    c.JupyterHub.load_roles = [
        {"name": "user", "scopes": ["self", "admin:auth_state!user"]},
    ]
    c.Spawner.server_token_scopes = list(SERVER_TOKEN_SCOPES)
    # several environments at once: /user/<name>/<server>/
    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.named_server_limit_per_user = 5
    c.Authenticator.refresh_pre_spawn = True
    c.Authenticator.auth_refresh_age = 300
    return c
