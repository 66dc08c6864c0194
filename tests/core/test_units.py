"""Clock, randomness, fixtures, auth, validation, pagination and transitions as units."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from marshmallow import Schema, fields

from sandbox.core import errors, laravel
from sandbox.core.auth import Auth, Credential
from sandbox.core.clock import Clock
from sandbox.core.fake import faker_for
from sandbox.core.fixtures import fixtures_root, load_fixtures
from sandbox.core.pagination import paginate
from sandbox.core.transitions import Transitions
from sandbox.core.validation import load, parse_json_body
from sandbox.registry import APIS


class TestClock:
    def test_runs_in_utc_by_default(self):
        assert abs((Clock().now() - datetime.now(timezone.utc)).total_seconds()) < 5

    def test_freeze_advance_unfreeze(self):
        clock = Clock()
        clock.freeze(datetime(2025, 3, 31, 9, 0))
        assert clock.now() == datetime(2025, 3, 31, 9, 0, tzinfo=timezone.utc) and clock.frozen
        clock.advance(90)
        assert clock.now() == datetime(2025, 3, 31, 9, 1, 30, tzinfo=timezone.utc)
        clock.unfreeze()
        assert not clock.frozen and clock.now().year >= 2026

    def test_advance_a_running_clock(self):
        clock = Clock()
        clock.advance(86400)
        assert (clock.now() - datetime.now(timezone.utc)).total_seconds() > 86000


def test_faker_is_deterministic_per_api_and_seed():
    assert faker_for("appx", 42).name() == faker_for("appx", 42).name()
    assert faker_for("appx", 42).pystr() != faker_for("shop", 42).pystr()
    assert faker_for("appx", 42).pystr() != faker_for("appx", 43).pystr()


def test_every_registered_api_has_fixtures_and_examples():
    for api in APIS:
        assert load_fixtures(api), api
        assert (fixtures_root() / api / "examples").is_dir(), api


class TestAuth:
    shop_like = Auth.of(Credential("Authorization", "Bearer"), Credential("X-API-Key"))
    either = Auth.of([Credential("x-access-token"), Credential("Authorization", "Bearer")])

    def test_all_requirements_must_be_met(self):
        assert self.shop_like.authenticate({"Authorization": "Bearer t", "X-API-Key": "k"}) == ("t", "k")
        with pytest.raises(errors.Unauthorized, match="X-API-Key"):
            self.shop_like.authenticate({"Authorization": "Bearer t"})

    def test_any_alternative_meets_a_requirement(self):
        assert self.either.authenticate({"x-access-token": "a"}) == ("a",)
        assert self.either.authenticate({"Authorization": "bearer b"}) == ("b",)
        with pytest.raises(errors.Unauthorized):
            self.either.authenticate({"Authorization": "Basic b"})

    def test_a_configured_list_is_strict(self):
        with pytest.raises(errors.Unauthorized):
            self.either.authenticate({"x-access-token": "a"}, accepted=["b"])


class InSchema(Schema):
    quantity = fields.Integer(required=True)


class TestValidation:
    def test_malformed_json_is_a_bad_request(self):
        with pytest.raises(errors.BadRequest):
            parse_json_body(b"{nope")

    def test_empty_body_is_an_empty_object_unless_required(self):
        assert parse_json_body(b"") == {}
        with pytest.raises(errors.BadRequest):
            parse_json_body(b"  ", required=True)

    def test_schema_failures_become_invalid_with_field_details(self):
        with pytest.raises(errors.Invalid) as caught:
            load(InSchema(), {"quantity": "many"})
        assert caught.value.details == {"quantity": ["Not a valid integer."]}

    def test_a_body_that_is_not_an_object_is_refused(self):
        with pytest.raises(errors.BadRequest):
            load(InSchema(), [1, 2])


def test_paginate_does_not_clamp():
    page = paginate(list(range(40)), 3, 15)
    assert (page.items, page.total, page.last_page, page.first_item, page.last_item) == (
        list(range(30, 40)), 40, 3, 31, 40)
    empty = paginate([], 1, 15)
    assert (empty.last_page, empty.first_item, empty.last_item) == (1, None, None)
    assert paginate(list(range(40)), 9, 15).items == []


class TestLaravel:
    @pytest.mark.parametrize("raw,page", [("3", 3), (" 2 ", 2), ("+4", 4), ("0", 1), ("-1", 1), ("x", 1),
                                          (None, 1), ("07", 1), ("2.0", 1)])
    def test_current_page(self, raw, page):
        assert laravel.current_page(raw) == page

    @pytest.mark.parametrize("current,last,expected", [
        (1, 3, [(1, 2, 3)]),
        (1, 20, [tuple(range(1, 11)), "...", (19, 20)]),
        (10, 20, [(1, 2), "...", tuple(range(7, 14)), "...", (19, 20)]),
        (18, 20, [(1, 2), "...", tuple(range(11, 21))]),
    ])
    def test_url_window_matches_laravel(self, current, last, expected):
        assert laravel.url_window(paginate(list(range(last * 15)), current, 15)) == expected

    def test_validation_summary(self):
        assert laravel.validation_message({"a": ["A."], "b": ["B.", "C."]}) == "A. (and 2 more errors)"
        assert laravel.validation_message({"a": ["A."], "b": ["B."]}) == "A. (and 1 more error)"


def test_transitions_refuse_what_the_table_lacks():
    flow = Transitions({"pending": {"cancelled"}, "cancelled": set()})
    flow.check("pending", "cancelled")
    with pytest.raises(errors.Conflict, match="cancelled"):
        flow.check("cancelled", "cancelled")
    with pytest.raises(errors.Invalid):
        flow.check("cancelled", "pending", error=errors.Invalid("no"))


def test_new_uuid_is_a_random_version_4_uuid_in_its_canonical_text():
    import uuid
    from collections import Counter

    from sandbox.core.fake import new_uuid

    made = [new_uuid() for _ in range(4000)]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    # every other digit is random: the variant digit takes each of its four values, the rest all sixteen
    assert set(Counter(text[19] for text in made)) == set("89ab")
    assert all(len({text[i] for text in made}) == 16 for i in range(36) if i not in (8, 13, 14, 18, 19, 23))
