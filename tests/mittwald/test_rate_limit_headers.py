"""mittwald's developer portal (mittwald/developer-portal docs/api/intro.mdx, "Rate Limiting"): each response
of the current user carries X-RateLimit-Limit, -Remaining and -Reset. Through HTTP, on the sandbox clock."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.mittwald.conftest import BASE, DOCS_CUSTOMER, TOKEN

HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def limits(response) -> tuple[int, int, int]:
    return tuple(int(response.headers[name]) for name in HEADERS)


def test_every_authenticated_answer_carries_the_headers_and_counts_down(client, box):
    box.clock.freeze(datetime(2024, 5, 1, 9, 30, 15, tzinfo=timezone.utc))
    auth = TOKEN
    answers = [client.get(f"{BASE}/customers/{DOCS_CUSTOMER}/orders", headers=auth),
               client.get(f"{BASE}/orders/00000000-0000-0000-0000-000000000000", headers=auth),   # 404
               client.get(f"{BASE}/customers/{DOCS_CUSTOMER}/orders?limit=x", headers=auth)]        # 400
    assert [a.status_code for a in answers] == [200, 404, 400]
    assert [limits(a) for a in answers] == [(1000, 999, 45), (1000, 998, 45), (1000, 997, 45)]
    assert "X-RateLimit-Exempt" not in answers[0].headers


def test_a_new_period_starts_afresh_and_each_token_counts_alone(client, box):
    box.clock.freeze(datetime(2024, 5, 1, 9, 30, 59, tzinfo=timezone.utc))
    first = client.get(f"{BASE}/customers/{DOCS_CUSTOMER}/orders", headers=TOKEN)
    other = client.get(f"{BASE}/customers/{DOCS_CUSTOMER}/orders", headers={"Authorization": "Bearer someone-else"})
    assert limits(first)[1:] == (999, 1) and limits(other)[1] == 999
    box.clock.advance(2)
    assert limits(client.get(f"{BASE}/customers/{DOCS_CUSTOMER}/orders", headers=TOKEN)) == (
        1000, 999, 59)


def test_an_unauthenticated_answer_has_no_user_and_no_headers(client):
    response = client.get(f"{BASE}/customers/{DOCS_CUSTOMER}/orders")
    assert response.status_code == 401 and not any(name in response.headers for name in HEADERS)
