"""``sandbox serve | routes``: the command line (click, which Flask ships)."""

from __future__ import annotations

import sys

import click

from sandbox import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="order-sandbox")
def main():
    """order-sandbox: stateful local emulations of five order APIs."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8080).")
@click.option("--seed", type=int, default=None, help="Seed for the generated data (default 42).")
@click.option("--seed-orders", type=click.IntRange(min=1), default=None,
              help="Orders each API is seeded with, the docs' among them (default: each API's own few pages).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Persist state here (one TinyDB file per API); default: memory only.")
@click.option("--fixtures", "fixtures_dir", type=click.Path(file_okay=False), default=None,
              help="Layer your own fixture files (same layout as fixtures/) over the packaged ones.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Threads that run API requests (default 8); the control plane has 2 of its own.")
@click.option("--quiet", is_flag=True, default=None, help="No access log.")
def serve(host, port, seed, seed_orders, data_dir, fixtures_dir, threads, quiet):
    """Serve every emulated API from one process: granian's HTTP stack, the app on --threads threads."""
    from sandbox.app import create_app
    from sandbox.core.fixtures import FixtureError
    from sandbox.core.progress import Progress
    from sandbox.registry import APIS

    overrides = {"HOST": host, "PORT": port, "SEED": seed, "SEED_ORDERS": seed_orders, "DATA_DIR": data_dir,
                 "THREADS": threads, "QUIET": quiet, "FIXTURES_DIR": fixtures_dir}
    try:
        with Progress("seeding", len(APIS)) as progress:
            app = create_app({k: v for k, v in overrides.items() if v is not None}, progress=progress)
    except FixtureError as exc:
        raise click.ClickException(f"bad fixture: {exc}") from None
    run(app)


def run(app) -> None:
    """Serve ``app`` (sandbox/server.py: granian in front, threads in one process, since the state lives in
    this process's memory) until SIGTERM or SIGINT, then exit 0."""
    from sandbox.core.accesslog import AccessLog
    from sandbox.server import PortInUse, Server

    config = app.config
    try:
        server = Server(app, config["HOST"], int(config["PORT"]), int(config["THREADS"]))
    except PortInUse as exc:
        click.echo(f"order-sandbox: {exc}", err=True)
        sys.exit(1)
    access_log = None
    if not config["QUIET"]:
        access_log = app.extensions["sandbox"].access_log = AccessLog(sys.stdout)
    base = server.url
    _say(f"order-sandbox {__version__} on {base} (seed {config['SEED']}, "
         f"{'data in ' + str(config['DATA_DIR']) if config['DATA_DIR'] else 'in memory'})")
    for name, spec in app.extensions["sandbox"].apis.items():
        _say(f"  {name:<11} {base}{spec.client_base}")
    _say(f"  {'control':<11} {base}/__sandbox/health")
    if not _loopback(config["HOST"]) and not config.get("ADMIN_TOKEN"):
        click.echo(f"warning: bound to {config['HOST']} without SANDBOX_ADMIN_TOKEN: any client that reaches this "
                   "port can reset, import and fault the sandbox (/__sandbox/). Set SANDBOX_ADMIN_TOKEN to require "
                   "X-Sandbox-Admin-Token from clients that are not on loopback.", err=True)
    _say(f"listening on {base}")    # the readiness line: the port is bound and answers from now on
    server.serve()
    if access_log is not None:
        access_log.close()


def _say(line: str) -> None:
    """A console line on stdout, flushed; a reader that has gone away (``sandbox serve | head -1``) must not
    stop the server, so stdout then becomes /dev/null (Python would otherwise fail its own flush at exit)."""
    try:
        click.echo(line)
        sys.stdout.flush()
    except OSError:
        import os
        sys.stdout = open(os.devnull, "w")


def _loopback(host: str) -> bool:
    from ipaddress import ip_address
    try:
        return host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        return False


@main.command()
@click.option("--api", "apis", multiple=True, help="Only this API (repeatable).")
def check(apis):
    """Replay every documented example against a fresh in-process sandbox and report any drift."""
    import json

    from sandbox.app import create_app
    from sandbox.config import TEST_CONFIG
    from sandbox.core.examples import check as replay_all

    app = create_app(TEST_CONFIG)
    unknown = set(apis) - set(app.extensions["sandbox"].apis)
    if unknown:
        raise click.BadParameter(f"unknown API {', '.join(sorted(unknown))}", param_hint="--api")
    results = replay_all(app, set(apis) or None)
    drifted = 0
    for name in app.extensions["sandbox"].apis:
        mine = [r for r in results if r["api"] == name]
        if not mine:
            continue
        matched = sum(not r["drift"] for r in mine)
        click.echo(f"{name:<11} {len(mine)} replayed, {matched} matched")
        for result in mine:
            for path, expected, actual in result["drift"]:
                drifted += 1
                click.echo(f"  DRIFT {result['example']} {path}: expected {json.dumps(expected, ensure_ascii=False)}"
                           f", got {json.dumps(actual, ensure_ascii=False)}")
    click.echo(f"{len(results)} examples, {drifted} drifts")
    sys.exit(1 if drifted else 0)


@main.group()
def fixtures():
    """Your own fixture files: `sandbox fixtures export DIR`, then `sandbox serve --fixtures DIR`."""


@fixtures.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--seed", type=int, default=None, help="Seed for the generated records (default 42).")
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
def export_fixtures(directory, seed, force):
    """Write the seeded records (the docs' and the generated ones), one file per table, to DIRECTORY:
    the starting point for your own. Keep what you need, edit, add; ids you keep replace seeded records."""
    from sandbox.app import create_app
    from sandbox.config import TEST_CONFIG
    from sandbox.core.fixtures import FixtureError, export

    store = create_app({**TEST_CONFIG, **({"SEED": seed} if seed is not None else {})}).extensions["sandbox"].store
    try:
        written = export(directory, {api: store.seeded(api).export() for api in store.apis}, force=force)
    except FixtureError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {len(written)} files to {directory}; edit them, then: sandbox serve --fixtures {directory}")


@main.command()
def routes():
    """List every route the sandbox serves."""
    from sandbox.app import create_app

    app = create_app({"QUIET": True})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = ",".join(sorted(m for m in rule.methods if m not in {"HEAD", "OPTIONS"}))
        click.echo(f"{methods:<12} {rule.rule}")


if __name__ == "__main__":
    main()
