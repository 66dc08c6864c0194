"""The control plane's trust boundary: who may read and steer the sandbox, and from where.

The emulated APIs are open to every client and every browser origin, as the real services are. The control
plane (``/__sandbox/...``), the sandbox's own pages and its OpenAPI documents are not: a web page the
developer visits while the sandbox runs must neither read nor change it. ``guard`` runs before each of
their views; a refusal is the control plane's JSON error naming its rule (``X-Sandbox-Rule: control.<id>``):

- ``host-allowed`` (403): Host is a loopback name (``localhost``, ``*.localhost``), an IP address, the name the
  server is bound to, or one of ``SANDBOX_ALLOWED_HOSTS``. The standard defence against DNS rebinding, as
  webpack-dev-server and Vite do it: a rebinding page reaches 127.0.0.1, but its Host is still its own name.
- ``origin-allowed`` (403): a browser request whose Origin is neither the sandbox's own nor one of
  ``SANDBOX_CONTROL_ORIGINS`` is refused, preflight, write or read: CORS alone would hide a read's answer
  from the page, a refusal never sends it. (Navigations and plain links send no Origin.)
- ``body-json`` (403): a request that may change state sends its body as application/json. A page can send
  text/plain or a form to any host without a preflight, never JSON.
- ``admin-token`` (401): with ``SANDBOX_ADMIN_TOKEN`` set, a client that is not on loopback sends it as
  ``X-Sandbox-Admin-Token``, or carries the cookie ``/__sandbox/login`` sets. Only the peer address counts:
  X-Forwarded-For, Forwarded, X-Real-IP or Host never make a client local.

Health (``/__sandbox/health``) is open to every client and every name: container health checks use it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import quote, urlsplit

from flask import current_app, redirect, request

from sandbox.core import errors
from sandbox.core.rules import Rule
from sandbox.core.rules import observed as observed_rules

ADMIN_HEADER = "X-Sandbox-Admin-Token"
ADMIN_COOKIE = "sandbox_admin"
LOGIN_PATH = "/__sandbox/login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_ENDPOINTS = frozenset({"control.health"})
LOGIN_ENDPOINTS = frozenset({"sandbox_login.form", "sandbox_login.submit", "sandbox_login.logout"})
FORM_ENDPOINTS = frozenset({"sandbox_login.submit", "sandbox_login.logout"})   # the login page's own <form>
# Blueprints whose views sit behind the guard: the control plane, the pages, the login page, the OpenAPI documents.
GUARDED_BLUEPRINTS = ("control", "sandbox_ui", "sandbox_login", "openapi")

HOST_ALLOWED = Rule("host-allowed", "The control plane and the pages answer only to loopback names, IP addresses, "
                    "the bound name and SANDBOX_ALLOWED_HOSTS (DNS rebinding).")
ORIGIN_ALLOWED = Rule("origin-allowed", "A browser may preflight or change state only from the sandbox's own origin "
                      "or one of SANDBOX_CONTROL_ORIGINS.")
BODY_JSON = Rule("body-json", "A request that may change state sends its body as application/json.")
ADMIN_TOKEN = Rule("admin-token", "With SANDBOX_ADMIN_TOKEN set, a client not on loopback sends it "
                   "(X-Sandbox-Admin-Token or the /__sandbox/login cookie).")
RULES = (HOST_ALLOWED, ORIGIN_ALLOWED, BODY_JSON, ADMIN_TOKEN)

_COOKIE_PURPOSE = b"order-sandbox admin cookie"
_WILDCARD_BINDS = {"", "0.0.0.0", "::", "*"}


def _entries(value: str | None) -> list[str]:
    return [entry.strip().lower() for entry in (value or "").split(",") if entry.strip()]


def _token_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _header_bytes(value: str) -> bytes:
    """A header as the client sent it: WSGI hands over its bytes as latin-1 text (a test client may not)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return _token_bytes(value)


def host_name(host: str) -> str:
    """``Example.com:8080`` -> ``example.com``; ``[::1]:80`` -> ``::1``; a trailing dot is dropped."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    name, colon, port = host.rpartition(":")
    return (name if colon and port.isdigit() else host).rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ip_address(name.split("%")[0])
    except ValueError:
        return False
    return True


def is_loopback(address: str | None) -> bool:
    try:
        return ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Boundary:
    """The settings of the guard, read once from the config at start."""
    hosts: frozenset[str]                 # exact names
    host_suffixes: tuple[str, ...]        # ".example.com": its subdomains and itself
    any_host: bool
    origins: frozenset[str]               # "scheme://host[:port]", lowercase
    any_origin: bool
    token: bytes | None
    cookie: bytes | None                  # what the login cookie holds: derived from the token, never the token

    @classmethod
    def from_config(cls, config) -> "Boundary":
        hosts = _entries(config.get("ALLOWED_HOSTS"))
        bound = host_name(str(config.get("HOST") or ""))
        names = {"localhost", *(h for h in hosts if not h.startswith("."))}
        if bound not in _WILDCARD_BINDS:
            names.add(bound)
        origins = [origin.rstrip("/") for origin in _entries(config.get("CONTROL_ORIGINS"))]
        token = _token_bytes(config["ADMIN_TOKEN"]) if config.get("ADMIN_TOKEN") else None
        return cls(frozenset(names), (".localhost", *(h for h in hosts if h.startswith("."))), "*" in hosts,
                   frozenset(origins), "*" in origins, token,
                   hmac.new(token, _COOKIE_PURPOSE, hashlib.sha256).hexdigest().encode() if token else None)

    def host_allowed(self, host: str) -> bool:
        if self.any_host:
            return True
        name = host_name(host)    # werkzeug gives "" for a Host no browser would send ("a b", "evil\0")
        return bool(name) and (name in self.hosts or _is_ip(name)
                or any(name.endswith(suffix) or name == suffix[1:] for suffix in self.host_suffixes))

    def origin_allowed(self, origin: str, host: str) -> bool:
        """The sandbox's own origin (its netloc is the Host the browser used) or one of the allow-list."""
        origin = origin.strip().lower().rstrip("/")
        if self.any_origin or origin in self.origins:
            return True
        try:
            return bool(host) and urlsplit(origin).netloc == host.lower()
        except ValueError:          # "http://[": not an origin a browser sends
            return False

    def token_matches(self, given: bytes) -> bool:
        return self.token is not None and hmac.compare_digest(given, self.token)

    def cookie_matches(self, cookie: str) -> bool:
        return self.cookie is not None and hmac.compare_digest(_token_bytes(cookie), self.cookie)


