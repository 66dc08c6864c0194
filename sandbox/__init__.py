"""order-sandbox: a stateful local emulation of five third-party order APIs."""

__version__ = "0.1.0"

from sandbox.app import create_app  # noqa: E402

__all__ = ["create_app", "SandboxServer", "__version__"]


def __getattr__(name: str):
    # ``from sandbox import SandboxServer``: the test server's module (waitress, urllib) loads only when asked.
    if name == "SandboxServer":
        from sandbox.pytest_plugin import SandboxServer
        return SandboxServer
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
