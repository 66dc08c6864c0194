"""Which shop user a Bearer token names. A Laravel shop resolves its Sanctum token to a user; the sandbox has
no login, so ``SHOP_USERS`` maps chosen tokens to user ids, ``sandbox-user-<id>`` names user ``<id>`` (what the
dashboard sends for another user's order), and any other token is the docs' user 1."""

from __future__ import annotations

import re
from typing import Any, Mapping

from .states import DEFAULT_USER_ID

USER_TOKEN = re.compile(r"sandbox-user-([1-9][0-9]{0,8})")


def user_for_token(token: str, users: Mapping[str, int]) -> int:
    if token in users:
        return int(users[token])
    named = USER_TOKEN.fullmatch(token)
    return int(named[1]) if named else DEFAULT_USER_ID


def token_for_user(user_id: int, users: Mapping[str, int]) -> str:
    """A token that names ``user_id``: one configured for it in ``SHOP_USERS`` first."""
    return next((token for token, user in users.items() if int(user) == int(user_id)), f"sandbox-user-{user_id}")


def dashboard_token(order: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """The token the dashboard sends for an order: its owner's, so every order can be read and changed."""
    return token_for_user(order["user_id"], config.get("SHOP_USERS") or {})
