import pytest

from .browser import chromium  # noqa: F401  (headless Chromium fixture)
from .oidcctl import provider  # noqa: F401  (a standalone OIDC provider fixture)
from .stackctl import RunningStack, alive, free_base_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """One real `datalab up` shared by the end-to-end tests."""
    running = RunningStack(tmp_path_factory.mktemp("stack") / "state", free_base_port())
    running.start()
    yield running
    pids = running.stop()
    assert running.proc.returncode == 0, running.read_output()
    assert not alive(pids), f"processes left after shutdown: {alive(pids)}"
