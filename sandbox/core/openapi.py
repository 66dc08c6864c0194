"""OpenAPI 3.1 documents generated from the marshmallow schemas that shape the wire format.

A view states its contract with ``@documented(...)``: summary, the query and body ``*In`` schemas, the
success status and body (an ``*Out`` schema), response headers and the error statuses it can answer.
``build`` walks the app's url_map for one blueprint and turns those declarations into a document with
apispec's MarshmallowPlugin, so the spec is the same code that shapes responses and cannot drift from it.
``api_document`` adds what the registry already knows about an API: its auth as security schemes, its
error shape as the ``Error`` component, request-body examples from its documented examples, and ``servers`` at
the base URL its clients use (so the paths are the real API's). Every route of a documented blueprint must carry
``@documented``; an undocumented one is a bug.

Conventions the generator adds, so that a response validates only if it has the documented shape:
- a schema named ``*Out`` lists every property as required except those in its ``Meta.optional``;
- a custom field class states its wire type in a class attribute ``openapi = {"type": ...}``;
- ``Derived`` (a value computed from the whole record and shaped by another schema) is documented as that
  schema, and a ``fields.Function`` gives its type in ``metadata={"type": ...}``;
- path parameters are non-empty strings without a slash (an empty one would name another route).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus
from itertools import product
from typing import Any, Callable, Mapping

from marshmallow import Schema, fields

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
PATH_PARAMETER = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
ERROR_COMPONENT = "Error"


class Derived(fields.Function):
    """A value computed from the whole record and dumped with ``schema`` (``many`` for a list).

    ``get`` picks what to dump (the record itself by default); ``None`` dumps as ``null`` when ``allow_none``."""

    def __init__(self, schema: Schema, get: Callable[[Any], Any] = lambda record: record, *,
                 many: bool = False, **kwargs):
        self.documented_schema = schema
        self.many = many

        def dump(record):
            value = get(record)
            return None if value is None else schema.dump(value, many=many)
        super().__init__(dump, **kwargs)


@dataclass(frozen=True)
class Operation:
    """What ``@documented`` records on a view."""
    summary: str
    description: str = ""
    response: Schema | type[Schema] | None = None
    status: int = 200
    query: Schema | type[Schema] | None = None
    body: Schema | type[Schema] | None = None
    body_required: bool = True
    headers: Mapping[str, Mapping] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    example: Any = None                                  # a request body the endpoint accepts as is
    params: Mapping[str, str] = field(default_factory=dict)   # path parameter -> a value that works with it


def documented(summary: str | None = None, *, response=None, status: int = 200, query=None, body=None,
               body_required: bool = True, headers: Mapping[str, Mapping] | None = None,
               errors: tuple[int, ...] = (), example: Any = None, params: Mapping[str, str] | None = None):
    """Declare a view's contract for the OpenAPI document; the view itself is returned unchanged.

    ``response`` is the success body's schema (an instance with ``many=True`` for a bare list; ``None``
    for no body, as a 204); ``errors`` the statuses the view answers in the API's error shape beyond
    those every route can give (401 with auth, 404 with path parameters, 413 with a body).
    ``example`` is a request body the endpoint accepts as is and ``params`` path values to send it to, so
    Swagger's "Try it out" works; a documented example of the API (``fixtures/<api>/examples``) wins."""
    def decorate(view):
        lines = (view.__doc__ or "").strip().splitlines()
        # "GET /orders/{id}: the complete order." -> "The complete order."; the path is in the document.
        first = re.sub(r"^[A-Z]+ \S+( \([^)]*\))?: ", "", summary or (lines[0] if lines else view.__name__))
        view.openapi = Operation(first[:1].upper() + first[1:],
                                 " ".join(line.strip() for line in lines[1:]).strip(), response, status,
                                 query, body, body_required, dict(headers or {}), tuple(errors), example,
                                 dict(params or {}))
        return view
    return decorate


# -- building a document ---------------------------------------------------------------------------------
def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema")


