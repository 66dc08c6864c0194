"""One outbound webhook POST, as a careful sender makes it: only to allowed hosts, no redirects, a deadline.

The sandbox POSTs wherever a subscription says, so without limits a subscription is a server-side request
forgery primitive (the cloud metadata address, a service on the host's network). Three limits:

- ``Targets`` (``SANDBOX_WEBHOOK_HOSTS``): networks, addresses or host names deliveries may go to; checked on
  the addresses the name resolves to, and the connection is made to exactly the address checked, so a name
  that resolves differently a moment later (DNS rebinding) gains nothing. Default: loopback and the private
  networks, which is where test receivers run; not link-local (169.254.0.0/16 holds cloud metadata).
- No redirects: http.client never follows one; a 3xx is the receiver's answer, and a failed attempt.
- A deadline for the whole attempt, connect to status line: a receiver that trickles one byte at a time never
  trips a per-read socket timeout, so a timer shuts the socket down when the deadline passes.

Not done: the name's resolution itself (getaddrinfo) has no deadline of its own.
"""

from __future__ import annotations

import http.client
import socket
import threading
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit


# Loopback and the private networks (RFC 1918, IPv6 unique local): where test receivers run.
PRIVATE_NETWORKS = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"


class Refused(Exception):
    """The target is not allowed (or not a URL the sender can POST to); no connection was made."""


class TimedOut(Exception):
    pass


@dataclass(frozen=True)
class Targets:
    networks: tuple[IPv4Network | IPv6Network, ...]
    names: frozenset[str]
    anywhere: bool

    @classmethod
    def parse(cls, value: str) -> "Targets":
        """``"127.0.0.0/8,::1,hooks.internal"``: networks, single addresses and host names; ``*``: anywhere."""
        networks, names = [], set()
        for entry in (e.strip().lower().rstrip(".") for e in (value or "").split(",")):
            if not entry:
                continue
            try:
                networks.append(ip_network(entry, strict=False))
            except ValueError:
                names.add(entry)
        return cls(tuple(networks), frozenset(names - {"*"}), "*" in names)

    def allows(self, name: str, address: str) -> bool:
        if self.anywhere or name.lower().rstrip(".") in self.names:
            return True
        ip = ip_address(address.split("%")[0])
        if getattr(ip, "ipv4_mapped", None):
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)


def _connect(host: str, port: int, timeout: float, targets: Targets) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    allowed = [info for info in infos if targets.allows(host, info[4][0])]
    if not allowed:
        addresses = ", ".join(sorted({info[4][0] for info in infos}))
        raise Refused(f"{host} resolves to {addresses}, outside SANDBOX_WEBHOOK_HOSTS")
    error: OSError | None = None
    for family, kind, proto, _, address in allowed:
        sock = socket.socket(family, kind, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error  # type: ignore[misc]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, targets: Targets) -> tuple[int, str | None]:
    """POST ``body``; returns the receiver's status and its Location header. Raises Refused, TimedOut, OSError
    or http.client.HTTPException."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) URL: {url[:200]}")
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(host, port, timeout=timeout)
    # http.client opens its socket through this attribute: ours resolves, checks and connects in one step.
    connection._create_connection = lambda *_args, **_kwargs: _connect(host, port, timeout, targets)
    expired = threading.Event()

    def expire():
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        if expired.is_set():    # the shut socket read as the end of the headers: not an answer
            raise TimedOut(f"no answer within {timeout:g} s")
        return response.status, response.getheader("Location")
    except (OSError, http.client.HTTPException):
        if expired.is_set():
            raise TimedOut(f"no answer within {timeout:g} s") from None
        raise
    finally:
        timer.cancel()
        connection.close()
