"""Companion backends are configured as spawners are: ``c.LocalBackend.<trait>``,
``c.KubernetesBackend.<trait>`` in the hub's config file, read by the datalab service.

Seen before: the local backend took keyword arguments only (``backend_options``), so
``c.LocalBackend.workspaces`` was silently ignored and its settings were nowhere in the
reference. ``backend_options`` still works, with a warning saying what to write instead.
"""

import pytest
from traitlets.config import Config

from jupyterhub_datalab.companions.kubernetes import KubernetesBackend
from jupyterhub_datalab.companions.local import LocalBackend
from jupyterhub_datalab.service.app import DatalabService

pytestmark = pytest.mark.unit

LOCAL = "jupyterhub_datalab.companions.local.LocalBackend"
KUBERNETES = "jupyterhub_datalab.companions.kubernetes.KubernetesBackend"


def service(tmp_path, **sections):
    config = Config()
    config.DatalabService.state_dir = str(tmp_path / "state")
    config.DatalabService.hub_url = "http://hub.example"
    for section, values in sections.items():
        for name, value in values.items():
            setattr(config[section], name, value)
    app = DatalabService(config=config)
    app.init_backend()
    return app


def test_the_local_backend_reads_its_own_section(tmp_path):
    app = service(tmp_path, DatalabService={"backend_class": LOCAL},
                  LocalBackend={"workspaces": "/home/{owner}", "sandbox": True,
                                "hidden_paths": ["/srv/state"], "stop_timeout": 3.0})
    backend = app.backend
    assert isinstance(backend, LocalBackend) and backend.parent is app
    assert (backend.workspaces, backend.sandbox, backend.hidden_paths, backend.stop_timeout) == (
        "/home/{owner}", True, ["/srv/state"], 3.0)
    # what the config leaves unset comes from the service
    assert backend.root == str(tmp_path / "state" / "local")
    assert backend.ui_prefix == "/services/datalab/open/{owner}/{name}"
    assert backend.client_url == "http://hub.example/services/datalab/open/{owner}/{name}"
    assert backend.catalog is app.catalog


def test_the_section_wins_over_what_the_service_knows(tmp_path):
    app = service(tmp_path, DatalabService={"backend_class": LOCAL},
                  LocalBackend={"root": "/srv/companions", "ui_prefix": "/apps/{owner}/{name}"})
    assert app.backend.root == "/srv/companions"
    assert app.backend.ui_prefix == "/apps/{owner}/{name}"


def test_the_kubernetes_backend_reads_its_own_section(tmp_path):
    app = service(tmp_path, DatalabService={"backend_class": KUBERNETES},
                  KubernetesBackend={"storage_class": "fast-ssd", "api_host": "http://127.0.0.1:9",
                                     "user_namespace_template": "datalab-{owner}"})
    backend = app.backend
    assert isinstance(backend, KubernetesBackend)
    assert backend.settings().storage_class == "fast-ssd" and backend.api_host == "http://127.0.0.1:9"
    assert backend.ui_prefix == "/services/datalab/open/{owner}/{name}"
    assert backend.own_namespace("alice") == "datalab-alice"
    assert KubernetesBackend().own_namespace("jean-dupont--c6314bcbcd") == "user-jean-dupont--c6314bcbcd"


def test_backend_options_still_work_and_say_what_to_write(tmp_path, capsys):
    app = service(tmp_path, DatalabService={"backend_class": LOCAL, "backend_options": {
        "root": "/srv/old", "workspaces": "/home/{owner}"}})
    assert (app.backend.root, app.backend.workspaces) == ("/srv/old", "/home/{owner}")
    said = capsys.readouterr().err  # the service's own log
    assert "backend_options is deprecated" in said and "c.LocalBackend.root = '/srv/old'" in said


def test_an_unknown_backend_option_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"LocalBackend has no setting 'wrkspaces'.*workspaces"):
        service(tmp_path, DatalabService={"backend_class": LOCAL,
                                          "backend_options": {"wrkspaces": "/home/{owner}"}})
