"""``sandbox serve | wait | reset | check | routes | fixtures``: the command line (click, which Flask ships)."""

from __future__ import annotations

import os
import sys
import time

import click

from sandbox import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="order-sandbox")
def main():
    """order-sandbox: stateful local emulations of five order APIs."""


# serve's options and the settings they override; each setting's SANDBOX_* variable is the option's default.
SERVE_SETTINGS = {"host": "HOST", "port": "PORT", "seed": "SEED", "seed_orders": "SEED_ORDERS", "data_dir": "DATA_DIR",
                  "fixtures_dir": "FIXTURES_DIR", "threads": "THREADS", "quiet": "QUIET"}


def _environment_help() -> str:
    """serve's help epilog: every SANDBOX_* variable with its default, read from sandbox/config.py."""
    from sandbox.config import environment_variables

    flags = {f"SANDBOX_{key}": "--" + name.replace("_", "-") for name, key in SERVE_SETTINGS.items()}
    flags["SANDBOX_FIXTURES_DIR"] = "--fixtures"

    def shown(value) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return "(unset)" if value in (None, {}, []) else str(value)

    settings = [(f"{name}={shown(default)}", flags.get(name, "")) for name, default in environment_variables()]
    width = max(len(setting) for setting, _ in settings)
    lines = [f"  {setting:<{width}}  {flag}".rstrip() for setting, flag in settings]
    return ("Environment: every setting comes from a SANDBOX_* variable, an option given wins. "
            "Defaults:\n\n\b\n" + "\n".join(lines))


@main.command(epilog=_environment_help())
@click.option("--host", default=None, help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port 1-65535, or 0 for any free one (default 8080).")
@click.option("--seed", type=int, default=None, help="Seed for the generated data (default 42).")
@click.option("--seed-orders", type=click.IntRange(min=1), default=None,
              help="Orders each API is seeded with, the docs' among them (default: each API's own few pages).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Persist state here (one TinyDB file per API); default: memory only.")
@click.option("--fixtures", "fixtures_dir", type=click.Path(file_okay=False), default=None,
              help="Layer your own fixture files (same layout as fixtures/) over the packaged ones.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Threads for API requests that may block or take long (default 8); the rest run on the event loop; the control plane has 2 of its own.")
@click.option("--quiet", is_flag=True, default=None, help="No access log.")
@click.pass_context
def serve(ctx, host, port, seed, seed_orders, data_dir, fixtures_dir, threads, quiet):
    """Serve every emulated API from one process: granian's HTTP stack, the app on its event loop and --threads threads."""
    from sandbox.app import create_app
    from sandbox.core.fixtures import FixtureError
    from sandbox.core.persistence import DataDirError
    from sandbox.core.progress import Progress
    from sandbox.registry import APIS

    _check_environment(ctx)
    given = {"host": host, "port": port, "seed": seed, "seed_orders": seed_orders, "data_dir": data_dir,
             "fixtures_dir": fixtures_dir, "threads": threads, "quiet": quiet}
    overrides = {SERVE_SETTINGS[name]: value for name, value in given.items() if value is not None}
    try:
        with Progress("seeding", len(APIS)) as progress:
            app = create_app(overrides, progress=progress)
    except FixtureError as exc:
        raise click.ClickException(f"bad fixture: {exc}") from None
    except DataDirError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    try:
        run(app)
    finally:
        app.extensions["sandbox"].store.close()


def _check_environment(ctx: click.Context) -> None:
    """Each SANDBOX_* variable read as its option reads a value (SANDBOX_PORT=70000 fails as --port 70000
    does); a bad one is a usage error naming it, exit 2, before anything is seeded."""
    from sandbox.config import ConfigError, from_environment

    try:
        environment = from_environment(os.environ)
    except ConfigError as exc:
        raise click.UsageError(str(exc), ctx) from None
    for param in ctx.command.params:
        key = SERVE_SETTINGS.get(param.name)
        if key not in environment or ctx.params.get(param.name) is not None or param.is_flag:
            continue
        try:
            param.type.convert(environment[key], param, ctx)
        except click.BadParameter as exc:
            raise click.UsageError(f"SANDBOX_{key}={os.environ[f'SANDBOX_{key}']!r}: {exc.message}", ctx) from None


def run(app) -> None:
    """Serve ``app`` (sandbox/server.py: granian in front, threads in one process, since the state lives in
    this process's memory) until SIGTERM or SIGINT, then exit 0."""
    from sandbox.core.accesslog import AccessLog
    from sandbox.server import PortInUse, Server
    from sandbox.trust import is_loopback

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
    if not (config["HOST"] == "localhost" or is_loopback(config["HOST"])) and not config.get("ADMIN_TOKEN"):
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
        sys.stdout = open(os.devnull, "w")


def _default_url() -> str:
    """Where a local ``sandbox serve`` listens: SANDBOX_HOST and SANDBOX_PORT, as serve reads them."""
    from sandbox.config import DEFAULTS, ConfigError, from_environment

    try:
        settings = {**DEFAULTS, **from_environment(os.environ)}
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    host = settings["HOST"]
    host = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings['PORT']}"


