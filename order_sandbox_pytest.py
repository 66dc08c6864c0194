"""order-sandbox's pytest plugin (entry point ``pytest11``): the sandbox as fixtures for your own test suite.

This module is the entry point on purpose, and is not inside the ``sandbox`` package: pytest imports every
installed plugin before it collects anything, and a project with its own top-level ``sandbox`` package must
still collect and run. So nothing here imports ``sandbox`` until a test uses one of the fixtures below.

Fixtures (``pytest --fixtures`` shows the same):

- ``sandbox``: the test's handle on a running sandbox, clean before the test, its named sessions dropped after.
- ``sandbox_server``: that server (one per test session; one per pytest-xdist worker).
- ``sandbox_server_config``: the server's configuration; override it in a conftest.py.
- ``sandbox_app`` / ``sandbox_client``: a fresh in-process app and its Flask test client (no socket).
- ``sandbox_mock``: ``sandbox.mock()`` for one test: the vendors' own hosts answered in process, no server.

The marker ``@pytest.mark.sandbox_config(**config)`` gives one test its own server built with ``config``.
The test servers never read ``SANDBOX_DATA_DIR`` or ``SANDBOX_FIXTURES_DIR`` from the environment: they persist
nothing and load no fixture files of yours unless the configuration above asks for them by name.
"""

from __future__ import annotations

import pytest

MARKER = "sandbox_config"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", f"{MARKER}(**config): give this test its own order-sandbox server built with these create_app "
                   "settings, e.g. FIXTURES_DIR='tests/fixtures' or DATA_DIR=str(path).")


def _plugin():
    """``sandbox.pytest_plugin``, or a clear error when the name ``sandbox`` belongs to the project under test."""
    try:
        from sandbox import pytest_plugin
    except ImportError:
        import sandbox
        pytest.fail(f"order-sandbox's fixtures need its package `sandbox`, but `import sandbox` gives "
                    f"{getattr(sandbox, '__file__', sandbox)!r} (a package of this project?). Run the `sandbox` "
                    f"command in a process of its own instead (`sandbox serve &`, then `sandbox wait`).",
                    pytrace=False)
    return pytest_plugin


@pytest.fixture(scope="session")
def sandbox_server_config() -> dict:
    """The settings (create_app keys) of the session's sandbox server: none beyond the test defaults.

    Override it in a conftest.py to serve your own fixture files or another seed::

        @pytest.fixture(scope="session")
        def sandbox_server_config():
            return {"FIXTURES_DIR": "tests/sandbox-fixtures", "SEED": 7}
    """
    return {}


@pytest.fixture(scope="session")
def sandbox_server(sandbox_server_config):
    """A real order-sandbox server (threads) on a free loopback port, for the whole test session.

    One per pytest-xdist worker. ``sandbox_server.url("slyk")`` is the base URL for a Slyk client. Built from
    ``sandbox_server_config``; never from SANDBOX_DATA_DIR / SANDBOX_FIXTURES_DIR in the environment.
    """
    with _plugin().SandboxServer(sandbox_server_config) as server:
        yield server


@pytest.fixture
def sandbox(request):
    """The test's handle on the running sandbox, through its HTTP control plane.

    Before the test: seeded state, empty journal, no faults, snapshots or webhooks, real time. After it: every
    named session the test touched is dropped. ``sandbox.url(api)``, ``.requests(api=, method=, path=, status=,
    since=, limit=)``, ``.fault(...)``, ``.freeze(...)``, ``.snapshot()``, ``.reset()``;
    ``sandbox.session("job-1")`` is the same handle for a named session, with ``.headers`` to send.
    A test marked ``@pytest.mark.sandbox_config(**config)`` gets its own server built with ``config``.
    """
    plugin = _plugin()
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        yield from plugin.handle_for(request.getfixturevalue("sandbox_server"))
        return
    with plugin.SandboxServer({**request.getfixturevalue("sandbox_server_config"), **marker.kwargs}) as server:
        yield from plugin.handle_for(server)


@pytest.fixture
def sandbox_app():
    """A fresh, seeded order-sandbox Flask app in this process (test settings, no socket, no data dir)."""
    return _plugin().isolated_app()


@pytest.fixture
def sandbox_client(sandbox_app):
    """The Flask test client of ``sandbox_app``: ``sandbox_client.get("/slyk/orders", headers=...)``."""
    return sandbox_app.test_client()


# -- sandbox.mock() (issue 21): the vendors' own hosts served in process -----------------------------------
@pytest.fixture(scope="session")
def sandbox_mock_instance():
    """The session's one ``sandbox.mock()`` (its app is built once); ``sandbox_mock`` activates it per test."""
    from sandbox.mocking import mock

    return mock()


@pytest.fixture
def sandbox_mock(sandbox_mock_instance):
    """Calls to the vendors' real hosts (requests, httpx) answered in process for this test, from a clean
    sandbox: ``sandbox_mock.requests()``, ``.fault(...)``, ``.freeze(...)``, ``.reset()``, ``.state()`` ...
    Other hosts go on as usual. Hosts of shop and formations: ``SANDBOX_MOCK_HOSTS``."""
    with sandbox_mock_instance:
        yield sandbox_mock_instance