def _converter_extensions(plugin) -> None:
    """Teach apispec our conventions: ``Derived`` fields and required ``*Out`` properties."""
    converter = plugin.converter

    def derived2properties(self, field_obj, ret, **kwargs):
        if not isinstance(field_obj, Derived):
            return {}
        nested = self.resolve_nested_schema(field_obj.documented_schema)
        shaped = {"type": "array", "items": nested} if field_obj.many else dict(nested)
        if field_obj.allow_none:
            return {"anyOf": [shaped, {"type": "null"}]}
        return shaped

    def declared2properties(self, field_obj, ret, **kwargs):
        # A custom field class documents its wire type once, in a class attribute ``openapi``;
        # a field's own metadata still wins.
        if isinstance(ret.get("type"), list):   # metadata's ["x", "null"] plus apispec's own "null"
            ret["type"] = list(dict.fromkeys(ret["type"]))
        declared = getattr(type(field_obj), "openapi", {})
        if declared.get("type") in ("integer", "number"):
            for bound in ("minimum", "maximum"):   # apispec writes a Range on a custom field as x-minimum
                if f"x-{bound}" in ret:
                    ret[bound] = ret.pop(f"x-{bound}")
        extra = {key: value for key, value in declared.items() if key not in field_obj.metadata}
        if field_obj.allow_none and "type" in extra:   # apispec's nullable step ran before this one
            types = extra["type"] if isinstance(extra["type"], list) else [extra["type"]]
            extra["type"] = list(dict.fromkeys([*types, "null"]))
        return extra

    converter.add_attribute_function(derived2properties)
    converter.add_attribute_function(declared2properties)
    plain = converter.schema2jsonschema

    def schema2jsonschema(schema):
        document = plain(schema)
        cls = schema if isinstance(schema, type) else type(schema)
        if cls.__name__.endswith("Out"):
            optional = set(getattr(getattr(cls, "Meta", None), "optional", ()))
            document["required"] = [name for name in document["properties"] if name not in optional]
        return document

    converter.schema2jsonschema = schema2jsonschema


def _openapi_path(rule: str) -> tuple[str, list[str]]:
    """``/orders/<order_id>`` -> (``/orders/{order_id}``, [``order_id``]); converters are dropped."""
    names = []

    def placeholder(match):
        names.append(match.group(1).split(":")[-1])
        return "{" + names[-1] + "}"
    return re.sub(r"<([^>]+)>", placeholder, rule), names


