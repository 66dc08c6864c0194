"""Serving the app: granian's Rust HTTP/1 stack in front, the Flask app on granian's Python thread, an event loop and
a pool of threads.

Why this shape (measured in ``make bench``, recorded in README "Performance"):

- granian parses HTTP and does every socket read and write in Rust, outside the GIL: idle keep-alive
  connections, slow senders and clients that never read their answers cost a few bytes in its runtime and
  never a Python thread (waitress gives each request a thread until its answer is written, and locks new
  clients out at 100 connections).
- It is driven through its RSGI interface, so what happens before a request reaches Flask runs on an event
  loop: a fault rule's delay is an ``asyncio.sleep``, not a sleeping thread, and the control plane has a pool
  of its own. Whatever the API pool is doing (delays, slow writes), ``/__sandbox/`` answers at once.
- An API request that may neither block nor take long (``Server._runs_inline``) is answered by the thread granian
  hands requests over on, its own Python thread, as soon as its body has come (``Server.serve_here``): no turn of
  the loop, no thread hop (make bench: +10-25% creates at c=1/8). One with a body is begun there as soon as its
  head has come, while granian reads the body (``Server.begin_here``). A fault rule's delay is handed to the loop;
  what may block or take long runs on the ``--threads`` pool; a GET whose answer is kept (core/replay.py) is
  answered without the app.
- granian's own launcher binds the port itself and runs the app from an import string in worker processes;
  the sandbox's state lives in this process, the app is already built (seeding shows a counter) and
  ``--port 0`` must report the port it got. So one granian worker is embedded here the way granian's
  threaded server (granian/server/mt.py) runs one; granian is pinned to the minor version this was built on.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import queue
import signal
import socket
import sys
import threading
import time
from asyncio.tasks import _enter_task, _leave_task
from functools import partial
from io import BytesIO
from typing import Callable

from granian._granian import CallbackScheduler, RSGIWorker, SocketHolder, WorkerSignal
from granian.http import HTTP1Settings

from sandbox.control.base import bp as control_plane
from sandbox.core import afterwards
from sandbox.core.api import DROP_CONNECTION, RAW_BODY
from sandbox.core.collector import freezing_survivors, seconds_collecting, timing_collections
from sandbox.core.lifecycle import FIRED_FAULT, replayed
from sandbox.core.replay import PER_REQUEST, REPLAYABLE, Answer

CONTROL_PREFIX = control_plane.url_prefix
log = logging.getLogger("sandbox")

HEADER_TIMEOUT_MS = 10_000     # a request's head (and an idle keep-alive connection's next one) must arrive in this
BACKLOG = 1024
IN_FLIGHT = 1024               # requests in flight at once (delayed ones included); beyond, granian stops accepting
CONTROL_THREADS = 2
STOP_GRACE_S = 1.5             # SIGTERM: in-flight requests get this long, then the process exits anyway
SLOW_S = 0.01                  # API requests of a kind that takes longer on average run on the pool
SLOW_RISE, SLOW_FALL = 0.2, 0.02   # weight of the latest request in that average, above it and below it
SLOW_KEPT = 4096               # (method, path) pairs remembered as once slow; beyond, forgotten and measured again
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDLE_S = 0.25                  # no request for this long: a walk of the frozen heap that is due is done then
REPLAY_KEY = "sandbox.replay_key"


class PortInUse(OSError):
    def __init__(self, host: str, port: int):
        super().__init__(f"port {port} on {host} is already in use: choose another with --port or SANDBOX_PORT")
        self.host, self.port = host, port


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port), bound here so that a port in use is one clear error and
    ``--port 0`` tells the port the kernel gave; granian serves on its file descriptor."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve --host {host}: {exc}") from None
    listener = socket.socket(family, kind)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # a restart must not wait for TIME_WAIT
    try:
        listener.bind(address)
        listener.listen(BACKLOG)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(host, port) from None
        raise
    listener.setblocking(False)
    return listener


def _path_info(path: str) -> str:
    """granian has percent-decoded the path already; WSGI carries its UTF-8 bytes as latin-1 characters."""
    return path if path.isascii() else path.encode("utf-8", "surrogateescape").decode("latin-1")


def _send(proto, status: int, headers: list, body: bytes) -> None:
    try:
        proto.response_bytes(status, headers, body)
    except RuntimeError:                    # granian's ProtocolClosed: the client has gone, nobody to tell
        pass


def _split_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def close_client_socket(server: str, client: str) -> bool:
    """Shut down the TCP connection between ``server`` and ``client`` (``host:port`` each), found among this
    process's file descriptors: the drop fault's "connection closed with no answer". granian owns the socket,
    so it is found by its two addresses; shutting down a duplicate closes the connection itself."""
    local, peer = _split_address(server), _split_address(client)
    for name in os.listdir("/proc/self/fd"):
        try:
            duplicate = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue
        try:
            if duplicate.family in (socket.AF_INET, socket.AF_INET6) and duplicate.type == socket.SOCK_STREAM \
                    and duplicate.getpeername()[:2] == peer and duplicate.getsockname()[1] == local[1]:
                duplicate.shutdown(socket.SHUT_RDWR)
                return True
        except OSError:
            pass
        finally:
            duplicate.close()
    return False


class Pool:
    """``size`` threads that run jobs for the event loop; the loop awaits each job's future.

    Lighter than ``loop.run_in_executor`` (one queue put and one ``call_soon_threadsafe`` a job, no
    concurrent.futures bookkeeping), and its threads are daemons: a request still running at exit (the
    server gives in-flight requests ``STOP_GRACE_S``) cannot hold the process up."""

    def __init__(self, size: int, name: str):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        for number in range(size):
            threading.Thread(target=self._work, name=f"{name}-{number}", daemon=True).start()

    def run(self, job: Callable, *args) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, job, args))
        return future

    def _work(self) -> None:
        take = self._jobs.get
        while True:
            loop, future, job, args = take()
            try:
                result, error = job(*args), None
            except BaseException as exc:   # noqa: BLE001 - handed to the awaiting coroutine
                result, error = None, exc
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:
                pass                        # the loop has ended (shutdown)


def _settle(future: asyncio.Future, result, error) -> None:
    if not future.cancelled():
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


class Server:
    """``Server(app, host, port, threads).serve()``: blocks until ``stop()``, SIGTERM or SIGINT."""

    def __init__(self, app, host: str, port: int, threads: int):
        self.app, self.host, self.threads = app, host, threads
        self.box = box = app.extensions.get("sandbox")
        self.lifecycle = box.lifecycle if box is not None else None    # any Flask app serves (bench/floor.py)
        replays = box.replays if box is not None else None
        self.replays = replays if replays is not None and replays.enabled else None
        self.changes = box.store.changes if box is not None else None
        self.persistent = bool(app.config.get("DATA_DIR"))
        self._slow: dict[tuple[str, str], float] = {}     # (method, path) once slow -> its average seconds
        self.arrivals = 0                                   # requests handed over so far (granian's thread counts)
        self.api_max_body = app.config.get("MAX_CONTENT_LENGTH")
        self.control_max_body = app.config.get("CONTROL_MAX_CONTENT_LENGTH", self.api_max_body)
        listening = _listen(host, port)
        self.port = listening.getsockname()[1]
        self._listener = SocketHolder(listening.detach(), False, BACKLOG)   # granian owns (and closes) the fd
        self._signal = WorkerSignal()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._stop_requested = False
        self._api_pool = Pool(threads, "sandbox-api")
        self._control_pool = Pool(CONTROL_THREADS, "sandbox-control")
        self._base_environ = {
            "SCRIPT_NAME": "", "SERVER_NAME": host, "SERVER_PORT": str(self.port), "SERVER_SOFTWARE": "order-sandbox",
            "wsgi.version": (1, 0), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.input_terminated": True,
        }

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- one request ---------------------------------------------------------------------------------
    def _environ(self, scope, path_info: str, body: bytes | None) -> dict:
        """``body`` None: a request begun before its body came (``begin_here``); ``_with_body`` puts it in later."""
        environ = dict(self._base_environ)
        environ["REQUEST_METHOD"] = scope.method
        environ["PATH_INFO"] = path_info
        environ["QUERY_STRING"] = scope.query_string
        environ["SERVER_PROTOCOL"] = "HTTP/2" if scope.http_version == "2" else f"HTTP/{scope.http_version}"
        environ["REMOTE_ADDR"] = _split_address(scope.client)[0]
        environ["wsgi.url_scheme"] = scope.scheme
        if body is None:
            environ["wsgi.input"] = _BODY_NOT_YET
        else:
            self._with_body(environ, body)
        for name, value in scope.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":
                environ[key] = value
            elif key != "TRANSFER_ENCODING":
                key = "HTTP_" + key
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        if "CONTENT_LENGTH" not in environ and body:
            # A chunked body has been read whole (up to the limit and one byte): the app sees a plain body of
            # that length, so an oversized one is refused by its length (413), as waitress did.
            environ["CONTENT_LENGTH"] = str(len(body))
        server, client = scope.server, scope.client
        environ[DROP_CONNECTION] = lambda: close_client_socket(server, client)
        return environ

    @staticmethod
    def _with_body(environ: dict, body: bytes) -> None:
        environ["wsgi.input"] = BytesIO(body)
        environ[RAW_BODY] = body

    def _call_app(self, environ: dict, begun=None):
        """The app's answer: the whole request, or the rest of one ``begun`` before its body came."""
        answer = []

        def start_response(status, headers, exc_info=None):
            answer[:] = [int(status[:3]), headers]

        chunks = self.app(environ, start_response) if begun is None else self.app.end_request(begun, start_response)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return answer[0], answer[1], body

    def _limit(self, path: str) -> int | None:
        return self.control_max_body if path.startswith(CONTROL_PREFIX) else self.api_max_body

    def _reads_whole(self, path: str, length: str) -> bool:
        """Whether a body of Content-Length ``length`` is read, in one read: hyper delivers exactly that many bytes
        (one hand-over from granian's side to the loop; each chunk of ``async for`` is one). An empty body needs no
        read, and one over the limit is not read at all: Flask answers 413 in the API's shape from the header."""
        limit = self._limit(path)
        return length != "0" and (limit is None or int(length) <= limit)

    async def _body(self, proto, path: str, length: str | None) -> bytes:
        if length is not None:
            return await proto() if self._reads_whole(path, length) else b""
        limit = self._limit(path)
        if limit is None:
            return await proto()
        # A chunked body: read at most one byte over the limit, so Flask answers 413 without the rest.
        chunks, size = [], 0
        async for chunk in proto:
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                break
        return b"".join(chunks)

    def early_body(self, scope, proto):
        """On granian's thread, as a request is handed to the loop: the read of a body of known length that will
        be read whole, started now. When granian has it before the loop runs the request (a small body comes with
        the head), awaiting it costs nothing; else it is awaited as it would have been."""
        if scope.proto != "http":
            return None
        length = scope.headers.get("content-length")
        return proto() if length is not None and self._reads_whole(scope.path, length) else None

    async def handle(self, scope, proto, early_body=None) -> None:
        if scope.proto != "http":
            proto.close(403)
            return
        path = scope.path
        headers = scope.headers
        length = headers.get("content-length")
        if early_body is not None:
            body = await early_body
        elif length is not None or "transfer-encoding" in headers:
            body = await self._body(proto, path, length)
        else:
            body = b""
        path_info = _path_info(path)
        await self._after_delay(scope, proto, body, path_info, self._fire(scope, path_info))

    def _fire(self, scope, path_info: str):
        """The fault rule an API request fires (once, even when nothing matches: begin() never scans the rules
        again); None for the control plane."""
        if self.lifecycle is None or scope.path.startswith(CONTROL_PREFIX):
            return None
        return self.lifecycle.early_fault(path_info, scope.method, scope.headers.get("x-sandbox-session"))

    def _admit(self, scope, proto, body: bytes, path_info: str, rule):
        """The environ the app gets, or None when a kept answer has been replayed here."""
        control = scope.path.startswith(CONTROL_PREFIX)
        key = None
        if not control and self.lifecycle is not None and rule is None and self.replays is not None \
                and scope.method == "GET" and not body:
            # The whole request as it came is the key (core/replay.py): a hit is answered here, before anything
            # is built for the app.
            key = (scope.path, scope.query_string, tuple(scope.headers.items()))
            answer = self.replays.lookup(key)
            if answer is not None:
                self._replay(answer, proto)
                return None
        environ = self._environ(scope, path_info, body)
        if not control and self.lifecycle is not None:
            environ[FIRED_FAULT] = rule
            if key is not None:
                environ[REPLAY_KEY] = key
        return environ

    async def _serve(self, scope, proto, body: bytes, path_info: str, rule) -> None:
        environ = self._admit(scope, proto, body, path_info, rule)
        if environ is None:
            return
        if scope.path.startswith(CONTROL_PREFIX):
            await self._control_pool.run(self._respond, environ, proto)
        elif self._runs_inline(scope.method, path_info):
            self._respond_timed(environ, proto, time.perf_counter)
        else:
            await self._api_pool.run(self._respond_timed, environ, proto, time.thread_time)

    def takes_here(self, scope) -> bool:
        """Whether granian's own Python thread, which hands each request over, answers it itself (``serve_here``):
        an API request that runs inline, with no body or a body of known length that is read whole."""
        if scope.proto != "http" or self.lifecycle is None:
            return False
        path = scope.path
        if path.startswith(CONTROL_PREFIX) or "transfer-encoding" in scope.headers:
            return False
        length = scope.headers.get("content-length")
        if length is not None and length != "0" and not self._reads_whole(path, length):
            return False
        return self._runs_inline(scope.method, _path_info(path))

    def begin_here(self, watcher) -> "_Early":
        """On granian's Python thread, as soon as a request's head has come and while granian reads its body: the
        app's first step (``SandboxFlask.begin_request``: contexts, session, auth). Reading a body takes two
        hand-overs between granian's threads, in which this thread would otherwise sleep, and wake again (slyk and
        shop creates at c=1, alternating runs with and without: +5-18%). A request that fires a fault rule does all
        of its work once the body has come, as before."""
        scope = watcher.scope
        early = _Early(_path_info(scope.path))
        early.rule = rule = self._fire(scope, early.path_info)
        if rule is None:
            started, collecting = time.perf_counter(), seconds_collecting()
            environ = self._environ(scope, early.path_info, None)
            environ[FIRED_FAULT] = None
            if scope.method in SAFE_METHODS:
                early.begun = self.app.begin_request(environ)
            else:
                with self.changes.changing():       # as in _respond: what a begun request does may change state
                    early.begun = self.app.begin_request(environ)
            early.took = time.perf_counter() - started - (seconds_collecting() - collecting)
        return early

    def abandon(self, early: "_Early", error: BaseException) -> None:
        """A request begun here whose body never came (the client went away): its contexts are let go."""
        if early.begun is not None:
            try:
                self.app.abandon_request(early.begun, error)
            except Exception:               # noqa: BLE001 - nobody is left to answer; the log says it
                log.exception("letting go of a request whose body never came failed")

    def serve_here(self, watcher, body: bytes, hand_over, early: "_Early | None" = None) -> None:
        """On granian's Python thread: a request answered without a turn of the event loop, unless its fault
        rule delays it (the delay is the loop's ``asyncio.sleep``): then ``hand_over`` gives the rest to the loop.
        ``early``: what ``begin_here`` did before the body came."""
        scope, proto = watcher.scope, watcher.proto
        if early is None:
            path_info = _path_info(scope.path)
            rule = self._fire(scope, path_info)
        else:
            path_info, rule = early.path_info, early.rule
        if rule is not None and rule.delay_ms:
            hand_over(self._after_delay(scope, proto, body, path_info, rule))
            return
        if early is not None and early.begun is not None:
            environ = early.begun.ctx.request.environ
            self._with_body(environ, body)
            self._respond_timed(environ, proto, time.perf_counter, early.begun, early.took, deferring=True)
        else:
            environ = self._admit(scope, proto, body, path_info, rule)
            if environ is not None:
                self._respond_timed(environ, proto, time.perf_counter, deferring=True)
        watcher.done()

    async def _after_delay(self, scope, proto, body: bytes, path_info: str, rule) -> None:
        """On the loop: the request, once its fault rule's delay (if any) has passed as an ``asyncio.sleep``."""
        if rule is not None and rule.delay_ms:
            await asyncio.sleep(rule.delay_ms / 1000)
        await self._serve(scope, proto, body, path_info, rule)

    def _runs_inline(self, method: str, path_info: str) -> bool:
        """Whether an API request runs inline (on granian's Python thread, or on the event loop after a delay),
        rather than on the API pool.

        The app is Python and holds the GIL for all its work: on a thread of its own a request gains no parallelism
        and pays two thread hops and a turn of the GIL each way (make bench: inline serves 15-25% more creates).
        So a request runs inline unless it may block or be long, and then a thread that stood still would hold up
        every other request and the control plane (both reach the app through granian's one Python thread): a
        write with a data directory (its fsync), and any (method, path) whose requests take longer than ``SLOW_S``
        (a moving average, so that one request the machine held up does not send its kind away for good, but slow
        to fall, so that a list page over 50,000 orders, slow once after each write, stays away)."""
        if self.persistent and method not in SAFE_METHODS:
            return False
        return self._slow.get((method, path_info), 0.0) <= SLOW_S

    def _respond_timed(self, environ: dict, proto, clock, begun=None, took_before: float = 0.0,
                       deferring: bool = False) -> None:
        """``_respond``, timed for ``_runs_inline``. Inline by the wall clock: how long its thread stood still.
        On a pool thread by that thread's CPU time: its wall time there includes the turns it waited for the GIL
        behind the other threads (make bench, 32 clients: slyk's creates, once sent to the pool, measured over 10 ms
        each there, and never came back to the loop)."""
        started, collecting = clock(), seconds_collecting()
        self._respond(environ, proto, begun, deferring)
        # Not the collector's time: a collection that came due during a request says nothing about its kind.
        took = clock() - started + took_before - (seconds_collecting() - collecting)
        key = (environ["REQUEST_METHOD"], environ["PATH_INFO"])
        average = self._slow.get(key)
        if average is None:
            if took <= SLOW_S:
                return                  # only kinds that have been slow are remembered
            if len(self._slow) >= SLOW_KEPT:
                self._slow.clear()
            self._slow[key] = took
        else:
            # Quick to rise, slow to fall: a kind that is slow only now and then (a list page over 50,000 orders
            # is slow once after each write, then its answers are reused) stays on the pool between its slow ones.
            self._slow[key] = average + (took - average) * (SLOW_RISE if took > average else SLOW_FALL)

    def _respond(self, environ: dict, proto, begun=None, deferring: bool = False) -> None:
        """On the loop or a pool thread: the app's answer goes to granian from here, before the loop hears it is done.
        ``deferring`` (granian's own thread only, ``serve_here``): what the request leaves for after its answer
        (core/afterwards.py) runs once the answer has been handed to granian."""
        if not deferring:
            _send(proto, *self._answer(environ, begun))
            return
        pending: list = []
        try:
            with afterwards.deferring() as pending:
                answer = self._answer(environ, begun)
            _send(proto, *answer)
        finally:
            afterwards.run(pending)     # also when there was no answer to send: the contexts are popped

    def _answer(self, environ: dict, begun=None) -> tuple:
        changes = self.changes
        if changes is None:
            return self._call_app(environ)
        if environ["REQUEST_METHOD"] in SAFE_METHODS:
            stamp = changes.stamp()
            status, headers, content = answer = self._call_app(environ, begun)
            if REPLAYABLE in environ and REPLAY_KEY in environ:
                afterwards.later(partial(self.replays.keep, environ[REPLAY_KEY], stamp, Answer(
                    status, headers, content, environ[REPLAYABLE], tuple(environ.get(PER_REQUEST, ())))))
            return answer
        # Any other request may change what a GET answers (the control plane's too: faults, clock, tokens):
        # nothing is replayed while it runs, and nothing kept before it is replayed after it.
        with changes.changing():
            return self._call_app(environ, begun)

    def _replay(self, answer: Answer, proto) -> None:
        """On the loop: a kept answer, journaled and logged before it goes out, as the app's answers are."""
        started = time.perf_counter()
        headers = answer.headers_now()
        try:
            replayed(self.box, answer, started)
        except Exception:               # as after a view (app.py): the journal or the log cannot fail an answer
            log.exception("journaling a replayed answer failed; the answer goes out as it was")
        _send(proto, answer.status, headers, answer.body)

    # -- life ----------------------------------------------------------------------------------------
    def serve(self, *, handle_signals: bool = True) -> None:
        """Serve until ``stop()`` (or SIGTERM/SIGINT when ``handle_signals``, which needs the main thread)."""
        self._loop = loop = _Loop()
        asyncio.set_event_loop(loop)
        self._stopping, finished = asyncio.Event(), asyncio.Event()
        if self._stop_requested:
            self._stopping.set()
        if handle_signals:
            # Handlers of our own: as PID 1 (a container's entrypoint) the default action of SIGTERM is none.
            for number in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(number, self._stopping.set)
        self._signal.add_cb(lambda: loop.call_soon_threadsafe(finished.set))
        worker = RSGIWorker(1, (None, self._listener), None, 1, 512, 1, 30, IN_FLIGHT, "1",
                            HTTP1Settings(header_read_timeout=HEADER_TIMEOUT_MS, keep_alive=True), None, False, None,
                            False, None, None, None, "tls1.3", None, [], False, (None, None))
        worker.serve_str(_Scheduler(loop, self), loop, self._signal)
        try:
            with freezing_survivors(bool(self.app.config.get("GC_FREEZE"))) as freezer, timing_collections():
                if freezer is not None:
                    loop.call_later(IDLE_S, self._walk_when_idle, freezer, self.arrivals)
                loop.run_until_complete(self._run_until_stopped(finished))
        finally:
            loop.close()

    def _walk_when_idle(self, freezer, arrivals: int) -> None:
        """On the loop, every ``IDLE_S``: a walk of the frozen heap that has come due (core/collector.py) is done when
        no request has come since the last look, rather than in the middle of a load."""
        if self.arrivals == arrivals:
            freezer.walk_if_due()
        self._loop.call_later(IDLE_S, self._walk_when_idle, freezer, self.arrivals)

    async def _run_until_stopped(self, finished: asyncio.Event) -> None:
        await self._stopping.wait()
        self._signal.set()
        try:
            await asyncio.wait_for(finished.wait(), STOP_GRACE_S)
        except asyncio.TimeoutError:
            pass      # connections still open (idle keep-alives, clients that never read): exit regardless

    def stop(self) -> None:
        """From any thread."""
        self._stop_requested = True
        if self._loop is not None and self._stopping is not None:
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:
                pass                    # the loop has already ended


