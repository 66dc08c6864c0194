"""What ``make bench`` relies on, without timing anything: every API's bench targets answer 2xx (creates
repeatedly), ``--seed-orders`` sizes every API's orders, and the seeding counter speaks only when slow."""

from __future__ import annotations

import io

import pytest

from bench.run import resolve_targets
from sandbox import create_app
from sandbox.config import TEST_CONFIG, from_environment
from sandbox.core.fixtures import load_fixtures
from sandbox.core.progress import Progress
from tests.conftest import api_specs

SPECS = api_specs()


@pytest.mark.parametrize("spec", SPECS, ids=[spec.name for spec in SPECS])
def test_every_bench_target_answers_2xx_and_creates_repeat(spec):
    setup = spec.bench.create_setup(load_fixtures(spec.name), 3) if spec.bench.create_setup else None
    app = create_app({**TEST_CONFIG, **from_environment(setup.environment if setup else {})})
    store, client = app.extensions["sandbox"].store, app.test_client()
    if setup:
        data = store.state(spec.name).export()
        store.restore({spec.name: store.build(spec.name, {t: data[t] + list(setup.records.get(t, ())) for t in data})})
    targets, missing = resolve_targets([spec], lambda api, table: store.state(api)[table].all()[0])
    assert {t.kind for t in targets} | {key.split("/")[1] for key in missing} == {"one", "list", "create"}
    for target in targets:
        rounds = setup.headers if target.kind == "create" and setup else [{}] * (3 if target.kind == "create" else 1)
        for extra in rounds:
            response = client.open(target.path, method=target.method, headers={**target.headers, **extra},
                                   data=target.body)
            assert 200 <= response.status_code < 300, (target, response.get_data(as_text=True)[:300])


def test_seed_orders_sizes_every_api_and_keeps_the_docs_records():
    app = create_app({**TEST_CONFIG, "SEED_ORDERS": 300})
    store = app.extensions["sandbox"].store
    for spec in SPECS:
        orders = store.state(spec.name)["orders"].all()
        assert len(orders) == 300, spec.name
        documented = load_fixtures(spec.name).get("orders", ())
        ids = {o["id"] for o in orders}
        assert all(o["id"] in ids for o in documented if "id" in o), spec.name


def test_progress_is_silent_when_quick_and_counts_when_slow():
    quick = io.StringIO()
    with Progress("seeding", 2, quick, after=60) as progress:
        progress.track("a", lambda: 1)
    assert quick.getvalue() == ""

    slow = io.StringIO()
    with Progress("seeding", 2, slow, after=0) as progress:
        assert progress.track("a", lambda: 7) == 7
        progress.track("b", lambda: None)
    lines = slow.getvalue().splitlines()
    assert lines[0].startswith("seeding: 1/2 (a done)") and lines[-1].startswith("seeding: 2/2 done in")


@pytest.mark.parametrize("driver", ["wrk", "python"])
def test_the_load_generator_sends_each_variant_in_turn_with_the_cells_headers_and_body(driver):
    """A create cell's variants (shop: a user with a filled cart each) must each be sent, in turn, with the cell's
    own headers and body: wrk sends requests formatted before the load (bench/loadgen.py)."""
    import shutil
    import threading
    from collections import Counter
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bench import loadgen

    # make test installs wrk (the Makefile's tools target): a machine without it fails here rather than go untested
    assert driver != "wrk" or shutil.which("wrk"), "wrk is not installed: run make test, or apt-get install wrk"
    seen: Counter = Counter()

    class Recording(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen[(self.headers["Authorization"], self.headers["X-Cell"], self.headers["Host"], body)] += 1
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        cell = {"host": "127.0.0.1", "port": port, "method": "POST", "path": "/orders", "concurrency": 1,
                "seconds": 1, "headers": {"X-Cell": "yes", "Authorization": "Bearer default"}, "body": '{"a": 1}',
                "variants": [{"Authorization": f"Bearer user-{n}"} for n in range(3)]}
        result = loadgen._wrk(cell) if driver == "wrk" else loadgen._python(cell)
    finally:
        server.shutdown()
    assert set(seen) == {(f"Bearer user-{n}", "yes", f"127.0.0.1:{port}", b'{"a": 1}') for n in range(3)}
    assert result["errors"] == 0 and result["requests"] >= 30
    assert max(seen.values()) - min(seen.values()) <= 1          # in turn: none sent twice before the others