def _base_url(url: str | None) -> str:
    from urllib.parse import urlsplit

    url = url or _default_url()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise click.BadParameter(f"{url!r}: {exc}", param_hint="--url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not an http:// or https:// URL", param_hint="--url")
    return url.rstrip("/")


URL_OPTION = click.option("--url", envvar="SANDBOX_URL", default=None, show_envvar=True,
                          help="The sandbox's base URL (default: http://SANDBOX_HOST:SANDBOX_PORT, "
                               "http://127.0.0.1:8080).")


@main.command()
@URL_OPTION
@click.option("--timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds to wait before giving up.")
def wait(url, timeout):
    """Wait until a sandbox answers /__sandbox/health: exit 0 once it does, 1 after the timeout.

    For CI scripts: `sandbox serve --port 8080 & sandbox wait --url http://127.0.0.1:8080`."""
    from sandbox.client import ControlError, call

    base = _base_url(url)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            health = call(base, "GET", "/health", timeout=max(0.1, min(2.0, remaining)))
            if isinstance(health, dict) and health.get("status") == "ok":
                click.echo(f"order-sandbox {health.get('version', '?')} ready at {base}")
                return
            problem = f"unexpected health answer {health!r}"
        except (ControlError, OSError, ValueError) as exc:
            problem = str(exc)
        if remaining <= 0:
            click.echo(f"order-sandbox not ready at {base} after {timeout:g} s: {problem}", err=True)
            sys.exit(1)
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


@main.command()
@URL_OPTION
@click.option("--api", "apis", multiple=True, help="Only this API (repeatable); default: every API.")
@click.option("--session", default=None, help="A named session (X-Sandbox-Session); default: the default one.")
@click.option("--admin-token", envvar="SANDBOX_ADMIN_TOKEN", default=None, show_envvar=True,
              help="Sent as X-Sandbox-Admin-Token, which a sandbox with an admin token asks of other hosts.")
def reset(url, apis, session, admin_token):
    """Put a running sandbox back to its seeded state (all APIs, or those named)."""
    from sandbox.client import ADMIN_HEADER, SESSION_HEADER, ControlError, call

    base = _base_url(url)
    headers = {**({SESSION_HEADER: session} if session else {}), **({ADMIN_HEADER: admin_token} if admin_token else {})}
    reset_apis: list[str] = []
    for api in apis or (None,):
        try:
            answer = call(base, "POST", "/reset", query={"api": api}, headers=headers, timeout=30)
        except ControlError as exc:
            raise click.ClickException(f"reset refused by {base}: {exc.status} {exc.message}") from None
        except OSError as exc:
            raise click.ClickException(f"no sandbox at {base}: {exc}") from None
        reset_apis += answer["reset"]
        session_reset = answer["session"]
    click.echo(f"reset {', '.join(reset_apis)} (session {session_reset})")


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
