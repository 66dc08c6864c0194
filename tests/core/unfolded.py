"""For tests that compare the folded marshmallow steps (core/dumps.py, core/validation.py) with marshmallow's own."""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def marshmallow_only(compiled: list, method: str):
    """Within the block, the schemas in ``compiled`` run marshmallow's own ``method`` instead of the folded one."""
    folded = [(schema, schema.__dict__.pop(method)) for schema in compiled if method in schema.__dict__]
    try:
        yield
    finally:
        for schema, function in folded:
            setattr(schema, method, function)