class _BodyNotYet:
    """``wsgi.input`` of a request begun before its body came (``Server.begin_here``): nothing reads it until then."""

    def read(self, *args):
        raise RuntimeError("a request's body was read before it came (sandbox/server.py begin_here)")

    readline = readlines = read


_BODY_NOT_YET = _BodyNotYet()


class _Early:
    """What ``Server.begin_here`` did for a request before its body came: the fault rule it fired (once), and the
    app's first step (``begun``; None when a rule fired: all then waits for the body) with the time it took."""
    __slots__ = ("path_info", "rule", "begun", "took")

    def __init__(self, path_info: str):
        self.path_info, self.rule, self.begun, self.took = path_info, None, None, 0.0


class _Here:
    """A callback that runs where a granian future completes, on granian's Python thread (``_Loop``)."""
    __slots__ = ("callback",)

    def __init__(self, callback):
        self.callback = callback

    def __call__(self, *args):
        self.callback(*args)


class _Loop(asyncio.SelectorEventLoop):
    """The server's event loop, which granian's futures (a request body's read) also report their completion to:
    a ``_Here`` callback is called at once, on the thread that completes the future, without a turn of the loop."""

    def call_soon_threadsafe(self, callback, *args, context=None):
        if type(callback) is _Here:
            return callback(*args)
        return super().call_soon_threadsafe(callback, *args, context=context)

    def call_soon(self, callback, *args, context=None):
        if type(callback) is _Here:
            return callback(*args)
        return super().call_soon(callback, *args, context=context)


