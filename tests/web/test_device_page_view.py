"""The bench's device page as read on a connection, over HTTP on SQLite and PostgreSQL:
the newest snapshot, every flag, the open run and the past ones, the batch, the newest
history, errors as pages, both languages; and, read directly, only what exists."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from db import codes, lifecycle
from db.engine import transaction
from db.enums import Role, Status
from db.events import EventType
from intake import service as intake_service
from intake.models import BatchCreate, DonorCreate
from refurbish import page as device_page_view
from refurbish.page import HISTORY_SHOWN
from remise.i18n import translate
from tests.factories import ACTOR, auth, make_device, make_token
from tests.refurbish.walking import erase_every_medium, fill
from tests.web.test_pages import csrf_of, make_user, sign_in

SERIAL = "PF1ABC23"
VERSION = re.compile(r'data-probe-version="([^"]+)"')


def bench_user(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    sign_in(client, "lucie")


def labelled_device(engine: Engine, **fields: Any) -> str:
    """A labelled laptop's code as printed on its label."""
    with transaction(engine) as session:
        device = make_device(session, status=Status.LABELLED, serial=SERIAL, **fields)
        return codes.display(device.code)


def snapshot(product: str, serial: str = SERIAL, **parts: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "source": "live",
        "system": {"vendor": "LENOVO", "product": product, "serial": serial},
        **parts,
    }


