# The datalab's hub configuration, shipped by the datalab Helm chart (ConfigMap
# datalab-config). It runs in two places:
# - in the hub, from z2jh's jupyterhub_config.py (hub.extraConfig.datalab), after every
#   Zero to JupyterHub setting: `c` is the hub's config;
# - in the datalab service (`python -m jupyterhub_datalab.service --config <this file>`),
#   which reads its own sections (DatalabService, DatalabCatalog, DatalabCredentials) from the same `c`.
# The values come from settings.json beside it: the chart's `datalab:` values plus what
# the release computed (URLs, namespace).
# ruff: noqa: F821  (`c` is given by the loader)


def _datalab_configure(c):
    import json
    import os
    from pathlib import Path

    from jupyterhub_datalab.catalog import shipped_catalog
    from jupyterhub_datalab.hubconfig import SERVICE_NAME, configure

    # where the chart mounts things in the hub's pod (a prefix only in tests)
    def mounted(path):
        return Path(os.environ.get("DATALAB_PATH_PREFIX", "") + path)

    config_dir = mounted("/usr/local/etc/datalab/config")
    settings = json.loads((config_dir / "settings.json").read_text())
    d = settings["datalab"]
    service = d["service"]

    # z2jh filled these before us: configure() sets its own, so keep z2jh's others
    # (the idle culler's service and role, hub.services, hub.loadRoles)
    z2jh_services = list(c.JupyterHub.get("services", []))
    z2jh_roles = list(c.JupyterHub.get("load_roles", []))
    config_file = str(config_dir / "datalab_config.py")
    configure(c, spawner="datalab-kubernetes",
              service_url=settings["serviceUrl"] if service["enabled"] else None,
              config_file=config_file, docs_url=d.get("docsUrl") or None)
    names = {s["name"] for s in c.JupyterHub.services}
    c.JupyterHub.services = [*(s for s in z2jh_services if s.get("name") not in names),
                             *c.JupyterHub.services]
    names = {r["name"] for r in c.JupyterHub.load_roles}
    c.JupyterHub.load_roles = [*(r for r in z2jh_roles if r.get("name") not in names),
                               *c.JupyterHub.load_roles]
    # z2jh sets KubeSpawner.environment (singleuser.extraEnv), which would hide the
    # Spawner.environment configure() set: merge them on the datalab's spawner
    c.DatalabKubeSpawner.environment = {**c.Spawner.get("environment", {}),
                                        **c.KubeSpawner.get("environment", {})}
    # users' servers run in other namespaces: the hub's full name
    c.JupyterHub.hub_connect_url = settings["hubConnectUrl"]

    # -- login ----------------------------------------------------------------------
    oidc = d["oidc"]
    auth = c.DatalabOAuthenticator
    auth.issuer = oidc["issuer"]
    auth.client_id = oidc["clientId"]
    if settings["oauthCallbackUrl"]:
        auth.oauth_callback_url = settings["oauthCallbackUrl"]
    auth.scope = list(oidc["scope"])
    auth.username_claim = oidc["usernameClaim"]
    auth.included_group_pattern = oidc["includedGroupPattern"]
    auth.excluded_group_pattern = oidc["excludedGroupPattern"]
    auth.transform_group_pattern = oidc["transformGroupPattern"]
    auth.transform_group_replacement = oidc["transformGroupReplacement"]
    auth.allow_all = oidc["allowAll"]
    auth.allowed_groups = set(oidc["allowedGroups"])
    auth.allowed_email_domains = list(oidc["allowedEmailDomains"])
    auth.admin_groups = set(oidc["adminGroups"])
    auth.admin_users = set(oidc["adminUsers"])
    auth.acr_values = list(oidc["acrValues"])
    auth.post_logout_redirect_url = oidc["postLogoutRedirectUrl"]
    # the datalab identity tokens, which S3 and Vault trust
    if settings["identityIssuerUrl"]:
        auth.identity_issuer_url = settings["identityIssuerUrl"]
    auth.identity_key_file = str(mounted("/usr/local/etc/datalab/identity/identity-key.pem"))
    auth.identity_token_lifetime = d["identity"]["tokenLifetime"]

    # -- S3 and Vault: one section, read by the spawner and by the service for companions --
    s3, vault = d["s3"], d["vault"]
    credentials = c.DatalabCredentials
    credentials.s3_endpoint = s3["endpoint"]
    credentials.s3_region = s3["region"]
    credentials.s3_role_arn = s3["roleArn"]
    credentials.s3_personal_bucket_template = s3["personalBucketTemplate"]
    credentials.s3_project_bucket_template = s3["projectBucketTemplate"]
    credentials.s3_session_duration = s3["sessionDuration"]
    credentials.vault_addr = vault["addr"]
    credentials.vault_role = vault["role"]
    credentials.vault_jwt_mount = vault["jwtMount"]
    credentials.vault_kv_mount = vault["kvMount"]
    credentials.vault_user_dir_template = vault["userDirTemplate"]
    spawner = c.DatalabKubeSpawner

    # -- namespaces, quotas, GPUs ------------------------------------------------------
    ns = d["namespaces"]
    spawner.hub_namespace = settings["release"]["namespace"]
    spawner.manage_namespaces = ns["manage"]
    spawner.project_namespaces = ns["projects"]
    spawner.namespace_cluster_role = ns["clusterRole"]
    # the hub's rights in each namespace it creates (templates/rbac.yaml)
    spawner.hub_namespace_role = settings["hubNamespaceRole"]
    spawner.hub_service_account = d["rbac"]["hubServiceAccount"]
    spawner.namespace_labels = dict(ns["labels"])
    for trait, key in (("user_quota", "userQuota"), ("project_quota", "projectQuota"),
                       ("limit_range", "limitRange")):
        if ns[key]:  # empty: the spawner's default
            setattr(spawner, trait, dict(ns[key]))
    spawner.cpu_guarantee_ratio = d["resources"]["cpuGuaranteeRatio"]
    spawner.mem_guarantee_ratio = d["resources"]["memGuaranteeRatio"]
    gpu = d["gpu"]
    spawner.gpu_resource_name = gpu["resourceName"]
    spawner.gpu_node_selector = dict(gpu["nodeSelector"])
    if gpu.get("tolerations") is not None:  # null: Helm drops the key
        spawner.gpu_tolerations = list(gpu["tolerations"])

    # -- the catalog (spawner and service alike) ------------------------------------------
    catalog = d["catalog"]
    sources = [shipped_catalog()] if catalog["includeShipped"] else []
    if catalog["entries"]:
        sources.append(str(mounted("/srv/datalab/catalog")))  # entries/ and shared/, from ConfigMaps
    sources += catalog["extraSources"]
    c.DatalabCatalog.sources = sources
    c.DatalabCatalog.access = dict(catalog["access"])
    c.DatalabCatalog.option_overrides = dict(catalog["optionOverrides"])
    c.DatalabCatalog.region = dict(catalog["region"])
    spawner.default_entry = catalog["defaultEntry"]

    # -- the datalab service: companions in users' and projects' namespaces -------------
    if service["enabled"]:
        backends = {"kubernetes": "jupyterhub_datalab.companions.kubernetes.KubernetesBackend",
                    "local": "jupyterhub_datalab.companions.local.LocalBackend"}
        c.DatalabService.backend_class = backends[service["backend"]]
        # the backend's own settings: c.KubernetesBackend.<name> (or c.LocalBackend.<name>)
        backend_section = c[backends[service["backend"]].rpartition(".")[2]]
        for name, value in service["backendOptions"].items():
            setattr(backend_section, name, value)
        c.DatalabService.state_dir = service["stateDir"]
        c.DatalabService.max_services_per_user = service["maxServicesPerUser"]
        # it listens in the hub's pod; users' servers and the proxy come through the
        # hub's Service (serviceUrl)
        c.DatalabService.bind_url = f"http://0.0.0.0:{service['port']}"
        c.DatalabService.service_prefix = f"/services/{SERVICE_NAME}/"
        apps = service["apps"]
        if apps["url"]:
            c.DatalabService.apps_url = apps["url"]
            c.DatalabService.apps_bind_url = f"http://0.0.0.0:{apps['port']}"
            c.DatalabService.hub_url = apps["hubUrl"]
    return d["extraConfig"]


_datalab_extra = _datalab_configure(c)
if _datalab_extra:
    exec(compile(_datalab_extra, "datalab.extraConfig", "exec"))  # noqa: S102 (the admin's own config)
del _datalab_configure, _datalab_extra
