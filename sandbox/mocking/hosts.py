"""Which vendor a URL belongs to and where in the sandbox it lands: plain rules, no Flask, no HTTP.

A vendor's base URL is a scheme, a host and a path. The path's tail may be (a leading part of) the API's own
base path (appx's ``/api/v1``, shop's ``/api/v1/shop``): that part is the API's, so it stays in the request
path; what is left before it is where the vendor mounts the API on that host (usually nothing), and that is
what replaces the sandbox's mount (``/slyk``) both on the way in and in the links of the answer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

HOSTS_VARIABLE = "SANDBOX_MOCK_HOSTS"   # "shop=https://shop.example.com,formations=https://..."
DEFAULT_PORTS = {"http": 80, "https": 443}

HostsArgument = Mapping[str, "str | Sequence[str]"]


@dataclass(frozen=True)
class ApiPlace:
    """What the rules need to know of an API: where the sandbox mounts it, its own base path, its hosts."""
    name: str
    mount: str
    base_path: str
    public_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicBase:
    """One base URL of one vendor, split the way requests to it are matched."""
    api: str
    url: str            # as given
    scheme: str
    netloc: str         # host[:port], lower case, the scheme's default port left out
    mount: str          # the path on that host where the API's own paths begin ("" at its root)
    sandbox_mount: str  # the sandbox's mount of the API (/slyk)


@dataclass(frozen=True)
class Target:
    """Where a call to a vendor host goes in the sandbox."""
    api: str
    origin: str         # scheme://netloc as the client called it (links carry it)
    path: str           # the sandbox path, still percent-encoded: /slyk/orders
    query: str          # the raw query string
    public_mount: str   # what stands for the sandbox's mount in that host's URLs


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _host_mount(path: str, base_path: str) -> str:
    """The part of a base URL's path before the API's own base path: ``/api/v1`` for appx is all the
    API's (mount ""); ``/gateway/api/v1`` mounts it at ``/gateway``; shop's ``""`` is its root."""
    given, own = _segments(path), _segments(base_path)
    for size in range(len(own), 0, -1):
        if given[-size:] == own[:size]:
            given = given[:-size]
            break
    return "".join("/" + part for part in given)


def _origin(scheme: str, netloc: str) -> tuple[str, str] | None:
    """(scheme, netloc) normalised so that ``https://API.slyk.io:443`` and ``https://api.slyk.io`` are one."""
    scheme = scheme.lower()
    host, _, port = netloc.rpartition("@")[2].lower().partition(":")
    if scheme not in DEFAULT_PORTS or not host:
        return None
    if port and port != str(DEFAULT_PORTS[scheme]):
        host = f"{host}:{port}"
    return scheme, host


def parse_base(place: ApiPlace, url: str) -> PublicBase:
    parts = urlsplit(url.strip())
    origin = _origin(parts.scheme, parts.netloc)
    if origin is None or parts.query or parts.fragment:
        raise ValueError(f"sandbox.mock(): {place.name}'s host must be an http(s) URL such as "
                         f"https://{place.name}.example.com, without query or fragment; got {url!r}")
    return PublicBase(place.name, url, *origin, _host_mount(parts.path, place.base_path), place.mount)


def hosts_from_environment(value: str | None) -> dict[str, list[str]]:
    """``SANDBOX_MOCK_HOSTS="shop=https://shop.example.com formations=https://..."`` (commas or spaces;
    a name given twice serves both URLs)."""
    hosts: dict[str, list[str]] = {}
    for item in (value or "").replace(",", " ").split():
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            raise ValueError(f"{HOSTS_VARIABLE}: each entry is api=URL (e.g. shop=https://shop.example.com); "
                             f"got {item!r}")
        hosts.setdefault(name.strip().lower(), []).append(url)
    return hosts


class VendorHosts:
    """The vendors' base URLs the mock serves, and the rule that maps a called URL into the sandbox."""

    def __init__(self, bases: Iterable[PublicBase]):
        self.bases = tuple(bases)
        seen: dict[tuple, str] = {}
        for base in self.bases:
            key = (base.scheme, base.netloc, base.mount)
            if seen.setdefault(key, base.api) != base.api:
                raise ValueError(f"sandbox.mock(): {base.url} is given for both {seen[key]} and {base.api}")
        # Longest mount first: a host that serves two APIs under two paths sends each call to the right one.
        self._by_origin: dict[tuple[str, str], list[PublicBase]] = {}
        for base in sorted(self.bases, key=lambda b: len(b.mount), reverse=True):
            self._by_origin.setdefault((base.scheme, base.netloc), []).append(base)

    @classmethod
    def build(cls, places: Sequence[ApiPlace], hosts: HostsArgument | None = None,
              environ: Mapping[str, str] = os.environ) -> "VendorHosts":
        """Each API's documented hosts, replaced per API by the environment's, then by ``hosts``."""
        known = {place.name: place for place in places}
        chosen: dict[str, Sequence[str]] = {place.name: place.public_urls for place in places}
        for layer in (hosts_from_environment(environ.get(HOSTS_VARIABLE)), hosts or {}):
            for name, urls in layer.items():
                if name not in known:
                    raise ValueError(f"sandbox.mock(): no API named {name!r}; the APIs are {', '.join(known)}")
                chosen[name] = (urls,) if isinstance(urls, str) else tuple(urls or ())
        return cls(parse_base(known[name], url) for name, urls in chosen.items() for url in urls)

    def resolve(self, url: str) -> Target | None:
        """The sandbox target of a called URL, or None when no vendor served here owns it."""
        parts = urlsplit(url)
        origin = _origin(parts.scheme, parts.netloc)
        for base in self._by_origin.get(origin, ()) if origin else ():
            path = parts.path
            if base.mount and path != base.mount and not path.startswith(base.mount + "/"):
                continue
            rest = path[len(base.mount):]
            return Target(base.api, f"{base.scheme}://{base.netloc}", base.sandbox_mount + rest, parts.query,
                          base.mount)
        return None

    def urls(self, api: str) -> tuple[str, ...]:
        return tuple(base.url for base in self.bases if base.api == api)

    def __str__(self) -> str:
        return ", ".join(f"{base.api} {base.url}" for base in self.bases) or "none"
