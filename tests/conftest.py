"""Fixtures shared by every test: a fresh, seeded app per test (flaskr style) and helpers that read as steps."""

from __future__ import annotations


import pytest

pytest_plugins = ("pytester",)

from sandbox import create_app
from sandbox.config import TEST_CONFIG
from sandbox.core.examples import drift, load_examples, replay
from sandbox.registry import APIS, load_apis


@pytest.fixture(scope="session")
def installed_wheel(tmp_path_factory):
    """The project built as a wheel once per test session and installed (without its dependencies, which this
    environment has) into an empty directory: put it first on PYTHONPATH to use the package as a user gets it."""
    import subprocess
    import sys
    from pathlib import Path

    root, work = Path(__file__).resolve().parent.parent, tmp_path_factory.mktemp("wheel")
    wheels, target = work / "wheels", work / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(root)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(wheels.glob("order_sandbox-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    return target


@pytest.fixture
def app():
    """pytest-flask builds ``client`` from this."""
    return create_app(TEST_CONFIG)


@pytest.fixture
def box(app):
    """The running sandbox behind ``app``: store, clock, registry."""
    return app.extensions["sandbox"]


def api_specs():
    return load_apis()


def assert_same_json(expected, actual):
    """Equal values, equal types and equal key order; the message lists every drift."""
    differences = drift(expected, actual)
    assert not differences, "\n".join(f"{p}: expected {e!r}, got {a!r}" for p, e, a in differences)


class Examples:
    """Replays the docs' examples of one API against the test client."""

    def __init__(self, client, api: str):
        self.client = client
        self.spec = next(s for s in load_apis() if s.name == api)

    def all(self):
        return load_examples(self.spec.name)

    def replay(self, example):
        return replay(self.client, self.spec, example, self.client.application.extensions["sandbox"].clock)


__all__ = ["APIS", "Examples", "api_specs", "assert_same_json"]


def auth_headers(spec) -> dict[str, str]:
    """Headers that satisfy the API's documented auth: the first alternative of each requirement."""
    headers = {}
    for alternatives in spec.auth.requirements:
        credential = alternatives[0]
        headers[credential.header] = f"{credential.scheme} test-token" if credential.scheme else "test-key"
    return headers


def sample_get_paths(app, spec) -> list[str]:
    """One concrete URL per GET route of the API, its path parameters naming seeded records."""
    import re
    values = seeded_values(app, spec)

    def fill(match):
        name = match.group(1).split(":")[-1]
        return values.get(name, ["1"])[0]
    return sorted(re.sub(r"<([^>]+)>", fill, rule.rule) for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith(spec.name + ".") and "GET" in rule.methods)


def pytest_sessionfinish(session, exitstatus):
    """When the whole suite ran green, every listed rule must have refused at least one request in it:
    an API's own rules by their full id, the generic ones in at least one API."""
    from sandbox.core.rules import GENERIC, catalogue, observed
    option = session.config.option
    whole_suite = not (option.keyword or option.markexpr or getattr(option, "lf", False))
    args = [str(a) for a in session.config.args]
    if exitstatus != 0 or not whole_suite or any(not a.rstrip("/").endswith("tests") for a in args):
        return
    generic = {rule.id for rule in GENERIC}
    missing = sorted(
        rule["id"] for spec in load_apis() for rule in catalogue(spec)
        if rule["id"] not in observed and not (rule["id"].split(".", 1)[1] in generic
                                               and any(o.endswith("." + rule["id"].split(".", 1)[1]) for o in observed)))
    if missing:
        session.config.get_terminal_writer().line(
            f"\nRules listed at /__sandbox/rules that no test saw refuse a request: {', '.join(missing)}", red=True)
        session.exitstatus = 1
def seeded_values(app, spec, per_table: int = 1) -> dict[str, list[str]]:
    """Path parameter values that name seeded records: those the docs' examples use, then each table's
    first records (``order_id`` -> orders' id, ``order_number`` -> a record's order_number)."""
    values: dict[str, list[str]] = {}
    adapter = app.url_map.bind("localhost")
    for example in load_examples(spec.name):
        _, args = adapter.match(spec.url_prefix + example["request"]["path"].split("?")[0],
                                method=example["request"]["method"])
        for name, value in args.items():
            values.setdefault(name, []).append(value)
    state = app.extensions["sandbox"].store.state(spec.name).export()
    for table, records in state.items():
        for record in records[:per_table]:
            values.setdefault(f"{table.rstrip('s')}_id", []).append(str(record["id"]))
            values.setdefault(f"{table.rstrip('s')}Id", []).append(str(record["id"]))   # mittwald's spelling
            for key, value in record.items():
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    values.setdefault(key, []).append(str(value))
    return values
