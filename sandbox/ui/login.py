"""``/__sandbox/login``: a browser hands over the admin token once and carries a cookie from then on.

A browser cannot add ``X-Sandbox-Admin-Token`` to a link or a page load, so with ``SANDBOX_ADMIN_TOKEN`` set a
browser outside loopback (the host of a container) could never open the dashboard. The form posts the token;
if it matches, the answer sets an HttpOnly, SameSite=Strict cookie (a value derived from the token, not the
token) that ``sandbox.trust.guard`` accepts like the header. The page stands alone (its style inline): with a
token set, even the dashboard's assets need the cookie.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request

from sandbox import trust
from sandbox.core import errors

bp = Blueprint("sandbox_login", __name__, url_prefix="/__sandbox", template_folder="templates")


def _page(status: int = 200, failed: bool = False):
    limits = trust.boundary()
    body = render_template("sandbox_login/login.html", next=trust.safe_next(request.values.get("next")),
                           needed=limits.token is not None, failed=failed)
    return body, status, {"Cache-Control": "no-store"}


@bp.get("/login")
def form():
    """GET /__sandbox/login[?next=PATH]: the form."""
    return _page()


@bp.post("/login")
def submit():
    """POST /__sandbox/login (form field or JSON ``token``): 303 to ``next`` with the cookie, or 401."""
    limits = trust.boundary()
    target = trust.safe_next(request.values.get("next"))
    if limits.token is None:
        return redirect(target, 303)        # nothing to log into: every page is open to this client already
    as_form = request.mimetype != "application/json"
    if as_form:
        token = request.form.get("token")
    else:
        body = request.get_json(silent=True)
        token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not limits.token_matches(trust._token_bytes(token)):
        if as_form:
            return _page(401, failed=True)
        raise errors.Unauthorized("That is not the sandbox's admin token.", rule=trust.ADMIN_TOKEN)
    response = redirect(target, 303)
    response.set_cookie(trust.ADMIN_COOKIE, limits.cookie.decode(), httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")
    return response


@bp.post("/logout")
def logout():
    """POST /__sandbox/logout: forget the cookie."""
    response = redirect(trust.LOGIN_PATH, 303)
    response.delete_cookie(trust.ADMIN_COOKIE, path="/", httponly=True, samesite="Strict")
    return response


def init_app(app) -> None:
    app.register_blueprint(bp)
