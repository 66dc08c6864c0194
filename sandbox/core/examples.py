"""The docs' request/response examples, kept as data in ``fixtures/<api>/examples/*.json``.

Each holds the request, the response the docs print (verbatim, only broken JSON mended), the docs' hosts
(replaced by the sandbox's own base URL) and ``decisions``: JSON paths where the sandbox answers otherwise
on purpose, each with its value and why (the same choice is in docs/fidelity.md). A value ``"<any>"``
marks a field the docs cannot fix, such as a new record's id or timestamp. A decision naming a key the
docs' object lacks adds it before the first key that sorts after it (the vendors' objects are alphabetical).
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.core.fixtures import fixtures_root

ANY = "<any>"


def load_examples(api: str, root: Path | None = None) -> list[dict]:
    folder = (root or fixtures_root()) / api / "examples"
    examples = []
    for path in sorted(folder.glob("*.json")):
        with open(path, encoding="utf-8") as handle:
            example = json.load(handle)
        example["name"] = f"{api}/{path.stem}"
        examples.append(example)
    return examples


def expected_body(example: dict, base_url: str):
    """The documented body as the sandbox must answer it: hosts replaced, decisions applied."""
    text = json.dumps(example["response"].get("body"), ensure_ascii=False)
    for host in example.get("hosts", ()):
        text = text.replace(host, base_url)
    body = json.loads(text)
    for decision in example.get("decisions", ()):
        value = decision["value"]
        if isinstance(value, str):
            value = value.replace("{base}", base_url)
        _set_path(body, decision["path"], value)
    return body


def _set_path(body, path: str, value) -> None:
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    elif last in node:
        node[last] = value
    else:
        keys = list(node)
        at = next((i for i, key in enumerate(keys) if key > last), len(keys))
        items = list(node.items())
        node.clear()
        node.update(items[:at] + [(last, value)] + items[at:])


def drift(expected, actual, path: str = "$") -> list[tuple[str, object, object]]:
    """Every difference as (JSON path, expected, actual), key order included; ``"<any>"`` matches anything."""
    if expected == ANY:
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        if list(expected) != list(actual) and set(expected) == set(actual):
            found.append((f"{path} (key order)", list(expected), list(actual)))
        for key in expected:
            if key not in actual:
                found.append((f"{path}.{key}", expected[key], "<missing>"))
            else:
                found.extend(drift(expected[key], actual[key], f"{path}.{key}"))
        found.extend((f"{path}.{key}", "<absent>", actual[key]) for key in actual if key not in expected)
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [(f"{path} (length)", len(expected), len(actual))]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in drift(e, a, f"{path}[{i}]")]
    if type(expected) is not type(actual) or expected != actual:
        return [(path, expected, actual)]
    return []


def replay(client, spec, example: dict, clock=None):
    """Send the example's request through a Flask test client; returns (response, expected body).

    An example may carry ``"clock": "<ISO time>"``: the clock is frozen there first, so timestamps of
    records the request creates can be compared exactly; and ``"given"``: requests (method, path, body)
    sent first with the example's headers, for examples that only make sense after another step."""
    from datetime import datetime

    if clock is not None and example.get("clock"):
        clock.freeze(datetime.fromisoformat(example["clock"].replace("Z", "+00:00")))
    request = example["request"]
    for step in example.get("given", ()):
        done = _send(client, spec, {"headers": request.get("headers", {}), **step})
        if done.status_code >= 300:
            raise AssertionError(f"{example.get('name')}: given step {step['method']} {step['path']} "
                                 f"answered {done.status_code}: {done.get_data(as_text=True)}")
    return _send(client, spec, request), expected_body(example, "http://localhost" + spec.url_prefix)


def _send(client, spec, request: dict):
    body = request.get("body")
    return client.open(
        spec.url_prefix + request["path"], method=request["method"], headers=request.get("headers", {}),
        data=None if body is None else (body if isinstance(body, str) else json.dumps(body)),
        content_type="application/json" if body is not None else None)


def check(app, apis=None) -> list[dict]:
    """Replay every example of ``apis`` (all by default), each from the seeded state; one result each."""
    box = app.extensions["sandbox"]
    client = app.test_client()
    results = []
    for name, spec in box.apis.items():
        if apis and name not in apis:
            continue
        for example in load_examples(name):
            box.store.reset()
            box.clock.unfreeze()
            response, expected = replay(client, spec, example, box.clock)
            differences = []
            if response.status_code != example["response"]["status"]:
                differences.append(("(status)", example["response"]["status"], response.status_code))
            actual = response.get_json(silent=True) if response.data else None
            differences.extend(drift(expected, actual))
            results.append({"api": name, "example": example["name"], "drift": differences})
    box.store.reset()
    box.clock.unfreeze()
    return results
