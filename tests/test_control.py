"""The control plane through HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import APIS


def test_health_lists_every_api(client):
    body = client.get("/__sandbox/health").get_json()
    assert body["status"] == "ok" and list(body["apis"]) == list(APIS)


def test_reset_one_api_leaves_the_others(client, box):
    first, *others = APIS
    for name in APIS:
        with box.store.state(name).transaction() as state:
            table = next(iter(state.tables.values()))
            table.delete(table.all()[0][table.key])
    changed = {name: box.store.state(name).export() for name in APIS}
    response = client.post(f"/__sandbox/reset?api={first}")
    assert response.status_code == 200 and response.get_json() == {"reset": [first], "session": "default"}
    assert box.store.state(first).export() == box.store.seeded(first).export()
    for name in others:
        assert box.store.state(name).export() == changed[name]


def test_reset_of_an_unknown_api_is_404_and_resets_nothing(client):
    response = client.post("/__sandbox/reset?api=nope")
    assert response.status_code == 404 and "nope" in response.get_json()["message"]


def test_reset_is_post_only(client):
    assert client.get("/__sandbox/reset").status_code == 405


# The control plane works the same for every API; appx's read endpoints make the requests here, and the
# registry loops make sure every API's state takes part.
APPX = {"Authorization": "Bearer t"}
ORDER = "/appx/api/v1/orders/15"


def delete_first_record(box, api, session="default"):
    with box.store.state(api, session).transaction() as state:
        table = next(iter(state.tables.values()))
        table.delete(table.all()[0][table.key])


class TestState:
    def test_export_covers_every_api_and_table(self, client, box):
        body = client.get("/__sandbox/state").get_json()
        assert list(body["apis"]) == list(APIS)
        for api in APIS:
            assert body["apis"][api] == box.store.state(api).export()

    def test_export_one_api(self, client):
        assert list(client.get(f"/__sandbox/state?api={APIS[0]}").get_json()["apis"]) == [APIS[0]]

    def test_import_round_trips(self, client, box):
        document = client.get("/__sandbox/state").get_json()
        for api in APIS:
            delete_first_record(box, api)
        response = client.put("/__sandbox/state", json=document)
        assert response.status_code == 200 and response.get_json()["replaced"] == list(APIS)
        assert client.get("/__sandbox/state").get_json() == document

    def test_import_replaces_only_the_apis_given(self, client, box):
        api = APIS[0]
        exported = box.store.state(api).export()
        table, records = next(iter(exported.items()))
        client.put("/__sandbox/state", json={"apis": {api: {table: records[:1]}}})
        assert len(box.store.state(api)[table]) == 1

    @pytest.mark.parametrize("document", [
        [], {"apis": []}, {"apis": {}}, {"apis": {"nope": {}}}, {"apis": {"appx": {"nope": []}}},
        {"apis": {"appx": {"orders": [{"no-id": 1}]}}}, {"apis": {"appx": {"orders": [{"id": 1}, {"id": 1}]}}},
        {"apis": {"appx": {"orders": "x"}}}, {"apis": {"slyk": {"orders": [{"id": "x1"}]}}},
        {"apis": {"shop": {"orders": [{"id": 1, "status": "pending"}]}}},
    ])
    def test_a_bad_document_is_400_and_changes_nothing(self, client, document):
        before = client.get("/__sandbox/state").get_json()
        response = client.put("/__sandbox/state", json=document)
        assert response.status_code == 400 and response.get_json()["message"]
        assert client.get("/__sandbox/state").get_json() == before

    def test_malformed_json_is_400(self, client):
        response = client.put("/__sandbox/state", data="{nope", content_type="application/json")
        assert response.status_code == 400 and response.get_json()["error"] == "BadRequest"


class TestSnapshots:
    def test_save_change_restore(self, client, box):
        assert client.post("/__sandbox/snapshots/before").status_code == 201
        saved = client.get("/__sandbox/state").get_json()
        for api in APIS:
            delete_first_record(box, api)
        assert client.post("/__sandbox/snapshots/before/restore").status_code == 200
        assert client.get("/__sandbox/state").get_json() == saved
        listed = client.get("/__sandbox/snapshots").get_json()["snapshots"]
        assert [s["name"] for s in listed] == ["before"] and listed[0]["apis"] == list(APIS)

    def test_unknown_snapshot_is_404(self, client):
        assert client.post("/__sandbox/snapshots/nope/restore").status_code == 404
        assert client.delete("/__sandbox/snapshots/nope").status_code == 404

    def test_delete(self, client):
        client.post("/__sandbox/snapshots/x")
        assert client.delete("/__sandbox/snapshots/x").status_code == 204
        assert client.get("/__sandbox/snapshots").get_json() == {"snapshots": []}


class TestJournal:
    def test_records_requests_with_masked_auth(self, client):
        client.get(ORDER, headers={"Authorization": "Bearer secret-token"})
        client.get("/appx/api/v1/orders/nope?x=1", headers=APPX)
        client.get("/__sandbox/health")
        entries = client.get("/__sandbox/requests").get_json()["requests"]
        assert [(e["method"], e["path"], e["status"]) for e in entries] == [
            ("GET", ORDER, 200), ("GET", "/appx/api/v1/orders/nope", 404)]
        first = entries[0]
        assert first["api"] == "appx" and first["headers"]["Authorization"] == "Bearer ***"
        assert "secret-token" not in str(entries)
        assert first["response"]["data"]["id"] == 15 and first["duration_ms"] >= 0
        assert entries[1]["query"] == {"x": ["1"]}
        assert entries[1]["seq"] > entries[0]["seq"]

    def test_filters(self, client):
        client.get(ORDER, headers=APPX)
        client.get(ORDER)
        client.post(ORDER, headers=APPX)
        def paths(query):
            return [(e["method"], e["status"]) for e in client.get(f"/__sandbox/requests?{query}").get_json()["requests"]]
        assert paths("status=401") == [("GET", 401)]
        assert paths("method=post") == [("POST", 405)]
        assert paths("path=/appx/*/orders/1*") == [("GET", 200), ("GET", 401), ("POST", 405)]
        assert paths("api=nope") == []
        first = client.get("/__sandbox/requests").get_json()["requests"][0]["seq"]
        assert len(paths(f"since={first}")) == 2
        assert paths("limit=1") == [("POST", 405)]

    def test_bad_filters_are_400(self, client):
        assert client.get("/__sandbox/requests?status=abc").status_code == 400
        assert client.get("/__sandbox/requests?since=yesterday").status_code == 400
        assert client.get("/__sandbox/requests?limit=abc").status_code == 400
        assert client.get("/__sandbox/requests?limit=-1").status_code == 400

    def test_clear_and_bound(self):
        from sandbox import create_app
        from sandbox.config import TEST_CONFIG
        client = create_app({**TEST_CONFIG, "JOURNAL_SIZE": 3}).test_client()
        for _ in range(5):
            client.get(ORDER, headers=APPX)
        assert client.get("/__sandbox/requests").get_json()["total"] == 3
        assert client.delete("/__sandbox/requests").get_json() == {"deleted": 3}
        assert client.get("/__sandbox/requests").get_json()["total"] == 0


class TestFaults:
    def test_forced_error_in_the_api_shape_fires_times_then_stops(self, client):
        rule = client.post("/__sandbox/faults", json={"api": "appx", "path": "*/orders/*", "status": 503,
                                                      "times": 2}).get_json()
        for _ in range(2):
            response = client.get(ORDER, headers=APPX)
            assert response.status_code == 503 and set(response.get_json()) == {"message"}
            assert response.headers["X-Sandbox-Fault"] == str(rule["id"])
        assert client.get(ORDER, headers=APPX).status_code == 200
        assert client.get("/__sandbox/faults").get_json()["faults"][0]["fired"] == 2

    def test_a_forced_429_carries_retry_after_in_the_api_format(self, client, box):
        from datetime import datetime, timezone
        box.clock.freeze(datetime(2025, 1, 15, 9, 0, tzinfo=timezone.utc))
        client.post("/__sandbox/faults", json={"status": 429})
        assert client.get(ORDER, headers=APPX).headers["Retry-After"] == "1"
        formations = client.get("/formations/orders", headers={"Authorization": "Basic k"})
        assert formations.status_code == 429 and formations.headers["Retry-After"] == "20250115090001"

    def test_custom_body_method_and_path_matching(self, client):
        client.post("/__sandbox/faults", json={"method": "GET", "path": "/api/v1/customers/*", "status": 500,
                                               "body": {"custom": True}})
        assert client.get(ORDER, headers=APPX).status_code == 200
        response = client.get("/appx/api/v1/customers/1/orders", headers=APPX)
        assert response.status_code == 500 and response.get_json() == {"custom": True}

    def test_a_pure_delay_lets_the_request_through(self, client):
        client.post("/__sandbox/faults", json={"delay_ms": 30})
        response = client.get(ORDER, headers=APPX)
        assert response.status_code == 200
        entry = client.get("/__sandbox/requests").get_json()["requests"][-1]
        assert entry["duration_ms"] >= 30

    def test_probability_is_repeatable_under_the_seed(self):
        from sandbox import create_app
        from sandbox.config import TEST_CONFIG
        def pattern():
            client = create_app(TEST_CONFIG).test_client()
            client.post("/__sandbox/faults", json={"status": 500, "probability": 0.5})
            return [client.get(ORDER, headers=APPX).status_code for _ in range(20)]
        first = pattern()
        assert first == pattern() and {200, 500} == set(first)

    def test_probability_does_not_depend_on_rules_that_came_and_went_before(self, client):
        def pattern():
            client.post("/__sandbox/faults", json={"status": 500, "probability": 0.5})
            seen = [client.get(ORDER, headers=APPX).status_code for _ in range(20)]
            client.delete("/__sandbox/faults")
            return seen
        first = pattern()
        client.post("/__sandbox/faults", json={"delay_ms": 1, "times": 1, "api": "shop"})
        client.delete("/__sandbox/faults")
        assert pattern() == first

    def test_clear(self, client):
        client.post("/__sandbox/faults", json={"status": 500})
        assert client.delete("/__sandbox/faults").status_code == 204
        assert client.get(ORDER, headers=APPX).status_code == 200

    @pytest.mark.parametrize("rule", [{}, {"status": 999}, {"status": 200}, {"status": 302}, {"api": "nope", "status": 500}, {"status": "500"},
                                      {"delay_ms": -1}, {"times": 0, "status": 500}, {"probability": 2, "status": 500},
                                      {"status": 500, "colour": "red"}, [1]])
    def test_bad_rules_are_400(self, client, rule):
        response = client.post("/__sandbox/faults", json=rule)
        assert response.status_code == 400 and response.get_json()["details"]
        assert client.get("/__sandbox/faults").get_json() == {"faults": []}


class TestClock:
    def test_freeze_advance_and_return_to_real_time(self, client, box):
        assert client.put("/__sandbox/clock", json={"now": "2025-03-31T09:00:00Z"}).get_json() == {
            "now": "2025-03-31T09:00:00Z", "frozen": True}
        assert box.clock.now().isoformat() == "2025-03-31T09:00:00+00:00"
        assert client.put("/__sandbox/clock", json={"advance_seconds": 3600}).get_json()["now"] == "2025-03-31T10:00:00Z"
        assert client.delete("/__sandbox/clock").get_json()["frozen"] is False
        assert client.get("/__sandbox/clock").get_json()["now"] >= "2026"

    @pytest.mark.parametrize("body", [{}, {"now": "yesterday"}, {"advance_seconds": "10"}, {"advance_seconds": True},
                                      {"advance_seconds": 1e308}, {"now": "0001-01-01T00:00:00Z"},
                                      {"now": "9999-12-31T23:59:59Z"}, {"now": "2025-01-01T00:00:00Z", "advance_seconds": -1e12}])
    def test_bad_clock_requests_are_400(self, client, body):
        assert client.put("/__sandbox/clock", json=body).status_code == 400


class TestSessions:
    def test_a_session_sees_its_own_state(self, client, box):
        job = {"X-Sandbox-Session": "job-1"}
        for api in APIS:
            delete_first_record(box, api, "job-1")
        assert client.get("/__sandbox/state", headers=job).get_json()["apis"] != client.get("/__sandbox/state").get_json()["apis"]
        client.post("/__sandbox/reset", headers=job)
        assert client.get("/__sandbox/state", headers=job).get_json()["apis"] == client.get("/__sandbox/state").get_json()["apis"]

    def test_journal_and_faults_are_per_session(self, client):
        job = {"X-Sandbox-Session": "job-2", **APPX}
        client.post("/__sandbox/faults", json={"status": 500}, headers=job)
        assert client.get(ORDER, headers=job).status_code == 500
        assert client.get(ORDER, headers=APPX).status_code == 200
        assert client.get("/__sandbox/requests", headers=job).get_json()["total"] == 1
        assert client.get("/__sandbox/requests").get_json()["total"] == 1

    def test_list_and_drop(self, client):
        client.get(ORDER, headers={"X-Sandbox-Session": "job-3", **APPX})
        assert client.get("/__sandbox/sessions").get_json()["sessions"] == ["default", "job-3"]
        assert client.delete("/__sandbox/sessions/job-3").status_code == 204
        assert client.delete("/__sandbox/sessions/default").status_code == 404

    def test_a_bad_session_name_is_400_in_the_api_shape(self, client):
        response = client.get(ORDER, headers={"X-Sandbox-Session": "no spaces/allowed", **APPX})
        assert response.status_code == 400 and set(response.get_json()) == {"message"}


class TestAdminToken:
    def make(self, **config):
        from sandbox import create_app
        from sandbox.config import TEST_CONFIG
        return create_app({**TEST_CONFIG, **config}).test_client()

    def test_remote_clients_need_the_token_when_one_is_set(self):
        client = self.make(ADMIN_TOKEN="s3cret")
        remote = {"REMOTE_ADDR": "10.1.2.3"}
        assert client.post("/__sandbox/reset", environ_base=remote).status_code == 401
        assert client.post("/__sandbox/reset", environ_base=remote,
                           headers={"X-Sandbox-Admin-Token": "s3cret"}).status_code == 200
        assert client.get("/__sandbox/health", environ_base=remote).status_code == 200
        assert client.post("/__sandbox/reset").status_code == 200, "loopback needs no token"

    def test_without_a_token_remote_clients_are_served(self):
        assert self.make().post("/__sandbox/reset", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
