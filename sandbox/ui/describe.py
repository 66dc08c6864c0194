"""What the dashboard and the docs page show of an API, derived from its ``ApiSpec`` and the app's url_map.

Nothing here is written per API: a sixth API shows up with its orders, their status, its transition
buttons and a curl example as soon as it is in the registry. What cannot be guessed may be set in
``ApiSpec.extra["dashboard"]``::

    {"table": "orders",          # the table listed (default: "orders" when the API has one)
     "status_field": "state",    # default: the first of STATUS_FIELDS a record has
     "status_words": {700: "Complete"},   # where the API writes a status as a code
     "id_field": "uuid",         # the record field in the URL (default: the store's key, "id")
     "collection": "order",      # the path segment before the id (default: the table name or its singular)
     "token": fn(record, config) -> str,  # a token the API accepts for this record (shop: its user's)
     "offers": fn(record, verb) -> bool}  # a rule beyond the state machines (Slyk: payments need an open order)

Which transitions a record is offered comes from the API's state machines (``ApiSpec.machines``): a table of
actions by status (shop's) names the verbs directly; a table of statuses (Slyk's) allows a verb when one of
the states the verb names (``pay`` -> ``paid``, ``fully_paid``) is a target of the record's current state.

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
# The columns a developer scans for, each the first of these fields a record has with a value.
NUMBER_FIELDS = ("order_number", "orderNumber", "reference", "number", "description")
CUSTOMER_FIELDS = ("customer_name", "email", "customer_email", "customer_id", "customerId", "userId", "user_id")
TOTAL_FIELDS = ("total_price", "total", "gross", "amount", "totalAmount")
STATE_PREFIXES = ("fully_", "partially_")
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


def status_words(spec, value: Any) -> str:
    """A status as the developer reads it: ``Complete (700)`` where the API uses codes."""
    if value is None:
        return "—"
    word = (settings(spec).get("status_words") or {}).get(value)
    return f"{word} ({value})" if word else str(value)


def other_statuses(spec, record: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Further status fields that have a state machine of their own (Slyk's ``paymentStatus``)."""
    primary = status_field(spec, record)
    return [(name, record[name]) for name in spec.machines if name in record and name != primary]


def created_field(record: Mapping[str, Any]) -> str | None:
    return next((name for name in CREATED_FIELDS if name in record), None)


def created_of(record: Mapping[str, Any]) -> Any:
    name = created_field(record)
    return record[name] if name else None


def first_of(record: Mapping[str, Any], names: Iterable[str]) -> Any:
    return next((record[name] for name in names if record.get(name) not in (None, "")), None)


def newest_first(records: list[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], str]:
    """Records by creation time, newest first (ties: the later stored first), and how that order is stated.
    The seed stores records in no particular order (Slyk's oldest first, mittwald's unsorted)."""
    field = next((created_field(r) for r in records if created_field(r)), None)
    if field is None:
        return records[::-1], "newest first (the last stored on top)"
    ordered = sorted(enumerate(records), key=lambda pair: (str(pair[1].get(field) or ""), pair[0]), reverse=True)
    return [record for _, record in ordered], f"newest first by {field}"


def allowed_verbs(spec, record: Mapping[str, Any], verbs: Iterable[str]) -> list[str]:
    """The verbs the API's state machines (and its ``offers`` rule) allow on ``record``; with neither, every verb."""
    offers = settings(spec).get("offers") or (lambda record, verb: True)
    return [verb for verb in verbs if offers(record, verb) and all(
        _machine_allows(spec, name, machine, record, verb) for name, machine in spec.machines.items())]


def _participles(verb: str) -> set[str]:
    """The states a verb leads to: pay -> paid, cancel -> canceled/cancelled, fulfill -> fulfilled."""
    verb = verb.lower()
    forms = {verb + "ed", verb + "d", verb + verb[-1] + "ed"}
    if verb.endswith("y"):
        forms.add(verb[:-1] + "id")
    return forms


def _state_word(state: str) -> str:
    word = str(state).lower()
    for prefix in STATE_PREFIXES:
        word = word.removeprefix(prefix)
    return word


def _machine_allows(spec, name: str, machine, record: Mapping[str, Any], verb: str) -> bool:
    """A machine named after a field of the record (``paymentStatus``) reads that field, any other the
    record's status; a verb it does not mention is not its to refuse."""
    current = record.get(name if name in record else status_field(spec, record))
    if current not in machine.table:
        return True                                  # the machine does not cover this record
    targets = set().union(*machine.table.values())
    if verb in targets:                              # a table of actions by status (shop's)
        return verb in machine.table[current]
    named = {t for t in targets if _state_word(t) in _participles(verb)}
    return not named or bool(named & machine.table[current])


def record_headers(spec, record: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, str]:
    """Credentials the API accepts for this record: its own token rule's, else the placeholder token."""
    token_for = settings(spec).get("token")
    return auth_headers(spec, token_for(record, config) if token_for else PLACEHOLDER_TOKEN)


def related(spec, record: Mapping[str, Any], tables: Mapping[str, list]) -> dict[str, list]:
    """Records of the API's other tables that point at ``record`` (``order_id`` / ``orderId``)."""
    names = {f"{singular}{suffix}" for singular in _collections(spec) for suffix in ("_id", "Id")}
    key = record.get(id_field(spec))
    found = {}
    for table, records in tables.items():
        if table == orders_table(spec):
            continue
        mine = [r for r in records if any(name in r and str(r[name]) == str(key) for name in names)]
        if mine:
            found[table] = mine
    return found


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


def create_action(url_map: Map, spec) -> Action | None:
    """The POST route of the collection itself (``POST /orders``): how a client creates a record."""
    for rule in api_rules(url_map, spec, "POST"):
        if rule.rule.rstrip("/").rsplit("/", 1)[-1] in _collections(spec):
            return Action("create", "POST", rule.rule, frozenset(_collections(spec)))
    return None


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
