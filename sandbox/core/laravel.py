"""Laravel's conventions, shared by the two Laravel APIs (appx, shop).

Sources (laravel/framework): ``Foundation/Exceptions/Handler.php`` (JSON error bodies),
``Pagination/LengthAwarePaginator.php`` and ``Pagination/UrlWindow.php`` (paginated resources),
``Validation/ValidationException.php`` (the 422 summary message).
"""

from __future__ import annotations

from typing import Iterable
from urllib.parse import parse_qsl

from marshmallow import Schema, fields

from sandbox.core import errors
from sandbox.core.openapi import envelope
from sandbox.core.pagination import Page
from sandbox.core.php import filter_validate_int, parse_str, php_number  # noqa: F401 (php_number: re-exported)
from sandbox.core.validation import parse_json_body

PREVIOUS_LABEL = "« Previous"   # stock Laravel writes "&laquo; Previous"; the seed shows this, we follow the seed
NEXT_LABEL = "Next »"
ON_EACH_SIDE = 3


def query_value(args, name: str):
    """A query parameter (``args``: werkzeug's MultiDict) as ``$request->query($name)`` reads it from PHP's
    ``$_GET``: the last of repeated values (``?page=2&page=3`` is page 3), an array for ``page[]=`` (which no
    integer filter passes), None when absent."""
    return parse_str(args.items(multi=True)).get(name)


def current_page(raw) -> int:
    """``LengthAwarePaginator::resolveCurrentPage``: ``filter_var($page, FILTER_VALIDATE_INT) !== false``
    and ``>= 1``, otherwise 1 (never an error); a page beyond PHP's integers fails the filter, so page 1."""
    value = filter_validate_int(raw) if isinstance(raw, str) else None
    return value if value is not None and value >= 1 else 1


def is_json(content_type: str) -> bool:
    """``Request::isJson()``: the Content-Type contains ``/json`` or ``+json``."""
    return "/json" in content_type or "+json" in content_type


