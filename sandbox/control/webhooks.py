"""Webhook subscriptions, the outbox of emitted events, and flushing deliveries."""

from __future__ import annotations

from flask import request

from sandbox.control import schemas as S
from sandbox.control.base import box, bp, request_json
from sandbox.core import errors
from sandbox.core.api import session_name
from sandbox.core.openapi import documented
from sandbox.core.validation import load


@bp.post("/webhooks")
@documented(response=S.WebhookOut, status=201, body=S.WebhookIn, errors=(400,),
            example={"api": "slyk", "url": "http://127.0.0.1:9000/hook", "events": ["store.order.paid"]})
def subscribe_webhook():
    """POST /__sandbox/webhooks {"api": "slyk", "url": "http://127.0.0.1:9000/hook", "events": [...]}."""
    body = load(S.WebhookIn(), request_json())
    running = box()
    spec = running.apis.get(body["api"])
    if spec is None or not spec.events:
        with_events = [name for name, s in running.apis.items() if s.events]
        raise errors.Invalid("Unknown API.", details={"api": [f"Must name an API that emits webhooks: "
                                                               f"{', '.join(with_events)}."]})
    unknown = sorted(set(body["events"]) - set(spec.events))
    if unknown:
        raise errors.Invalid("Unknown events.", details={"events": [f"Unknown events {unknown}; known: "
                                                                     f"{', '.join(spec.events)}."]})
    return running.webhooks.subscribe(session_name(), spec.name, body["url"], body["events"]).as_json(), 201


@bp.get("/webhooks")
@documented("GET /__sandbox/webhooks: the subscriptions of this session.", response=S.WebhooksOut)
def list_webhooks():
    return {"webhooks": [s.as_json() for s in box().webhooks.subscriptions(session_name())]}


@bp.delete("/webhooks")
@documented("DELETE /__sandbox/webhooks: remove every subscription of this session.", response=None, status=204)
def clear_webhooks():
    box().webhooks.unsubscribe(session_name())
    return "", 204


@bp.delete("/webhooks/<int:subscription_id>")
@documented("DELETE /__sandbox/webhooks/{id}: remove one subscription.", response=None, status=204,
            params={"subscription_id": "1"})
def unsubscribe_webhook(subscription_id):
    if not box().webhooks.unsubscribe(session_name(), subscription_id):
        raise errors.NotFound(f"No webhook subscription {subscription_id} in session {session_name()!r}.")
    return "", 204


@bp.get("/webhooks/outbox")
@documented(response=S.OutboxOut, query=S.OutboxQueryIn)
def webhook_outbox():
    """GET /__sandbox/webhooks/outbox[?api=&event=]: every event emitted, with its delivery attempts."""
    events = box().webhooks.outbox(session_name(), api=request.args.get("api"), event=request.args.get("event"))
    return {"events": [event.as_json() for event in events], "total": len(events)}


@bp.post("/webhooks/flush")
@documented(response=S.OutboxOut)
def flush_webhooks():
    """POST /__sandbox/webhooks/flush: attempt every pending delivery now, then answer with the outbox."""
    events = box().webhooks.flush(session_name())
    return {"events": [event.as_json() for event in events], "total": len(events)}
