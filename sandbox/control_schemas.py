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
