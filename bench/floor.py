"""The floor of the stack for ``make bench``: a bare Flask app answering one constant JSON body, served with the
same threads as ``sandbox serve`` by waitress (the sandbox's server before granian, and the reference of the
targets) or by the sandbox's own server (``granian``: sandbox/server.py). What the sandbox costs on top of
the floor on its own server is its own.

    python bench/floor.py PORT [waitress|granian]"""

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
    port, server = int(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else "waitress")
    if server == "granian":
        from sandbox.server import Server
        Server(create_floor(), "127.0.0.1", port, int(DEFAULTS["THREADS"])).serve()
    else:
        waitress.serve(create_floor(), host="127.0.0.1", port=port, threads=int(DEFAULTS["THREADS"]),
                       ident="floor", _quiet=True)