def boundary() -> Boundary:
    return current_app.extensions["sandbox_trust"]


def _forbidden(rule: Rule, message: str, field: str, detail: str) -> errors.Forbidden:
    return errors.Forbidden(f"control.{rule.id}: {message}", rule=rule, details={field: [detail]})


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def guard():
    """Before every view of the control plane, the pages and the OpenAPI documents. A refusal is answered here,
    in the control plane's shape, also on an API's OpenAPI document (whose errors would take the API's shape)."""
    try:
        return _check()
    except errors.SandboxError as err:
        from sandbox.control import render_error     # control imports this module

        body, status = render_error(err)
        response = current_app.json.response(body)
        response.status_code = status
        response.headers["X-Sandbox-Rule"] = full = f"control.{err.rule}"
        observed_rules.add(full)
        return response


def _check():
    endpoint = request.endpoint
    if endpoint in OPEN_ENDPOINTS:
        return None
    limits = boundary()
    host = request.host
    if not limits.host_allowed(host):
        raise _forbidden(HOST_ALLOWED, f"the Host {host_name(host)!r} is not one this sandbox answers to.", "Host",
                         "Use localhost or an IP address, or add the name to SANDBOX_ALLOWED_HOSTS.")
    method = request.method
    changes = method not in SAFE_METHODS
    origin = request.headers.get("Origin")
    if origin is not None and not limits.origin_allowed(origin, host):
        raise _forbidden(ORIGIN_ALLOWED, f"browser requests from {origin[:200]!r} may not steer the sandbox.",
                         "Origin", "Add the origin to SANDBOX_CONTROL_ORIGINS to let its pages call the control plane.")
    if changes:
        content_type = request.headers.get("Content-Type")
        has_body = bool(request.content_length) or "Transfer-Encoding" in request.headers
        mimetype = request.mimetype
        if (content_type is not None or has_body) and not _is_json(mimetype) and not (
                endpoint in FORM_ENDPOINTS and mimetype == "application/x-www-form-urlencoded"):
            raise _forbidden(BODY_JSON, "a request that changes state sends its body as application/json.",
                             "Content-Type", f"Got {(content_type or 'none')[:100]!r}; send application/json.")
    if limits.token is None or method == "OPTIONS" or endpoint in LOGIN_ENDPOINTS or is_loopback(request.remote_addr):
        return None   # a preflight never carries credentials; the login page is how a browser gets them
    given = request.headers.get(ADMIN_HEADER)
    if given is not None and limits.token_matches(_header_bytes(given)):
        return None
    cookie = request.cookies.get(ADMIN_COOKIE)
    if cookie is not None and limits.cookie_matches(cookie):
        return None
    if method == "GET" and request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        return redirect(f"{LOGIN_PATH}?next={quote(request.full_path.rstrip('?'), safe='/')}", 303)
    raise errors.Unauthorized(f"The control plane needs {ADMIN_HEADER} (or the cookie of {LOGIN_PATH}) from a "
                              "client that is not on loopback.", rule=ADMIN_TOKEN)


def safe_next(target: str | None) -> str:
    """Where the login form sends the browser afterwards: a path of this sandbox, never another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and re.fullmatch(r"[ -~]*", target):
        return target
    return "/__sandbox/"


def cors_resources(config, mounts) -> dict:
    """flask-cors' resources: every API for ``CORS_ORIGINS``; the control plane, the pages and the OpenAPI
    documents only for ``CONTROL_ORIGINS`` (same-origin calls from the sandbox's own pages need no CORS)."""
    def origins(value: str):
        listed = [origin.strip() for origin in (value or "").split(",") if origin.strip()]
        return "*" if "*" in listed else listed or [r"(?!)"]     # an empty list would mean flask-cors' default
    control = {"origins": origins(config.get("CONTROL_ORIGINS"))}
    guarded = {r"/__sandbox(/.*)?$": control,
               **{re.escape(mount) + r"/openapi\.json$": control for mount in mounts}}
    return {**guarded, r"/.*": {"origins": origins(config["CORS_ORIGINS"])}}


def init_app(app) -> None:
    app.extensions["sandbox_trust"] = Boundary.from_config(app.config)
    for name in GUARDED_BLUEPRINTS:
        app.before_request_funcs.setdefault(name, []).insert(0, guard)