class _Scheduler(CallbackScheduler):
    """granian's asyncio callback scheduler (granian/_futures.py, ``_CBSchedulerAIO``), which hands each request to
    the loop as a task, with a step on granian's side first: a request the server answers there
    (``Server.takes_here``) is answered at once, once its body has come; any other has the read of its body
    started (``early_body``) and goes to the loop."""
    __slots__ = []

    def __new__(cls, loop, server):
        # As granian/_futures.py's _new_cbscheduler builds its asyncio one (no task object of its own).
        return super().__new__(cls, loop, server.handle, None, partial(_enter_task, loop),
                               partial(_leave_task, loop))

    def __init__(self, loop, server):
        super().__init__()
        context = self._ctx
        handle, early_body, takes_here, serve_here = server.handle, server.early_body, server.takes_here, \
            server.serve_here
        begin_here, abandon = server.begin_here, server.abandon

        def run(coroutine, watcher):
            watcher.taskref(loop.create_task(coroutine))

        async def watched(watcher, awaitable):
            # granian answers 500 for an error reported to its watcher, and logs it.
            try:
                await awaitable
            except BaseException as exc:   # noqa: BLE001
                watcher.err(exc)
                return
            watcher.done()

        def to_loop(watcher, awaitable):
            loop.call_soon_threadsafe(run, watched(watcher, awaitable), watcher, context=context)

        def answer_here(watcher, body, early=None):
            try:
                serve_here(watcher, body, partial(to_loop, watcher), early)
            except BaseException as exc:   # noqa: BLE001
                watcher.err(exc)

        def body_came(watcher, early, future):
            try:
                body = future.result()
            except BaseException as exc:   # noqa: BLE001 - the client went away while sending it
                abandon(early, exc)
                watcher.err(exc)
                return
            answer_here(watcher, body, early)

        def schedule(watcher):
            server.arrivals += 1
            scope = watcher.scope
            try:
                here = takes_here(scope)
            except Exception:               # noqa: BLE001 - the loop's way, which answers whatever this did not
                here = False
            if here:
                length = scope.headers.get("content-length")
                if length is None or length == "0":
                    answer_here(watcher, b"")
                    return
                # The read starts first, so that granian reads while this thread begins the request; its callback
                # is added after, so that it finds the request begun whatever the order the two end in.
                early = None
                try:
                    body = watcher.proto()
                    early = begin_here(watcher)
                    body.add_done_callback(_Here(partial(body_came, watcher, early)))
                except BaseException as exc:   # noqa: BLE001 - granian's caller would drop it unanswered
                    if early is not None:
                        abandon(early, exc)
                    watcher.err(exc)
                return
            try:
                body = early_body(scope, watcher.proto)
            except Exception:               # noqa: BLE001 - read on the loop instead, as without this step
                body = None
            to_loop(watcher, handle(scope, watcher.proto, body))

        self._schedule_fn = schedule
