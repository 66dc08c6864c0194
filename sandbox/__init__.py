"""order-sandbox: a stateful local emulation of five third-party order APIs."""

__version__ = "0.1.0"

from sandbox.app import create_app  # noqa: E402

__all__ = ["create_app", "__version__"]
