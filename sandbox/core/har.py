"""The request journal as an HTTP Archive (HAR 1.2, http://www.softwareishard.com/blog/har-12-spec/), so a
developer opens what their client sent in the browser's devtools (Network > Import HAR) or any HAR viewer.

Built from the journal's ``Entry`` objects when someone asks, like ``Entry.as_json``: secrets masked the same
way, bodies as recorded (a truncated one ends in "…" and says so in its ``comment``). Not recorded, so not
in the archive: response headers (the MIME type is ``application/json`` when the body parses as JSON, else
``text/plain``), cookies, and a split of the time (the whole duration is ``wait``). Each entry adds the
journal's own ``_seq`` and ``_api`` (custom fields start with an underscore in HAR).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Iterable
from urllib.parse import parse_qsl

from sandbox.core.journal import Entry, header_name, mask

HAR_VERSION = "1.2"
HAR_MIME_TYPE = "application/json"   # what a HAR file is; browsers import it from a download


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _text(raw: bytes, truncated: bool) -> str:
    return raw.decode("utf-8", errors="replace") + ("…" if truncated else "")


def _mime_type(raw: bytes, truncated: bool) -> str:
    if truncated:
        return "text/plain"
    try:
        json.loads(raw)
    except ValueError:
        return "text/plain"
    return "application/json"


def _status_text(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""                        # 499: a connection a fault rule dropped


def entry(item: Entry, base_url: str) -> dict:
    """One journal entry as a HAR entry; ``base_url`` (scheme and host) makes its URL absolute."""
    query = item.query
    headers = [(header_name(key), value) for key, value in item.headers]   # the environ's HTTP_X_API_KEY
    request_truncated, response_truncated = item.truncated
    har_request: dict = {
        "method": item.method,
        "url": base_url.rstrip("/") + item.path + (f"?{query}" if query else ""),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": name, "value": mask(name, value, item.secret)} for name, value in headers],
        "queryString": [{"name": name, "value": value} for name, value in parse_qsl(query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": len(item.request_body),
    }
    if item.request_body:
        content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
        har_request["postData"] = {"mimeType": content_type or _mime_type(item.request_body, request_truncated),
                                   "text": _text(item.request_body, request_truncated)}
    content = {"size": len(item.response_body), "mimeType": _mime_type(item.response_body, response_truncated)}
    if item.response_body:
        content["text"] = _text(item.response_body, response_truncated)
    truncated = [part for part, cut in (("request", request_truncated), ("response", response_truncated)) if cut]
    har_entry = {
        "startedDateTime": _iso(item.time),
        "time": round(item.duration_ms, 3),
        "request": har_request,
        "response": {"status": item.status, "statusText": _status_text(item.status), "httpVersion": "HTTP/1.1",
                     "cookies": [], "headers": [], "content": content, "redirectURL": "",
                     "headersSize": -1, "bodySize": len(item.response_body)},
        "cache": {},
        "timings": {"send": 0, "wait": round(item.duration_ms, 3), "receive": 0},
        "_seq": item.seq,
        "_api": item.api,
    }
    if truncated:
        har_entry["comment"] = f"The {' and '.join(truncated)} body was cut at the journal's size limit."
    return har_entry


def archive(entries: Iterable[Entry], base_url: str, *, version: str, session: str) -> dict:
    """The whole archive: ``{"log": {"version": "1.2", "creator": ..., "entries": [...]}}``, oldest first."""
    return {"log": {
        "version": HAR_VERSION,
        "creator": {"name": "order-sandbox", "version": version},
        "comment": f"The request journal of session {session!r}.",
        "entries": [entry(item, base_url) for item in entries],
    }}
