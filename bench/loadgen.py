"""Load from a separate process: wrk when installed, else a small Python generator with the same input
(a JSON cell on stdin) and output (one JSON line). Loopback only, bounded in time.

A cell: {"host", "port", "method", "path", "headers", "body", "variants", "concurrency", "seconds"};
``variants`` are header overrides taken in turn, one request each (creates that use up state)."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RESULT_MARK = "BENCH-RESULT "


def run(cell: dict) -> dict:
    """requests, seconds, rps, p50_ms, p99_ms, errors (non-2xx or failed) for one cell."""
    assert cell["host"] in ("127.0.0.1", "localhost", "::1"), "load is generated on loopback only"
    if shutil.which("wrk"):
        return _wrk(cell)
    return _python(cell)


def driver() -> str:
    return "wrk" if shutil.which("wrk") else "python"


def _lua_string(text: str) -> str:
    return " [==[" + text + "]==] "


def _lua_headers(headers: dict) -> str:
    return "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()) + "}"


def _wrk(cell: dict) -> dict:
    lines = [f"wrk.method = {_lua_string(cell['method'])}"]
    for name, value in cell["headers"].items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    if cell.get("body") is not None:
        lines.append(f"wrk.body = {_lua_string(cell['body'])}")
    if cell.get("variants"):
        # Each variant's request is formatted once, before the load (in init, once wrk has set the Host header): a
        # request formatted in Lua per call cost the client ~10-20 us, which at c=1 the server's round trip paid.
        lines.append("local variants = {" + ",\n".join(_lua_headers(v) for v in cell["variants"]) + "}")
        lines.append("""local formatted, n = {}, 0
init = function(args)
  for i, variant in ipairs(variants) do
    local headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    for k, v in pairs(variant) do headers[k] = v end
    formatted[i] = wrk.format(nil, nil, headers, nil)
  end
end
request = function()
  n = n + 1
  return formatted[((n - 1) % #formatted) + 1]
end""")
    lines.append(f"""done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("{RESULT_MARK}%d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50.0), latency:percentile(99.0), e.connect + e.read + e.write + e.status + e.timeout))
end""")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines))
    url = f"http://{cell['host']}:{cell['port']}{cell['path']}"
    out = subprocess.run(["wrk", "-t1", f"-c{cell['concurrency']}", f"-d{max(1, round(cell['seconds']))}s", "--timeout", "10s",
                          "-s", script.name, url], capture_output=True, text=True)
    Path(script.name).unlink()
    mark = next((line for line in out.stdout.splitlines() if line.startswith(RESULT_MARK)), None)
    if out.returncode or mark is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}{out.stderr}")
    requests, duration_us, p50, p99, errors = map(int, mark[len(RESULT_MARK):].split())
    seconds = duration_us / 1e6
    return {"requests": requests, "seconds": seconds, "rps": requests / seconds, "p50_ms": p50 / 1000,
            "p99_ms": p99 / 1000, "errors": errors}


def _python(cell: dict) -> dict:
    latencies: list[float] = []
    errors = [0]
    counter = iter(range(10**12))
    lock = threading.Lock()
    body = cell.get("body")
    variants = cell.get("variants") or [{}]
    deadline = time.perf_counter() + cell["seconds"]

    def worker():
        connection = http.client.HTTPConnection(cell["host"], cell["port"], timeout=10)
        mine = []
        while time.perf_counter() < deadline:
            with lock:
                n = next(counter)
            headers = {**cell["headers"], **variants[n % len(variants)]}
            started = time.perf_counter()
            try:
                connection.request(cell["method"], cell["path"], body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = 200 <= response.status < 400
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection(cell["host"], cell["port"], timeout=10)
                ok = False
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(cell["concurrency"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000 if latencies else 0.0

    return {"requests": len(latencies), "seconds": seconds, "rps": len(latencies) / seconds,
            "p50_ms": percentile(50), "p99_ms": percentile(99), "errors": errors[0]}


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
