"""Where each HTTP client is intercepted: requests through ``responses``, httpx through ``respx``.

Both are the libraries their clients' users already mock with, kept up with every release of the client,
and both hook the client's own transport layer (requests' ``HTTPAdapter.send``, the transport an httpx
client picks for a URL), so urllib3 code through requests, sync and async httpx, retries, sessions and
every client built on them (mittwald's official client is httpx) are covered without patching sockets.

A call to a vendor host is answered by ``serve``; any other call goes on to whatever was there before (the
network, or another mock: a ``responses`` mock started earlier, any ``respx`` mock of the default kind,
which sits below the transport), or is refused with ``HostBlocked`` when other hosts are blocked. Of two
sandbox mocks active at once, the one started last answers, for both clients.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Callable, NamedTuple
from urllib.parse import urlsplit

from sandbox.mocking.hosts import VendorHosts

INSTALL_HINT = "pip install 'order-sandbox[mock]'"


class Reply(NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Dropped(Exception):
    """A fault rule dropped the connection: the client sees its library's own disconnect error."""


# (method, url, headers, body) -> Reply, or raises Dropped
Serve = Callable[[str, str, list[tuple[str, str]], bytes], Reply]


class HostBlocked(Exception):
    """sandbox.mock(block_other_hosts=True) refused a call to a host it does not serve. Raised as a subclass
    that is also the client's connection error (requests.ConnectionError, httpx.ConnectError)."""


def blocked_message(url: str, hosts: VendorHosts) -> str:
    host = urlsplit(url).netloc
    return (f"sandbox.mock(block_other_hosts=True) refused a call to {host} ({url}): only the vendors' hosts "
            f"are served ({hosts}). Name a host with sandbox.mock(hosts={{...}}) or leave block_other_hosts off.")


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def interceptors(hosts: VendorHosts, serve: Serve, block_other_hosts: bool) -> list:
    """One interceptor per HTTP client installed; a client without its interception library is an error,
    since its calls would otherwise reach the real vendor unnoticed."""
    found = []
    for client, library, interceptor in (("requests", "responses", RequestsInterceptor),
                                         ("httpx", "respx", HttpxInterceptor)):
        if installed(client):
            if not installed(library):
                raise ImportError(f"sandbox.mock() intercepts {client} with {library}, which is not installed: "
                                  f"{INSTALL_HINT}")
            found.append(interceptor(hosts, serve, block_other_hosts))
    return found


class RequestsInterceptor:
    def __init__(self, hosts: VendorHosts, serve: Serve, block_other_hosts: bool):
        import requests
        import responses

        class VendorResponse(responses.CallbackResponse):
            """Matches every method of every URL the mock claims (responses matches one method a response)."""

            def matches(self, request):
                claimed = block_other_hosts or hosts.resolve(request.url) is not None
                return claimed, "" if claimed else "not a vendor host served by sandbox.mock()"

        class Blocked(HostBlocked, requests.ConnectionError):
            pass

        def answer(request):
            if hosts.resolve(request.url) is None:
                return Blocked(blocked_message(request.url, hosts), request=request)
            try:
                return serve(request.method, request.url, list(request.headers.items()), _bytes(request.body))
            except Dropped:
                return requests.ConnectionError(_aborted(), request=request)

        self._responses = responses
        self._response = VendorResponse("GET", re.compile(".*"), answer, content_type=None)
        self._block = block_other_hosts
        self._mock = None

    def start(self) -> None:
        from requests.adapters import HTTPAdapter

        # Whatever sends now (the network, or another active mock) gets every call the mock does not claim.
        mock = self._responses.RequestsMock(assert_all_requests_are_fired=False,
                                            real_adapter_send=HTTPAdapter.send)
        mock.add(self._response)
        if not self._block:
            mock.add_passthru(re.compile(".*"))
        mock.start()
        self._mock = mock

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop(allow_assert=False)
            self._mock.reset()
            self._mock = None


def _bytes(body) -> bytes:
    """A prepared request's body as bytes: requests leaves str, bytes, a file or an iterable of chunks."""
    if body is None or isinstance(body, (bytes, str)):
        body = [body or b""]
    elif hasattr(body, "read"):
        body = [body.read()]
    return b"".join(part.encode() if isinstance(part, str) else bytes(part) for part in body)


def _aborted():
    """What requests raises when the server closes the connection without answering."""
    import http.client

    from urllib3.exceptions import ProtocolError
    return ProtocolError("Connection aborted.", http.client.RemoteDisconnected(
        "Remote end closed connection without response"))


class HttpxInterceptor:
    def __init__(self, hosts: VendorHosts, serve: Serve, block_other_hosts: bool):
        import httpx
        import respx

        class Blocked(HostBlocked, httpx.ConnectError):
            pass

        def answer(request: httpx.Request):
            url = str(request.url)
            if hosts.resolve(url) is None:
                if block_other_hosts:
                    raise Blocked(blocked_message(url, hosts), request=request)
                return request          # respx: pass it through to the transport that was there
            try:
                reply = serve(request.method, url, request.headers.multi_items(), request.content)
            except Dropped:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                                request=request) from None
            return httpx.Response(reply.status, headers=reply.headers, content=reply.body)

        # using="httpx": intercepted where the client picks its transport, above httpcore, where the users'
        # own respx mocks (httpcore by default) still see every call passed through. The one route takes
        # every call (answered, passed through or refused); assert_all_called is off because a test that
        # makes no vendor call is fine.
        self._router = respx.MockRouter(assert_all_called=False, using="httpx")
        self._router.route().mock(side_effect=answer)

    def start(self) -> None:
        self._router.start()
        # respx asks its routers oldest first; the mock started last answers first, as with responses.
        routers = getattr(self._router.Mocker, "routers", None)
        if routers and routers[-1] is self._router:
            routers.insert(0, routers.pop())

    def stop(self) -> None:
        self._router.stop(quiet=True)   # rolls back to the route added above, forgets the calls
