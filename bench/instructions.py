"""Instructions per request, counted by callgrind: a figure that does not move with the VM's speed, for telling
whether a change made a request cheaper when wall-clock runs differ by 10-25% from one minute to the next.

    python bench/instructions.py slyk                       # slyk's bench create, 400 requests
    python bench/instructions.py shop --kind one --requests 1000

One of the API's ``bench=Bench(...)`` requests goes through the server's own path in process
(``Server._respond_timed``, with a stand-in for granian's protocol) 200 times to warm up, then ``--requests``
times with callgrind counting (``callgrind_control -z`` before, ``-d`` after). PYTHONHASHSEED is fixed, so two
runs of the same code agree to within 0.01%. What it leaves out: granian, the sockets and the thread hand-overs
(make bench measures those). Needs valgrind; a run takes a minute or two.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

WARM_UP = 200


def _child(api: str, kind: str, requests: int, fifo: str) -> None:
    from bench.run import KINDS, resolve_targets
    from sandbox.core.fixtures import load_fixtures
    from sandbox.core.lifecycle import FIRED_FAULT
    from sandbox.registry import load_apis

    assert kind in KINDS, kind
    spec = next(spec for spec in load_apis() if spec.name == api)
    setup = spec.bench.create_setup(load_fixtures(api), WARM_UP + requests) \
        if kind == "create" and spec.bench.create_setup else None
    if setup is not None:
        os.environ.update(setup.environment)       # read by the app as it is built

    from sandbox.app import create_app
    from sandbox.server import Server

    app = create_app({"SEED": 42})
    client = app.test_client()
    state = lambda: client.get(f"/__sandbox/state?api={api}").get_json()["apis"][api]    # noqa: E731
    if setup is not None:
        current = state()
        tables = {table: [r for r in current[table] if r.get("id") not in {x["id"] for x in records}] + list(records)
                  for table, records in setup.records.items()}
        assert client.put("/__sandbox/state", json={"apis": {api: tables}}).status_code == 200
    target = next(t for t in resolve_targets([spec], lambda _api, table: state()[table][0])[0] if t.kind == kind)
    server = Server(app, "127.0.0.1", 0, 2)
    body = (target.body or "").encode()
    variants = iter(setup.headers if setup is not None else [{}] * (WARM_UP + requests))

    class Scope:
        proto, method, path, query_string, http_version, scheme = "http", target.method, target.path, "", "1.1", "http"
        client, server = "127.0.0.1:50000", "127.0.0.1:8080"

    class Protocol:
        status = None

        def response_bytes(self, status, headers, content):
            self.status = status

    scope, protocol = Scope(), Protocol()
    base = {"host": "127.0.0.1:8080", **{k.lower(): v for k, v in target.headers.items()},
            **({"content-length": str(len(body))} if body else {})}

    def one() -> None:
        scope.headers = {**base, **{k.lower(): v for k, v in next(variants).items()}}
        environ = server._environ(scope, scope.path, body)
        environ[FIRED_FAULT] = None
        server._respond_timed(environ, protocol, time.perf_counter)

    for _ in range(WARM_UP):
        one()
    assert protocol.status is not None and 200 <= protocol.status < 300, protocol.status

    def pause(mark: str) -> None:
        print(mark, flush=True)
        with open(fifo) as wait:
            wait.read(1)

    pause("READY")
    for _ in range(requests):
        one()
    pause("DONE")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("api")
    parser.add_argument("--kind", default="create", help="one, list or create (default create)")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.api, args.kind, args.requests, args.child)
        return 0
    with tempfile.TemporaryDirectory() as work:
        fifo, out = os.path.join(work, "go"), os.path.join(work, "callgrind")
        os.mkfifo(fifo)
        child = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p", sys.executable, __file__, args.api,
             "--kind", args.kind, "--requests", str(args.requests), "--child", fifo],
            env={**os.environ, "PYTHONHASHSEED": "0"}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for expected in ("READY", "DONE"):
            line = child.stdout.readline().strip()
            if line != expected:
                child.kill()
                raise SystemExit(f"the measured process said {line!r}, not {expected}")
            subprocess.run(["callgrind_control", "-z" if expected == "READY" else "-d", str(child.pid)],
                           check=True, capture_output=True)
            with open(fifo, "w") as go:
                go.write("x")
        child.wait()
        dump = next(Path(work).glob("callgrind.*.1"))
        total = next(int(line.split()[1]) for line in dump.read_text().splitlines() if line.startswith("summary:"))
    print(f"{args.api} {args.kind}: {total / args.requests:,.0f} instructions per request ({args.requests} requests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
