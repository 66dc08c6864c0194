"""The control plane's bodies as marshmallow schemas, for its OpenAPI document (``/__sandbox/openapi.json``).

The views in ``control.py`` build these bodies directly; tests validate live answers against the document
generated from these schemas, so the two cannot drift apart."""

from __future__ import annotations

from marshmallow import Schema, fields

STRINGS = fields.List(fields.String())
ANY_OBJECT = {"type": "object"}


class ControlErrorOut(Schema):
    error = fields.String()
    message = fields.String()
    details = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))

    class Meta:
        optional = ("details",)


class HealthOut(Schema):
    status = fields.String()
    version = fields.String()
    apis = fields.Dict(keys=fields.String(), values=fields.String(),
                       metadata={"description": "API name -> the path its clients use as base URL"})


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


class RequestsQueryIn(Schema):
    api = fields.String()
    method = fields.String()
    path = fields.String(metadata={"description": "A glob matched against the path"})
    status = fields.Integer()
    since = fields.String(metadata={"description": "A sequence number or an ISO 8601 time"})
    limit = fields.Integer()


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


class DeletedOut(Schema):
    deleted = fields.Integer()


class FaultIn(Schema):
    api = fields.String(metadata={"description": "An API name or *"})
    method = fields.String()
    path = fields.String(metadata={"description": "A glob against the full path or the path below the mount"})
    status = fields.Integer(allow_none=True)
    body = fields.Raw(metadata={"description": "Answer this body instead of an error in the API's shape"})
    message = fields.String()
    delay_ms = fields.Integer()
    drop = fields.Boolean()
    times = fields.Integer(allow_none=True)
    probability = fields.Float()


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
    now = fields.String(metadata={"description": "Freeze the clock at this ISO 8601 time"})
    advance_seconds = fields.Float(metadata={"description": "Move the clock by this many seconds"})


class ClockOut(Schema):
    now = fields.String()
    frozen = fields.Boolean()


class SessionsOut(Schema):
    sessions = STRINGS


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
    url = fields.String(required=True)
    events = STRINGS


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
