"""The emulated APIs, one line each. A sixth API is a new ``sandbox/apis/<name>/`` folder and a line here."""

from __future__ import annotations

import importlib

APIS = (
    "appx",
    "shop",
    "slyk",
    "mittwald",
    "formations",
)


def load_apis(names=None):
    """Each API's ``ApiSpec``, in registry order (or only those named)."""
    return [importlib.import_module(f"sandbox.apis.{name}").API for name in names or APIS]