def write_input(method: str, content_type: str, raw: bytes, form: Iterable[tuple[str, str]] = ()) -> dict:
    """``$request->all()`` of a write, as Laravel's ``getInputSource`` picks it: the JSON body only when
    ``isJson()`` (malformed JSON, or JSON that is no object, is no input); otherwise the form fields PHP and
    Symfony parse (urlencoded for POST/PUT/PATCH/DELETE, multipart for POST only: ``form`` is werkzeug's
    parse of it), as ``parse_str`` nests them; any other body is no input at all."""
    media = content_type.split(";", 1)[0].strip().lower()
    if is_json(content_type.lower()):
        try:
            data = parse_json_body(raw)
        except errors.BadRequest:
            return {}
        return data if isinstance(data, dict) else {}
    if media == "application/x-www-form-urlencoded" and method in ("POST", "PUT", "PATCH", "DELETE"):
        return parse_str(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if media == "multipart/form-data" and method == "POST":
        return parse_str(form)
    return {}


def model_not_found(model: str, record_id) -> errors.NotFound:
    return errors.NotFound(f"No query results for model [App\\Models\\{model}] {record_id}")


def validation_message(details: dict[str, list[str]]) -> str:
    """``ValidationException::summarize``: the first message, plus "(and N more error[s])"."""
    messages = [m for ms in details.values() for m in ms]
    if not messages:
        return "The given data was invalid."
    first, more = messages[0], len(messages) - 1
    if more:
        first += f" (and {more} more error{'s' if more > 1 else ''})"
    return first


def render_error(err: errors.SandboxError) -> tuple[dict, int]:
    """Laravel's JSON exception rendering with APP_DEBUG off."""
    if isinstance(err, errors.RouteNotFound):
        return {"message": f"The route {err.path.strip('/') or '/'} could not be found."}, 404
    if isinstance(err, errors.MethodNotAllowed):
        return {"message": f"The {err.method} method is not supported for route {err.path.strip('/')}. "
                           f"Supported methods: {', '.join(err.allowed)}."}, 405
    if isinstance(err, errors.Unauthorized):
        return {"message": "Unauthenticated."}, 401
    if isinstance(err, errors.Invalid):
        return {"message": validation_message(err.details) if err.details else err.message,
                "errors": err.details}, 422
    if isinstance(err, errors.InternalError):
        return {"message": "Server Error"}, 500
    return {"message": err.message}, err.status


def url_window(page: Page) -> list[tuple[int, ...] | str]:
    """``UrlWindow::get`` + ``LengthAwarePaginator::elements``: page ranges with "..." between them."""
    last, current = page.last_page, page.page
    if last < ON_EACH_SIDE * 2 + 8:
        return [tuple(range(1, last + 1))]
    window = ON_EACH_SIDE + 4
    start, finish = (1, 2), (last - 1, last)
    if current <= window:
        return [tuple(range(1, window + ON_EACH_SIDE + 1)), "...", finish]
    if current > last - window:
        return [start, "...", tuple(range(last - (window + (ON_EACH_SIDE - 1)), last + 1))]
    return [start, "...", tuple(range(current - ON_EACH_SIDE, current + ON_EACH_SIDE + 1)), "...", finish]


def paginated(data: list, page: Page, path_url: str) -> dict:
    """A paginated resource collection: ``data``, ``links``, ``meta`` exactly as Laravel renders them."""
    def url(number: int) -> str:
        return f"{path_url}?page={number}"

    prev_url = url(page.page - 1) if page.page > 1 else None
    next_url = url(page.page + 1) if page.page < page.last_page else None
    links = [{"url": prev_url, "label": PREVIOUS_LABEL, "active": False}]
    for element in url_window(page):
        if element == "...":
            links.append({"url": None, "label": "...", "active": False})
        else:
            links.extend({"url": url(n), "label": str(n), "active": n == page.page} for n in element)
    links.append({"url": next_url, "label": NEXT_LABEL, "active": False})
    return {
        "data": data,
        "links": {"first": url(1), "last": url(page.last_page), "prev": prev_url, "next": next_url},
        "meta": {
            "current_page": page.page,
            "from": page.first_item,
            "last_page": page.last_page,
            "links": links,
            "path": path_url,
            "per_page": page.per_page,
            "to": page.last_item,
            "total": page.total,
        },
    }


def timestamp(moment) -> str:
    """An Eloquent timestamp as JSON: ``2025-12-17T12:03:59.000000Z`` (MySQL keeps whole seconds). isoformat, not
    strftime: half the cost on an aware datetime; the same text for the clock's four-digit years."""
    return moment.isoformat("T", "seconds")[:19] + ".000000Z"


# -- the shapes above, for the OpenAPI documents ------------------------------------------------------------
class LaravelErrorOut(Schema):
    """``render_error``'s body: a message, and per-field messages on a 422."""
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))

    class Meta:
        optional = ("errors",)


class PageLinkOut(Schema):
    url = fields.String(allow_none=True)
    label = fields.String()
    active = fields.Boolean()


class PageLinksOut(Schema):
    first = fields.String()
    last = fields.String()
    prev = fields.String(allow_none=True)
    next = fields.String(allow_none=True)


class PageMetaOut(Schema):
    current_page = fields.Integer()
    from_ = fields.Integer(data_key="from", allow_none=True)
    last_page = fields.Integer()
    links = fields.List(fields.Nested(PageLinkOut))
    path = fields.String()
    per_page = fields.Integer()
    to = fields.Integer(allow_none=True)
    total = fields.Integer()


def paginated_out(name: str, item: Schema) -> Schema:
    """The document schema of ``paginated``'s body around ``item``."""
    return envelope(name, data=fields.List(fields.Nested(item)), links=fields.Nested(PageLinksOut),
                    meta=fields.Nested(PageMetaOut))


class PageQueryIn(Schema):
    """``?page=N``: any value is read (``current_page``), a bad one as page 1."""
    page = fields.String(metadata={"description": "The page, 1 when missing or not a whole number of 1 or more."})