def send(client: TestClient, headers: dict[str, str], code: str, body: dict[str, Any]) -> Any:
    answer = client.post(f"/api/v1/devices/{code}/snapshots", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def shown(text: str) -> str:
    """The page's text with entities read (`'` is `&#39;` in the HTML)."""
    return html.unescape(text)


def probe_part(page: str) -> str:
    """The probe section of the device page (the history also names flags)."""
    start = page.index("data-probe-version=")
    return page[start : page.index('id="erasure-title"', start)]


def history_part(page: str) -> str:
    start = page.index('id="history-title"')
    return page[start : page.index("</ol>", start)]


def version_of(text: str) -> str:
    found = VERSION.search(text)
    assert found is not None, "no data-probe-version"
    return found.group(1)


def test_the_page_shows_the_newest_snapshot_and_its_version(
    client: TestClient, engine: Engine
) -> None:
    code = labelled_device(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    send(client, bench, code, snapshot("OLDBOARD-1"))
    newest = send(client, bench, code, snapshot("NEWBOARD-2"))
    bench_user(client, engine)
    answer = client.get(f"/bench/devices/{code}")
    assert answer.status_code == 200, answer.text[:500]
    probe = probe_part(answer.text)
    assert "LENOVO NEWBOARD-2" in probe and "OLDBOARD-1" not in probe
    assert f"<dd>{SERIAL}</dd>" in probe
    assert version_of(answer.text).startswith(f"{newest['id']}-")
    fragment = client.get(f"/bench/devices/{code}/probe")
    assert fragment.status_code == 200
    assert "LENOVO NEWBOARD-2" in fragment.text and "OLDBOARD-1" not in fragment.text
    assert version_of(fragment.text) == version_of(answer.text)


def test_open_and_resolved_flags_show_with_the_resolution_and_change_the_version(
    client: TestClient, engine: Engine
) -> None:
    code = labelled_device(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    coordinator = auth(make_token(engine, role=Role.COORDINATOR))
    body = snapshot(
        "20L7002AFR", "PF9ZZZ99", batteries=[{"name": "BAT0", "health_percent": "54.20"}]
    )
    taken = send(client, bench, code, body)
    flags = {f["kind"]: f["id"] for f in taken["flags"]}
    assert set(flags) == {"serial_mismatch", "battery_low"}
    bench_user(client, engine)
    before = version_of(client.get(f"/bench/devices/{code}/probe").text)
    assert before == f"{taken['id']}-2-2"

    comment = {"comment": "Batterie neuve commandée"}
    resolved = client.post(
        f"/api/v1/flags/{flags['battery_low']}/resolve", headers=coordinator, json=comment
    )
    assert resolved.status_code == 200, resolved.text

    serial = "La machine indique le n° de série PF9ZZZ99, la réception avait enregistré PF1ABC23."
    battery = "La santé de la batterie, 54.20 %, est sous 60 %."
    page = client.get(f"/bench/devices/{code}").text
    fragment = client.get(f"/bench/devices/{code}/probe").text
    for probe in (shown(probe_part(page)), shown(fragment)):
        assert f'<li class="error">{serial}' in probe  # the open one stands out
        assert f'<li class="">{battery}' in probe
        assert "Résolu : Batterie neuve commandée" in probe
        assert probe.count("Résolu :") == 1
    after = version_of(fragment)
    assert after != before and after == f"{taken['id']}-2-1"
    assert version_of(page) == after


def test_an_open_run_shows_its_checklist_and_a_past_run_its_summary(
    client: TestClient, engine: Engine
) -> None:
    code = labelled_device(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    past = client.post(f"/api/v1/devices/{code}/runs", headers=bench, json={}).json()
    fill(client, bench, past["id"])
    erase_every_medium(client, bench, code)
    finished = client.post(
        f"/api/v1/runs/{past['id']}/finish", headers=bench, json={"outcome": "refurbished"}
    )
    assert finished.status_code == 200, finished.text
    again = client.post(
        f"/api/v1/devices/{code}/runs", headers=bench, json={"comment": "Écran qui clignote"}
    )
    assert again.status_code == 201, again.text
    current = again.json()["id"]
    bench_user(client, engine)
    page = shown(client.get(f"/bench/devices/{code}").text)
    assert f'data-run-id="{current}"' in page
    assert f'action="/bench/runs/{current}/checklist"' in page
    assert f'action="/bench/runs/{past["id"]}/checklist"' not in page
    assert f"Passage {current}, liste version" in page
    assert f'action="/bench/runs/{current}/finish"' in page
    assert f"<summary>Passage {past['id']} : reconditionné, le " in page
    assert "Toutes les touches fonctionnent : oui" in page  # the past run's steps, in words
    assert "Commencer le reconditionnement" not in page  # a run is open


def test_the_batch_site_and_link_show(client: TestClient, engine: Engine) -> None:
    with transaction(engine) as session:
        donor = intake_service.create_donor(session, ACTOR, data=DonorCreate(name="Mairie"))
        data = BatchCreate(
            donor_id=donor.id or 0, pickup_date=date(2026, 11, 2), site="Saint-Herblain"
        )
        batch_id = intake_service.create_batch(session, ACTOR, data=data).id
    code = labelled_device(engine, batch_id=batch_id)
    bench_user(client, engine)
    page = client.get(f"/bench/devices/{code}").text
    assert f'<a href="/intake/batches/{batch_id}">Lot {batch_id}</a> · Saint-Herblain' in page


def test_a_device_without_a_batch_shows_no_batch(client: TestClient, engine: Engine) -> None:
    code = labelled_device(engine)
    bench_user(client, engine)
    page = client.get(f"/bench/devices/{code}").text
    assert "/intake/batches/" not in page and "<dt>Lot</dt>" not in page


def test_the_history_lists_the_newest_events_newest_first(
    client: TestClient, engine: Engine
) -> None:
    seen = HISTORY_SHOWN + 5
    with transaction(engine) as session:
        device = make_device(session, status=Status.LABELLED)
        for number in range(seen):
            lifecycle.record(
                session,
                device,
                actor="atelier",
                event=EventType.DEVICE_SEEN,
                extra={"note": f"vu {number:03d}"},
            )
        code = codes.display(device.code)
    bench_user(client, engine)
    history = history_part(client.get(f"/bench/devices/{code}").text)
    assert history.count("<li>") == HISTORY_SHOWN
    notes = [int(n) for n in re.findall(r"note : vu (\d{3})", history)]
    assert notes == list(range(seen - 1, seen - 1 - HISTORY_SHOWN, -1))
    assert "Étiqueté" not in history  # the oldest events are left out


def test_an_unknown_or_mistyped_code_is_an_error_page_not_a_500(
    client: TestClient, engine: Engine
) -> None:
    code = labelled_device(engine)
    bench_user(client, engine)
    unknown = codes.display(codes.new_code())
    assert unknown != code
    typo = code[:-1] + next(ch for ch in codes.ALPHABET if ch != code[-1])
    for path in (f"/bench/devices/{unknown}/probe", f"/bench/devices/{unknown}"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
        assert "<html" in answer.text and unknown in answer.text
    for wrong in (typo, "AB12"):
        for path in (f"/bench/devices/{wrong}/probe", f"/bench/devices/{wrong}"):
            answer = client.get(path)
            assert 400 <= answer.status_code < 500, (path, answer.status_code)
            assert answer.headers["content-type"].startswith("text/html")
            assert "<html" in answer.text


# Fixed texts of the device page and its probe fragment, in English and in French.
FIXED_TEXTS = {
    '<h2 id="probe-title">Probe results</h2>': '<h2 id="probe-title">Résultats de la sonde</h2>',
    '<h2 id="checklist-title">Checklist</h2>': '<h2 id="checklist-title">Liste de contrôle</h2>',
    '<h2 id="history-title">History</h2>': '<h2 id="history-title">Historique</h2>',
    'placeholder="Scan another device"': 'placeholder="Scanner un autre appareil"',
    ">Start the refurbishment</button>": ">Commencer le reconditionnement</button>",
}


def test_the_page_speaks_french_by_default(client: TestClient, engine: Engine) -> None:
    code = labelled_device(engine)
    bench_user(client, engine)
    page = client.get(f"/bench/devices/{code}")
    assert page.headers["content-language"] == "fr"
    for english, french in FIXED_TEXTS.items():
        assert french in page.text and english not in page.text


def test_the_page_speaks_english_once_chosen(client: TestClient, engine: Engine) -> None:
    code = labelled_device(engine)
    bench_user(client, engine)
    chosen = client.post(
        "/language",
        data={"locale": "en", "next": "/bench", "csrf_token": csrf_of(client, "/bench")},
        follow_redirects=False,
    )
    assert chosen.status_code == 303, chosen.text
    page = client.get(f"/bench/devices/{code}")
    assert page.headers["content-language"] == "en"
    for english, french in FIXED_TEXTS.items():
        assert english in page.text and french not in page.text
    fragment = client.get(f"/bench/devices/{code}/probe").text
    assert "No probe results yet." in fragment and "Pas encore" not in fragment


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` while the block runs."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def main_table(statement: str) -> str:
    """The table a statement reads, after the scalar subqueries of its columns."""
    return str(re.findall(r"FROM \"?(\w+)", statement)[-1])


def fr(message: str, **params: Any) -> str:
    return translate("fr", message, **params)


def test_a_device_with_nothing_else_to_read_costs_one_query(engine: Engine) -> None:
    """No runs, snapshots or flags: the device's row says so, and brings its history
    with it: one statement in all (one round trip on PostgreSQL)."""
    with transaction(engine) as session:
        code = codes.display(make_device(session, status=Status.LABELLED).code)
    with engine.connect() as connection, statements(engine) as seen:
        view = device_page_view.device_page(connection, code, "fr", fr)
    assert [main_table(s) for s in seen] == ["device"], seen
    assert view.run is None and view.past_runs == [] and view.batch is None
    assert view.probe.version == "0-0-0" and view.probe.rows == [] and view.probe.flags == []
    assert [line.what for line in view.history] == ["Étiqueté", "Reçu"]


def test_a_device_with_a_snapshot_reads_it_but_no_flags_or_runs(
    client: TestClient, engine: Engine
) -> None:
    code = labelled_device(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    taken = send(client, bench, code, snapshot("20L7002AFR"))
    assert taken["flags"] == []
    with engine.connect() as connection, statements(engine) as seen:
        view = device_page_view.device_page(connection, code, "fr", fr)
    assert [main_table(s) for s in seen] == ["device", "device_snapshot"]
    assert view.probe.version == f"{taken['id']}-0-0"
