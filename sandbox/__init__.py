"""order-sandbox: a stateful local emulation of five third-party order APIs."""

__version__ = "0.1.0"

__all__ = ["create_app", "mock", "SandboxServer", "__version__"]


def __getattr__(name: str):
    # Loaded only when asked: create_app brings Flask and every API (half a second), which the control-plane
    # client (sandbox.client, `sandbox wait` and `sandbox reset`) never needs; sandbox.mock() pulls in its
    # interception libraries, SandboxServer the test server's module (waitress, urllib).
    if name == "create_app":
        from sandbox.app import create_app

        return create_app
    if name == "mock":
        from sandbox.mocking import mock

        return mock
    if name == "SandboxServer":
        from sandbox.pytest_plugin import SandboxServer

        return SandboxServer
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