def _error_response(status: int, with_body: bool) -> dict:
    response: dict = {"description": HTTPStatus(status).phrase}
    if with_body:
        response["content"] = {JSON: {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
    return response


@dataclass(frozen=True)
class Example:
    """A request an endpoint accepts as is: its body and the path values it is sent to."""
    body: Any = None
    params: Mapping[str, str] = field(default_factory=dict)


def _operation(endpoint: str, op: Operation, path_params: list[str], *, authenticated: bool,
               has_error_schema: bool, example: Example | None = None) -> dict:
    success: dict = {"description": HTTPStatus(op.status).phrase}
    if op.response is not None:
        success["content"] = {JSON: {"schema": op.response}}
    if op.headers:
        success["headers"] = {name: dict(header) for name, header in op.headers.items()}
    responses = {str(op.status): success}
    statuses = set(op.errors) | ({401} if authenticated else set()) | ({404} if path_params else set())
    if op.body is not None:
        statuses.add(413)
    for status in sorted(statuses):
        responses[str(status)] = _error_response(status, has_error_schema)
    operation = {"operationId": endpoint.split(".")[-1], "summary": op.summary, "responses": responses}
    if op.description:
        operation["description"] = op.description
    example = example or Example(op.example, op.params)
    parameters: list[dict] = []
    for name in path_params:
        parameter = {"in": "path", "name": name, "required": True, "schema": dict(PATH_PARAMETER)}
        if name in example.params:
            parameter["example"] = example.params[name]
        parameters.append(parameter)
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        media: dict = {"schema": op.body}
        if example.body is not None:
            media["example"] = example.body
        operation["requestBody"] = {"required": op.body_required, "content": {JSON: media}}
    return operation


def build(app, *, blueprint: str, prefix: str, title: str, version: str, description: str = "",
          servers: list[dict] | None = None, error_schema=None, security_schemes: Mapping[str, dict] | None = None,
          security: list[dict] | None = None, examples: Mapping[str, Example] | None = None) -> dict:
    """The OpenAPI document of one blueprint's routes, with paths relative to ``prefix``; ``examples``
    (endpoint -> Example) win over the ``example``/``params`` of ``@documented``."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    info = {"description": description} if description else {}
    spec = APISpec(title=title, version=version, openapi_version=OPENAPI_VERSION, plugins=[plugin],
                   servers=servers or [], info=info)
    _converter_extensions(plugin)
    if error_schema is not None:
        spec.components.schema(ERROR_COMPONENT, schema=error_schema)
    for name, scheme in (security_schemes or {}).items():
        spec.components.security_scheme(name, dict(scheme))
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.split(".")[0] != blueprint:
            continue
        op = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if op is None:
            raise LookupError(f"{rule.endpoint} ({rule.rule}) has no @documented contract")
        path, params = _openapi_path(rule.rule[len(prefix):] or "/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                rule.endpoint, op, params, authenticated=bool(security), has_error_schema=error_schema is not None,
                example=(examples or {}).get(rule.endpoint))
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    if security:
        document["security"] = security
    return document


# -- what the registry knows about an API ----------------------------------------------------------------
def security_scheme(credential) -> tuple[str, dict]:
    """An ``Auth`` credential as an OpenAPI security scheme (name, scheme)."""
    if credential.scheme:
        word = credential.scheme.lower()
        return f"{word}Auth", {"type": "http", "scheme": word}
    return credential.header, {"type": "apiKey", "in": "header", "name": credential.header}


def security_of(auth) -> tuple[dict[str, dict], list[dict]]:
    """Every requirement must be met, each by one of its credentials: the OR of every combination."""
    schemes: dict[str, dict] = {}
    named = []
    for alternatives in auth.requirements:
        names = []
        for credential in alternatives:
            name, scheme = security_scheme(credential)
            schemes[name] = scheme
            names.append(name)
        named.append(names)
    return schemes, [{name: [] for name in combination} for combination in product(*named)]


def documented_examples(app, spec) -> dict[str, Example]:
    """endpoint -> the API's documented example for it (``fixtures/<api>/examples``), where the example is
    a request that works on the seeded state as is (one with ``given`` steps needs another request first)."""
    from sandbox.core.examples import load_examples

    adapter = app.url_map.bind("localhost")
    found: dict[str, Example] = {}
    for example in load_examples(spec.name):
        request = example["request"]
        if example.get("given"):
            continue
        endpoint, params = adapter.match(spec.url_prefix + request["path"].split("?")[0], method=request["method"])
        found.setdefault(endpoint, Example(request.get("body"), {name: str(value) for name, value in params.items()}))
    return found


def api_document(app, spec, base_url: str) -> dict:
    """One emulated API's document. ``servers`` is the base URL the README gives clients
    (``ApiSpec.client_base``) and the paths are the vendor's own below it: mittwald's ``/v2/customers/...``
    under ``.../mittwald`` as mittwald's spec has them under ``https://api.mittwald.de``, so a client
    generated from it reaches the real API by changing only its base URL."""
    from sandbox import __version__

    schemes, security = security_of(spec.auth)
    return build(app, blueprint=spec.blueprint.name, prefix=spec.client_base, title=spec.title or spec.name,
                 version=__version__, description=spec.docs or f"The sandbox's emulation of {spec.name}.",
                 servers=[{"url": base_url.rstrip("/") + spec.client_base}], error_schema=spec.error_schema,
                 security_schemes=schemes, security=security, examples=documented_examples(app, spec))


# -- serving ---------------------------------------------------------------------------------------------
BLUEPRINT = "openapi"


def is_document_request(req) -> bool:
    """A fetch of an OpenAPI document: the sandbox's own, so the journal leaves it out (the docs page fetches
    ``<mount>/openapi.json`` on every visit, which would pollute an API's journal on a shared server)."""
    return req.blueprint == BLUEPRINT


def init_app(app, control_document: Callable[[Any, str], dict]) -> None:
    """``GET <mount>/openapi.json`` for every API (no auth: a client reads it before it has a token) and
    ``GET /__sandbox/openapi.json`` for the control plane. Each document is built once per app, with
    server paths only; the host the client used is put in front of them on every request."""
    from flask import Blueprint, request

    box = app.extensions["sandbox"]
    cache: dict[str, dict] = {}
    bp = Blueprint(BLUEPRINT, __name__)

    def serve(name: str, make: Callable[[Any, str], dict]):
        def view():
            if name not in cache:
                cache[name] = make(app, "")
            document = cache[name]
            host = request.host_url.rstrip("/")
            return {**document, "servers": [{**server, "url": host + server["url"]} for server in document["servers"]]}
        view.__name__ = name
        return view

    for spec in box.apis.values():
        bp.add_url_rule(f"{spec.mount}/openapi.json", endpoint=spec.name, methods=["GET"],
                        view_func=serve(spec.name, lambda app_, url, spec=spec: api_document(app_, spec, url)))
    bp.add_url_rule("/__sandbox/openapi.json", endpoint="control", methods=["GET"],
                    view_func=serve("control", control_document))
    app.register_blueprint(bp)


def envelope(name: str, **declared: fields.Field) -> Schema:
    """A schema for a body that wraps ``*Out`` schemas (``{"data": ...}``), for documents only."""
    return Schema.from_dict(declared, name=name)()
