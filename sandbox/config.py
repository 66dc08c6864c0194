"""Configuration: defaults, then ``SANDBOX_*`` environment variables, then the mapping given to create_app."""

from __future__ import annotations

import os
from typing import Mapping

from sandbox.core.outbound import PRIVATE_NETWORKS

DEFAULTS = {
    "SEED": 42,
    "SEED_ORDERS": None,       # orders each API's seed generates in all; None: its own default (a few pages)
    "DATA_DIR": None,          # None: state lives in memory only
    "FIXTURES_DIR": None,      # a user's fixture files layered over the packaged ones
    "QUIET": False,            # no access log
    "HOST": "127.0.0.1",
    "PORT": 8080,
    "THREADS": 8,
    "TOKENS": {},              # api -> accepted secrets; an API not listed accepts any non-empty one
    "MAX_CONTENT_LENGTH": 1024 * 1024,             # request bodies to the emulated APIs
    # Bounds on what callers can grow (README "Bounds"): what happens at each is said there.
    "CONTROL_MAX_CONTENT_LENGTH": 32 * 1024 * 1024,   # control-plane bodies (whole states), 413 beyond
    "CONTROL_MAX_JSON_VALUES": 2_000_000,  # JSON values in one control-plane body, counted before parsing
    "JOURNAL_SIZE": 1000,      # requests kept per session, the oldest dropped first
    "JOURNAL_BYTES": 4 * 1024 * 1024,   # bytes of bodies and headers the journal keeps per session
    "MAX_SESSIONS": 64,        # named sessions alive at once; the least recently used goes first
    "MAX_SNAPSHOTS": 32,       # named snapshots per session; saving one more is refused (409)
    "COMPACT_BYTES": 8 * 1024 * 1024,   # a data dir's log this large is folded into its snapshot
    "REPLAY_ENTRIES": 1024,    # GET answers kept for replay (core/replay.py); the oldest go first; 0: none
    "REPLAY_BYTES": 16 * 1024 * 1024,   # bytes of bodies those answers hold at most
    "ADMIN_TOKEN": None,       # if set, control-plane calls from other hosts must send X-Sandbox-Admin-Token
    "CORS_ORIGINS": "*",       # comma-separated origins allowed to call from a browser; "*" for any
    "FORMATIONS_RATE_LIMIT": False,   # eFiling's 120/180 requests per 60 s, 429 beyond (off: never limited)
    "WEBHOOK_ATTEMPTS": 5,     # deliveries of one event to one subscriber, then it is marked failed
    "WEBHOOK_BACKOFF_SECONDS": 0.5,   # wait before the 2nd attempt; doubled before each further one
    "SHOP_USERS": {},          # shop: Bearer token -> user id; any other token is user 1 (the docs' user)
    # gc.freeze() once each API's seeded state is built, after a large import (never after a reset), and of what
    # survives a full collection while serving: the cyclic collector then no longer walks tens of thousands of
    # long-lived records in each full collection (sandbox/core/collector.py, make bench).
    "GC_FREEZE": True,
    # -- the trust boundary (sandbox/trust.py, README "Security"); CORS_ORIGINS above: the emulated APIs only,
    # ADMIN_TOKEN above: also accepted as the cookie /__sandbox/login sets --
    "ALLOWED_HOSTS": "",       # Host names the control plane answers to besides localhost, IPs and HOST; "*": any
    "CONTROL_ORIGINS": "",     # browser origins besides the sandbox's own that may call the control plane
    # where webhooks may go, checked on the resolved address: networks, addresses, host names; "*": anywhere
    "WEBHOOK_HOSTS": PRIVATE_NETWORKS,
    "WEBHOOK_TIMEOUT_SECONDS": 2.0,   # one delivery attempt, connect to last byte
    "WEBHOOK_SENDERS": 8,      # deliveries in flight at once; one receiver gets one at a time
    "WEBHOOK_FLUSH_SECONDS": 10.0,    # POST /__sandbox/webhooks/flush answers by then at the latest
}


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _shop_users(value: str) -> dict[str, int]:
    """``SANDBOX_SHOP_USERS=tokenA:2,tokenB:3`` -> {"tokenA": 2, "tokenB": 3}."""
    pairs = (pair.rpartition(":") for pair in value.split(",") if pair.strip())
    return {token.strip(): int(user) for token, _, user in pairs}


_TYPES = {"SEED": int, "SEED_ORDERS": int, "PORT": int, "THREADS": int, "DATA_DIR": str, "FIXTURES_DIR": str,
          "HOST": str, "JOURNAL_SIZE": int, "JOURNAL_BYTES": int, "MAX_SESSIONS": int, "MAX_SNAPSHOTS": int,
          "CONTROL_MAX_CONTENT_LENGTH": int, "CONTROL_MAX_JSON_VALUES": int, "COMPACT_BYTES": int, "REPLAY_ENTRIES": int, "REPLAY_BYTES": int, "ADMIN_TOKEN": str, "CORS_ORIGINS": str,
          "QUIET": _flag, "FORMATIONS_RATE_LIMIT": _flag, "WEBHOOK_ATTEMPTS": int, "WEBHOOK_BACKOFF_SECONDS": float,
          "SHOP_USERS": _shop_users, "GC_FREEZE": _flag,
          "ALLOWED_HOSTS": str, "CONTROL_ORIGINS": str, "WEBHOOK_HOSTS": str, "WEBHOOK_TIMEOUT_SECONDS": float,
          "WEBHOOK_SENDERS": int, "WEBHOOK_FLUSH_SECONDS": float}


class ConfigError(ValueError):
    """A ``SANDBOX_*`` variable whose value cannot be read; the message names the variable."""


_EXPECTED = {int: "an integer", float: "a number", _shop_users: "token:user pairs, comma-separated"}


def from_environment(environ: Mapping[str, str] = os.environ) -> dict:
    """``SANDBOX_SEED=7``, ``SANDBOX_PORT=9000``, ``SANDBOX_TOKENS_SHOP=a,b`` ..."""
    config: dict = {}
    for key, convert in _TYPES.items():
        value = environ.get(f"SANDBOX_{key}")
        if value not in (None, ""):
            try:
                config[key] = convert(value)
            except ValueError:
                raise ConfigError(f"SANDBOX_{key}={value!r} is not {_EXPECTED.get(convert, 'valid')}") from None
    tokens = {name[len("SANDBOX_TOKENS_"):].lower(): [t.strip() for t in value.split(",") if t.strip()]
              for name, value in environ.items() if name.startswith("SANDBOX_TOKENS_")}
    if tokens:
        config["TOKENS"] = tokens
    return config


def environment_variables() -> list[tuple[str, object]]:
    """Every ``SANDBOX_*`` variable the server reads, with its default (``sandbox serve --help`` lists them)."""
    return [(f"SANDBOX_{key}", DEFAULTS.get(key)) for key in _TYPES] + [("SANDBOX_TOKENS_<API>", DEFAULTS["TOKENS"])]


# Tests build hundreds of apps in one process: frozen objects are never collected, so they would pile up.
TEST_CONFIG = {"TESTING": True, "QUIET": True, "GC_FREEZE": False}

# A test's sandbox (the pytest plugin's server, sandbox.mock()) is its own: a data dir or fixture layer set in
# the environment for `sandbox serve` is neither read nor overwritten unless the test's config names one.
ISOLATED = {"DATA_DIR": None, "FIXTURES_DIR": None}


def isolated_config(config: Mapping | None = None) -> dict:
    """create_app settings for a test: the test defaults, no data dir, no user fixtures, then ``config``."""
    return {**TEST_CONFIG, **ISOLATED, **(config or {})}
