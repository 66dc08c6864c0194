"""The control plane's bodies as marshmallow schemas, for its OpenAPI document (``/__sandbox/openapi.json``).

The views in ``sandbox/control/`` build these bodies directly; tests validate live answers against the document
generated from these schemas, so the two cannot drift apart."""

from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from sandbox.core.validation import StrictNumber

STRINGS = fields.List(fields.String())
ANY_OBJECT = {"type": "object"}


class ControlErrorOut(Schema):
    error = fields.String()
    message = fields.String()
    details = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))

    class Meta:
        optional = ("details",)


class HealthOut(Schema):
    status = fields.String(metadata={"description": "ok; degraded (503) once the data directory stopped "
                                                    "keeping changes"})
    version = fields.String()
    apis = fields.Dict(keys=fields.String(), values=fields.String(),
                       metadata={"description": "API name -> the path its clients use as base URL"})
    message = fields.String(metadata={"description": "only when degraded: why writes are refused"})

    class Meta:
        optional = ("message",)


class ApiQueryIn(Schema):
    api = fields.String(metadata={"description": "One API by name; all when absent."})


class ResetOut(Schema):
    reset = STRINGS
    session = fields.String()


class StateDocument(Schema):
    apis = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.List(
        fields.Dict())), required=True, metadata={"description": "api -> table -> records, each with an id"})


class StateOut(Schema):
    session = fields.String()
    apis = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.List(
        fields.Dict())))


class ReplacedOut(Schema):
    replaced = STRINGS
    session = fields.String()


class SnapshotOut(Schema):
    name = fields.String()
    apis = STRINGS
    created_at = fields.String()


class SnapshotsOut(Schema):
    snapshots = fields.List(fields.Nested(SnapshotOut))


class SavedSnapshotOut(Schema):
    name = fields.String()
    apis = STRINGS


class RestoredSnapshotOut(Schema):
    restored = fields.String()
    apis = STRINGS


def _sequence_or_time(value: str) -> None:
    if not value.isdigit():
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("Must be a sequence number or an ISO 8601 time.") from None


class RequestsQueryIn(Schema):
    class Meta:
        unknown = EXCLUDE          # like the APIs, the journal ignores query keys it does not know

    api = fields.String()
    method = fields.String()
    path = fields.String(metadata={"description": "A glob matched against the path"})
    status = fields.Integer()
    since = fields.String(validate=_sequence_or_time, metadata={"description": "A sequence number or an ISO 8601 time"})
    limit = fields.Integer(validate=validate.Range(min=1))


class JournalEntryOut(Schema):
    seq = fields.Integer()
    time = fields.String()
    api = fields.String()
    method = fields.String()
    path = fields.String()
    query = fields.Dict(keys=fields.String(), values=STRINGS)
    headers = fields.Dict(keys=fields.String(), values=fields.String())
    body = fields.Raw(metadata={"description": "JSON when the body was JSON, else text or null"})
    status = fields.Integer()
    response = fields.Raw()
    duration_ms = fields.Float()


class RequestsOut(Schema):
    requests = fields.List(fields.Nested(JournalEntryOut))
    total = fields.Integer()


class HarOut(Schema):
    log = fields.Dict(metadata={"description": "HAR 1.2: {version, creator, entries: [{startedDateTime, time, "
                                               "request, response, cache, timings}]}"})


class DeletedOut(Schema):
    deleted = fields.Integer()


class FaultOut(Schema):
    id = fields.Integer()
    api = fields.String()
    method = fields.String()
    path = fields.String()
    status = fields.Integer(allow_none=True)
    message = fields.String()
    delay_ms = fields.Integer()
    drop = fields.Boolean()
    times = fields.Integer(allow_none=True)
    probability = fields.Float()
    fired = fields.Integer()
    body = fields.Raw()

    class Meta:
        optional = ("body",)


class FaultsOut(Schema):
    faults = fields.List(fields.Nested(FaultOut))


class ClockIn(Schema):
    now = fields.AwareDateTime(default_timezone=timezone.utc,
                               metadata={"description": "Freeze the clock at this ISO 8601 time"})
    advance_seconds = StrictNumber(metadata={"description": "Move the clock by this many seconds"})

    @validates_schema
    def says_what_to_do(self, data, **kwargs):
        if "now" not in data and "advance_seconds" not in data:
            raise ValidationError('Send {"now": ISO 8601} or {"advance_seconds": N}.')


class ClockOut(Schema):
    now = fields.String()
    frozen = fields.Boolean()


class EvictionOut(Schema):
    name = fields.String()
    writes = fields.Integer(metadata={"description": "kept writes the session held when it was evicted"})
    evicted_at = fields.String()


class SessionsOut(Schema):
    sessions = STRINGS
    max_sessions = fields.Integer(metadata={"description": "named sessions alive at once (SANDBOX_MAX_SESSIONS)"})
    evicted = fields.List(fields.Nested(EvictionOut), metadata={
        "description": "the latest sessions evicted as least recently used, newest last"})


class RuleOut(Schema):
    id = fields.String(metadata={"description": "<api>.<rule>, as the X-Sandbox-Rule header names it"})
    api = fields.String()
    text = fields.String()
    source = fields.String()
    machine = fields.String(metadata={"description": "The state machine this rule guards, if any"})

    class Meta:
        optional = ("machine",)


class MachineOut(Schema):
    api = fields.String()
    name = fields.String()
    rule = fields.String(allow_none=True)
    transitions = fields.Dict(keys=fields.String(), values=STRINGS)


class RulesOut(Schema):
    rules = fields.List(fields.Nested(RuleOut))
    machines = fields.List(fields.Nested(MachineOut))


class WebhookIn(Schema):
    api = fields.String(required=True, metadata={"description": "An API that emits webhooks (slyk)"})
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)
    events = fields.List(fields.String(), load_default=list, metadata={"description": "Empty or absent: every event"})


class WebhookOut(Schema):
    id = fields.Integer()
    api = fields.String()
    url = fields.String()
    events = STRINGS


class WebhooksOut(Schema):
    webhooks = fields.List(fields.Nested(WebhookOut))


class DeliveryOut(Schema):
    subscription = fields.Integer()
    url = fields.String()
    status = fields.String(metadata={"enum": ["pending", "delivered", "failed"]})
    attempts = fields.List(fields.Dict(), metadata={"description": "{at, status_code or error, duration_ms}"})


class WebhookEventOut(Schema):
    id = fields.String()
    api = fields.String()
    event = fields.String()
    created_at = fields.String()
    payload = fields.Dict(metadata={"description": "The body POSTed to each subscriber"})
    deliveries = fields.List(fields.Nested(DeliveryOut))


class OutboxOut(Schema):
    events = fields.List(fields.Nested(WebhookEventOut))
    total = fields.Integer()


class OutboxQueryIn(Schema):
    api = fields.String()
    event = fields.String()
