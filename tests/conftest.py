import subprocess

import pytest

from .browser import chromium  # noqa: F401  (headless Chromium fixture)
from .oidcctl import provider  # noqa: F401  (a standalone OIDC provider fixture)
from .stackctl import serve_stack


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "unit: starts no process (the fast layer: `pytest -m unit`, under a minute)")
    if config.option.markexpr.strip() == "unit":
        # the fast layer as a whole: not even a session fixture may start a process
        subprocess.Popen.__init__ = _refuse


class StartsAProcess(AssertionError):
    """A test marked `unit` tried to start a process."""


def _refuse(self, args, *more, **kwargs):
    raise StartsAProcess(f"a unit test started a process: {args!r}; drop its unit marker")


@pytest.fixture(autouse=True)
def _unit_tests_start_no_process(request, monkeypatch):
    """The `unit` marker is a promise, kept by refusing every subprocess (asyncio's too,
    which goes through Popen): a test that needs a process belongs to the full suite."""
    if request.node.get_closest_marker("unit") is not None:
        monkeypatch.setattr(subprocess.Popen, "__init__", _refuse)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """One real `datalab up` shared by the end-to-end tests."""
    yield from serve_stack(tmp_path_factory)


def _person(request, user):
    from .clients import person

    return person(request.getfixturevalue("stack"), user, getattr(request.module, "API", "storage"))


@pytest.fixture(scope="module")
def alice(request):
    """alice (project stats) calling her module's ``API`` (tests/clients.py)."""
    return _person(request, "alice")


@pytest.fixture(scope="module")
def bob(request):
    """bob (project stats, with alice) calling his module's ``API``."""
    return _person(request, "bob")


@pytest.fixture(scope="module")
def carol(request):
    """carol (no project) calling her module's ``API``."""
    return _person(request, "carol")
