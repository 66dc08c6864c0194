"""Dumping records to the wire, memoised by record identity.

Records are never edited in place (see store.py), so the wire body of a record object never changes: it
depends only on the record, the schema and the host the client used (links embed it). A GET that reads
an unchanged record therefore reuses the body dumped for the previous reader instead of running
marshmallow again, which is most of a read's cost. A view a backend composes from several records (a
Slyk order with its user) should come from ``composed`` so that the same records give the same view
object, and so the same cached body. Dumped bodies and composed views are shared: never edit one in place.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable

from flask import request
from marshmallow import Schema

CACHE_SIZE = 8192


class DumpCache:
    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def dump(self, schema: Schema, obj, *, many: bool = False):
        if many:
            return [self.dump(schema, item) for item in obj]
        # The cache holds obj, so no other object can take its id() while the entry lives.
        key = (id(schema), id(obj), request.scheme, request.host)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] is obj:
                self._entries.move_to_end(key)
                return hit[1]
        body = schema.dump(obj)
        with self._lock:
            self._entries[key] = (obj, body)
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return body


_cache = DumpCache()


def dump(schema: Schema, obj, *, many: bool = False):
    """``schema.dump(obj, many=many)``, reusing the body of a record already dumped for this host."""
    return _cache.dump(schema, obj, many=many)


class _Views:
    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str, parts: tuple, build: Callable[[], Any]):
        key = (name, *map(id, parts))
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and all(a is b for a, b in zip(hit[0], parts)):
                self._entries.move_to_end(key)
                return hit[1]
        view = build()
        with self._lock:
            self._entries[key] = (parts, view)
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return view


_views = _Views()


def composed(name: str, parts: tuple, build: Callable[[], Any]):
    """The view ``build()`` makes from the records ``parts``; the same objects give the same view object."""
    return _views.get(name, parts, build)
