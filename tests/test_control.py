"""The control plane through HTTP."""

from __future__ import annotations

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
    assert response.status_code == 200 and response.get_json() == {"reset": [first]}
    assert box.store.state(first).export() == box.store.seeded(first).export()
    for name in others:
        assert box.store.state(name).export() == changed[name]


def test_reset_of_an_unknown_api_is_404_and_resets_nothing(client):
    response = client.post("/__sandbox/reset?api=nope")
    assert response.status_code == 404 and "nope" in response.get_json()["message"]


def test_reset_is_post_only(client):
    assert client.get("/__sandbox/reset").status_code == 405
