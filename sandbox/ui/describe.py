"""What the dashboard and the docs page show of an API, derived from its ``ApiSpec`` and the app's url_map.

Nothing here is written per API: a sixth API shows up with its orders, their status, its transition
buttons and a curl example as soon as it is in the registry. What cannot be guessed may be set in
``ApiSpec.extra["dashboard"]``::

    {"table": "orders",          # the table listed (default: "orders" when the API has one)
     "status_field": "state",    # default: the first of STATUS_FIELDS a record has
     "id_field": "uuid",         # the record field in the URL (default: the store's key, "id")
     "collection": "order"}      # the path segment before the id (default: the table name or its singular)

Plain functions of a spec, a url_map and records: no request, so they are unit-tested with fake rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import quote

from werkzeug.routing import Map, Rule

PLACEHOLDER_TOKEN = "sandbox-dashboard"
STATUS_FIELDS = ("status", "orderStatus", "order_status", "state")
CREATED_FIELDS = ("created_at", "createdAt", "orderDate", "order_date", "created")
VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")
SEGMENT_AND_VARIABLE = re.compile(r"([^/<>]*)/<(?:[^<>:]+:)?([^<>:]+)>")
# ".../<collection>/<...id>/<verb>": the last variable names an id, the last segment is a literal word.
TRANSITION = re.compile(r"/(?P<collection>[^/<>]+)/<(?:[^<>:]+:)?(?P<id>[^<>:]*id)>/(?P<verb>[A-Za-z][\w-]*)$",
                        re.IGNORECASE)
ONE_RECORD = re.compile(r"/(?P<collection>[^/<>]+)/<(?:[^<>:]+:)?(?P<id>[^<>:]*id)>$", re.IGNORECASE)


def settings(spec) -> Mapping[str, Any]:
    return (spec.extra or {}).get("dashboard") or {}


def orders_table(spec) -> str | None:
    """The table the dashboard lists; None when the API has no orders table and names none."""
    name = settings(spec).get("table")
    if name:
        return name
    return "orders" if "orders" in spec.tables else None


def id_field(spec) -> str:
    return settings(spec).get("id_field", "id")


def status_field(spec, record: Mapping[str, Any]) -> str | None:
    chosen = settings(spec).get("status_field")
    if chosen:
        return chosen
    return next((name for name in STATUS_FIELDS if name in record), None)


def status_of(spec, record: Mapping[str, Any]) -> Any:
    field = status_field(spec, record)
    return record.get(field) if field else None


def created_of(record: Mapping[str, Any]) -> Any:
    return next((record[name] for name in CREATED_FIELDS if name in record), None)


def auth_headers(spec, token: str = PLACEHOLDER_TOKEN) -> dict[str, str]:
    """Headers that satisfy the API's auth: the first credential of each requirement, with ``token``."""
    headers = {}
    for alternatives in spec.auth.requirements:
        credential = alternatives[0]
        headers[credential.header] = f"{credential.scheme} {token}" if credential.scheme else token
    return headers


def auth_description(spec) -> list[str]:
    """One line per requirement: ``x-access-token: <key> or Authorization: Bearer <token>``."""
    return [" or ".join(c.describe() for c in alternatives) for alternatives in spec.auth.requirements]


def _collections(spec) -> set[str]:
    chosen = settings(spec).get("collection")
    if chosen:
        return {chosen}
    table = orders_table(spec) or ""
    return {table, table[:-1] if table.endswith("s") else table} - {""}


def api_rules(url_map: Map, spec, method: str) -> list[Rule]:
    """The rules of the API's blueprint answering ``method``, in registration order."""
    prefix = spec.blueprint.name + "."
    return [rule for rule in url_map.iter_rules()
            if rule.endpoint.startswith(prefix) and method in (rule.methods or ())]


@dataclass(frozen=True)
class Action:
    """A route that acts on one order: ``POST /slyk/orders/<order_id>/cancel`` is verb ``cancel``."""
    verb: str
    method: str
    rule: str

    collections: frozenset[str] = frozenset()

    def url(self, record: Mapping[str, Any], key: str = "id") -> str | None:
        return fill(self.rule, record, key, self.collections)


def transitions(url_map: Map, spec) -> list[Action]:
    """POST routes ending in ``/<collection>/<...id>/<verb>``: the documented transitions of an order."""
    found: dict[str, Action] = {}
    for rule in api_rules(url_map, spec, "POST"):
        match = TRANSITION.search(rule.rule)
        if match and match["collection"] in _collections(spec):
            found.setdefault(match["verb"], Action(match["verb"], "POST", rule.rule, frozenset(_collections(spec))))
    return list(found.values())


def read_action(url_map: Map, spec) -> Action | None:
    """The GET route for one order (``/orders/<order_id>``), to see it as the API serves it."""
    for rule in api_rules(url_map, spec, "GET"):
        match = ONE_RECORD.search(rule.rule)
        if match and match["collection"] in _collections(spec):
            return Action("get", "GET", rule.rule, frozenset(_collections(spec)))
    return None


def _spellings(name: str) -> Iterable[str]:
    """``customer_id`` -> customer_id, customerId; ``customerId`` -> customerId, customer_id."""
    yield name
    yield re.sub(r"_([a-z])", lambda m: m[1].upper(), name)
    yield re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m[1].lower(), name)


def fill(rule: str, record: Mapping[str, Any], key: str = "id", collections: Iterable[str] = ()) -> str | None:
    """The rule's path with its variables taken from ``record``; None when one cannot be filled.

    A variable right after one of ``collections`` (``/orders/<order_id>``) is the record's own id
    (``key``); any other is the record's field of the same name in snake or camel case
    (``<customer_id>`` from ``customerId``)."""
    collections = set(collections)
    values = []
    for segment, name in SEGMENT_AND_VARIABLE.findall(rule):
        if segment in collections and key in record:
            values.append(record[key])
            continue
        value = next((record[s] for s in _spellings(name) if s in record), None)
        if value is None or isinstance(value, (dict, list)):
            return None
        values.append(value)
    parts = iter(quote(str(value), safe="") for value in values)
    return VARIABLE.sub(lambda _: next(parts), rule)


def example_path(url_map: Map, spec, record: Mapping[str, Any] | None) -> str | None:
    """A GET path of the API that can be called as is: one without variables, else one filled from ``record``."""
    rules = sorted(api_rules(url_map, spec, "GET"), key=lambda rule: len(VARIABLE.findall(rule.rule)))
    for rule in rules:
        path = fill(rule.rule, record or {}, id_field(spec), _collections(spec))
        if path is not None:
            return path
    return None


def curl_example(spec, base_url: str, path: str | None) -> str:
    headers = " ".join(f"-H '{name}: {value}'" for name, value in auth_headers(spec).items())
    return f"curl -g {headers} '{base_url}{path or spec.url_prefix}'"
