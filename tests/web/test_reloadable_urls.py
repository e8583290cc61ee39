"""A POST-only address opened with GET (reloaded, come back to after signing in again,
bookmarked) leads to the nearest page rather than answering 405."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.enums import Role
from tests.web.test_pages import make_user, sign_in


@pytest.mark.parametrize(
    ("address", "page"),
    [
        ("/labels/print", "/"),
        ("/intake/batches/7/close", "/intake/batches/7"),
        ("/bench/continuous/scan", "/bench/continuous"),
    ],
)
def test_a_post_only_address_opened_leads_to_the_nearest_page(
    client: TestClient, engine: Engine, address: str, page: str
) -> None:
    make_user(engine, "cora", Role.COORDINATOR)
    sign_in(client, "cora", next_path="/intake")
    answer = client.get(address, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == page


def test_the_api_still_answers_405_in_json(client: TestClient) -> None:
    answer = client.get("/api/v1/labels/sheet")
    assert answer.status_code in (401, 405)
    assert answer.headers["content-type"].startswith("application/json")
