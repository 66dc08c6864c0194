"""The journal as HAR 1.2 (GET /__sandbox/requests.har): through HTTP with the journal's filters, and the
conversion of one entry as a plain function."""

from __future__ import annotations

import json

from sandbox.core import har
from sandbox.core.journal import BODY_LIMIT, Entry

# HAR 1.2's required fields (http://www.softwareishard.com/blog/har-12-spec/).
ENTRY_FIELDS = {"startedDateTime", "time", "request", "response", "cache", "timings"}
REQUEST_FIELDS = {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"}
RESPONSE_FIELDS = {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                   "headersSize", "bodySize"}


def assert_har(document: dict) -> list[dict]:
    log = document["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "order-sandbox"
    for entry in log["entries"]:
        assert ENTRY_FIELDS <= set(entry) and REQUEST_FIELDS <= set(entry["request"])
        assert RESPONSE_FIELDS <= set(entry["response"]) and {"size", "mimeType"} <= set(entry["response"]["content"])
        assert {"send", "wait", "receive"} <= set(entry["timings"])
    return log["entries"]


def test_the_journal_downloads_as_har_with_the_filters_of_requests(client):
    client.post("/slyk/orders/fc78d28f-a8dd-49de-a22f-722fe3bd26c6/pay?dryRun=1", headers={"apikey": "s3cret"},
                json={"amount": "1.00000000"})
    client.get("/appx/api/v1/orders/15", headers={"Authorization": "Bearer t0ken"})
    response = client.get("/__sandbox/requests.har")
    assert response.status_code == 200 and response.is_json
    assert response.headers["Content-Disposition"] == 'attachment; filename="order-sandbox-default.har"'
    pay, read = assert_har(json.loads(response.data))
    assert pay["request"]["url"] == "http://localhost/slyk/orders/fc78d28f-a8dd-49de-a22f-722fe3bd26c6/pay?dryRun=1"
    assert pay["request"]["queryString"] == [{"name": "dryRun", "value": "1"}]
    assert {"name": "Apikey", "value": "***"} in pay["request"]["headers"]             # secrets masked
    assert json.loads(pay["request"]["postData"]["text"]) == {"amount": "1.00000000"}
    assert pay["response"]["status"] == 200 and pay["response"]["statusText"] == "OK"
    assert json.loads(pay["response"]["content"]["text"])["data"]["paidAmount"] == "1.00000000"
    assert pay["_api"] == "slyk" and read["_api"] == "appx" and pay["_seq"] < read["_seq"]
    assert {"name": "Authorization", "value": "Bearer ***"} in read["request"]["headers"]

    only = assert_har(client.get("/__sandbox/requests.har?api=appx&status=200").get_json())
    assert [e["request"]["url"] for e in only] == ["http://localhost/appx/api/v1/orders/15"]
    bad = client.get("/__sandbox/requests.har?status=abc")
    assert bad.status_code == 400 and bad.get_json()["error"] == "Invalid"
    other = client.get("/__sandbox/requests.har", headers={"X-Sandbox-Session": "job-1"})
    assert other.get_json()["log"]["entries"] == []


def test_one_entry_keeps_what_the_journal_kept():
    entry = Entry(seq=3, time=1_700_000_000.25, api="shop", method="POST", path="/shop/api/v1/shop/orders",
                  query=b"", headers=[("X-API-Key", "k"), ("Content-Type", "application/json")],
                  secret=frozenset({"x-api-key"}), request_body=b"x" * BODY_LIMIT, status=499, response_body=b"",
                  duration_ms=12.3456, truncated=(True, False))
    converted = har.entry(entry, "http://127.0.0.1:8080/")
    assert converted["startedDateTime"] == "2023-11-14T22:13:20.250Z"
    assert converted["request"]["url"] == "http://127.0.0.1:8080/shop/api/v1/shop/orders"
    assert converted["request"]["postData"]["text"].endswith("…")
    assert converted["request"]["postData"]["mimeType"] == "application/json"
    assert converted["response"]["statusText"] == "" and "text" not in converted["response"]["content"]
    assert converted["time"] == 12.346 and "request body was cut" in converted["comment"]
