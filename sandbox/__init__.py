"""order-sandbox: a stateful local emulation of five third-party order APIs."""

__version__ = "0.1.0"

from sandbox.app import create_app  # noqa: E402

__all__ = ["create_app", "mock", "__version__"]


def __getattr__(name):
    # sandbox.mock() loads its interception libraries only when someone asks for it.
    if name == "mock":
        from sandbox.mocking import mock

        return mock
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
