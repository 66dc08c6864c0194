"""The floor of the stack for ``make bench``: a bare Flask app answering one constant JSON body, served by
waitress with the same threads as ``sandbox serve``. What the sandbox costs on top of it is its own."""

from __future__ import annotations

import sys

import waitress
from flask import Flask

from sandbox.config import DEFAULTS

BODY = {"id": 15, "status": "pending", "total": "455.00", "items": [{"id": 2, "quantity": 1}]}


def create_floor() -> Flask:
    app = Flask("floor")

    @app.get("/")
    def constant():
        return BODY

    return app


if __name__ == "__main__":
    waitress.serve(create_floor(), host="127.0.0.1", port=int(sys.argv[1]), threads=int(DEFAULTS["THREADS"]),
                   ident="floor", _quiet=True)
