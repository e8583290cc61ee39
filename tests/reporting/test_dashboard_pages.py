"""The coordinators' dashboard over HTTP, on SQLite and PostgreSQL, on a small pipeline
built with the real services: devices at several stages, a batch whose counts differ,
a device whose erasure failed and one never erased, a probing flag, a reservation about
to expire, a structure waiting for approval, a grade set by hand. Each panel's figures
and links are checked against what was built; the exports in test_dashboard_exports.

New words are checked in English (their French comes with the catalogue); the French
page is checked with the words the catalogue already has.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import codes
from db.clock import parse_iso
from db.engine import transaction
from db.enums import Category, Role, Status
from db.models import Device, Structure
from intake import service as intake
from intake.models import BatchCreate, DonorCreate
from remise import accounts
from reporting import flows
from tests.distribution.test_catalog_api import active_structure, stock
from tests.factories import ACTOR, auth, make_device, make_structure, make_token
from tests.grading.helpers import grade, refurbished
from tests.refurbish.test_runs_api import start
from tests.web.test_pages import sign_in

PANELS = (
    "stock",
    "throughput",
    "backlog",
    "batches",
    "blocked",
    "claims",
    "structures",
    "overrides",
)


@dataclass(frozen=True)
class Pipeline:
    """What was built, to compare the dashboard with."""

    batch_id: int
    balanced_batch_id: int
    never_erased: str  # graded, no medium known
    failed: str  # refurbished, its re-verification failed
    erased: str  # refurbished and erased: waits for nobody
    flagged: str
    overridden: str
    claim_id: int
    structure_id: int
    pending_id: int
    oldest_received: str
    expires_at: datetime


def user(engine: Engine, name: str, role: Role, *, locale: str = "en", **more: Any) -> None:
    with transaction(engine) as session:
        accounts.create_user(
            session,
            ACTOR,
            username=name,
            role=role,
            password=f"pw-{name}-tournesol",
            locale=locale,
            **more,
        )


def as_coordinator(client: TestClient, engine: Engine, *, locale: str = "en") -> None:
    user(engine, "cora", Role.COORDINATOR, locale=locale)
    sign_in(client, "cora")


def build(client: TestClient, engine: Engine) -> Pipeline:
    bench = auth(make_token(engine, role=Role.BENCH))
    with transaction(engine) as session:
        donor = intake.create_donor(session, ACTOR, data=DonorCreate(name="Mairie de Rezé"))
        assert donor.id is not None
        gap = intake.create_batch(
            session,
            ACTOR,
            data=BatchCreate(
                donor_id=donor.id,
                pickup_date=date(2026, 11, 2),
                site="Rezé, hôtel de ville",
                declared={Category.LAPTOP: 3, Category.SMARTPHONE: 1},
            ),
        )
        balanced = intake.create_batch(
            session,
            ACTOR,
            data=BatchCreate(
                donor_id=donor.id,
                pickup_date=date(2026, 11, 3),
                site="Rezé",
                declared={Category.LAPTOP: 1},
            ),
        )
        assert gap.id is not None and balanced.id is not None
        oldest = make_device(session, batch_id=gap.id).code
        make_device(session, batch_id=gap.id)
        make_device(session, batch_id=balanced.id, status=Status.LABELLED)
        make_device(session, status=Status.RECEIVED, category=Category.SMARTPHONE)
        make_device(session, status=Status.IN_REFURBISHMENT, category=Category.DESKTOP)
        never_erased = make_device(session, status=Status.GRADED).code
        make_structure(session, name="Les Amis du Quartier")
    failed = codes.display(refurbished(client, engine, bench))
    medium = client.get(f"/api/v1/devices/{failed}/media", headers=bench).json()[0]
    reverified = {
        "medium_id": medium["id"],
        "level": "clear",
        "method": "overwrite",
        "verification": {"method": "full", "passed": False},
        "errors": ["sector 1234 reads back non-zero"],
    }
    answer = client.post(f"/api/v1/devices/{failed}/erasures", headers=bench, json=reverified)
    assert answer.status_code == 201, answer.text
    erased = codes.display(refurbished(client, engine, bench))
    overridden = refurbished(client, engine, bench)
    body = {"cosmetic": {"keyboard": "A"}, "override": {"grade": "C", "reason": "Charnière molle"}}
    assert grade(client, bench, overridden, body).status_code == 200
    flagged = flagged_device(client, engine, bench)
    structure_headers, structure_id = active_structure(client, engine, "La Passerelle", laptop=10)
    with transaction(engine) as session:
        held = stock(session)
    claim = client.post("/api/v1/claims", headers=structure_headers, json={"device_codes": [held]})
    assert claim.status_code == 201, claim.text
    with transaction(engine) as session:
        pending_id = session.exec(
            select(Structure.id).where(Structure.name == "Les Amis du Quartier")
        ).one()
        assert flows.count(session).ran
    return Pipeline(
        batch_id=gap.id,
        balanced_batch_id=balanced.id,
        never_erased=codes.display(never_erased),
        failed=failed,
        erased=erased,
        flagged=codes.display(flagged),
        overridden=codes.display(overridden),
        claim_id=claim.json()["id"],
        structure_id=structure_id,
        pending_id=pending_id or 0,
        oldest_received=codes.display(oldest),
        expires_at=parse_iso(claim.json()["expires_at"]),
    )


def flagged_device(client: TestClient, engine: Engine, bench: dict[str, str]) -> str:
    """A device whose probe reports another serial than intake's: an open flag."""
    with transaction(engine) as session:
        code = make_device(session, status=Status.LABELLED, serial="PF1ABC23").code
    start(client, bench, code)
    body = {"schema_version": 1, "source": "live", "system": {"serial": "PF9ZZZ99"}}
    answer = client.post(f"/api/v1/devices/{code}/snapshots", headers=bench, json=body)
    assert answer.status_code == 201, answer.text
    assert [f["kind"] for f in answer.json()["flags"]] == ["serial_mismatch"]
    return code


def turn_clock(client: TestClient, moment: datetime) -> None:
    client.app.state.clock = lambda: moment  # type: ignore[attr-defined]


def shown(page: str) -> str:
    return html.unescape(page)


def section(page: str, panel: str) -> str:
    start = page.index(f'<section class="panel" id="{panel}"')
    return page[start : page.index("</section>", start)]


def table_rows(page: str, name: str) -> list[list[str]]:
    """The rows of table `name` as texts, tags left out (links keep their text)."""
    start = page.index(f'<table class="dashboard dashboard-{name}">')
    body = page[page.index("<tbody>", start) : page.index("</tbody>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in row] for row in cells]


def expected_stock(engine: Engine) -> Counter[tuple[str, str]]:
    """The pipeline's devices by (status, category), counted one by one."""
    with transaction(engine, read_only=True) as session:
        devices = session.exec(select(Device)).all()
    gone = {"handed_over", "parts", "recycled", "lost"}
    return Counter((d.status, d.category) for d in devices if d.status not in gone)


def test_a_coordinator_reads_every_panel_with_its_figures_and_links(
    client: TestClient, engine: Engine
) -> None:
    built = build(client, engine)
    now = built.expires_at - timedelta(hours=47, minutes=30)
    turn_clock(client, now)
    as_coordinator(client, engine)
    answer = client.get("/dashboard")
    assert answer.status_code == 200, answer.text
    page = shown(answer.text)
    assert '<link rel="stylesheet" href="/static/dashboard.css">' in page
    start = page.index('<nav class="panel-links"')
    bar = page[start : page.index("</nav>", start)]
    assert re.findall(r'href="#([a-z]+)"', bar) == list(PANELS)
    for panel in PANELS:
        assert f'<h2 id="{panel}-title">' in section(page, panel)
    assert page.count('role="img"') == 3 and page.count("<caption") == 11

    stock_rows = table_rows(page, "stock")
    words = {"received": "received", "labelled": "labelled", "in_refurbishment": "in refurbishment",
             "refurbished": "refurbished", "graded": "graded", "available": "available",
             "reserved": "reserved"}  # fmt: skip
    categories = {"laptop": "Laptop", "desktop": "Desktop computer", "smartphone": "Smartphone"}
    found = {(r[0], r[1]): int(r[-1]) for r in stock_rows[:-1]}
    assert found == {(words[s], categories[c]): n for (s, c), n in expected_stock(engine).items()}
    assert stock_rows[-1][0] == "Total" and int(stock_rows[-1][-1]) == sum(found.values())
    totals = dict((r[0], r[1]) for r in table_rows(page, "totals"))
    assert int(totals["received"]) == sum(found.values()) and totals["lost"] == "0"

    weeks = table_rows(page, "throughput")
    assert len(weeks) == 12
    year, week, _ = datetime.now().date().isocalendar()
    counted = next(r for r in weeks if r[0] == f"W{week} {year}")
    assert int(counted[2]) == sum(found.values())  # every device was received this week
    # refurbished: three at the bench, and two walked by the factories (graded, in stock)
    assert int(counted[3]) == 5 and int(counted[4]) == 0
    assert "Counted up to" in section(page, "throughput")

    backlog = {r[0]: r for r in table_rows(page, "backlog")}
    assert backlog["received"][1] == "3" and backlog["received"][2] == "12"
    assert backlog["received"][3].startswith(f"{built.oldest_received} (12 d)")
    assert f'href="/bench/devices/{built.oldest_received}"' in section(page, "backlog")
    assert backlog["reserved"][1] == "1" and backlog["in refurbishment"][1] == "2"

    batches = section(page, "batches")
    assert table_rows(page, "batches") == [
        [
            f"Batch {built.batch_id}",
            "Mairie de Rezé",
            "Nov 2, 2026",
            "Rezé, hôtel de ville",
            "open",
            "Laptop: 2 received of 3 declared; Smartphone: 0 received of 1 declared",
        ]
    ]
    assert f'href="/intake/batches/{built.batch_id}"' in batches
    assert f"/intake/batches/{built.balanced_batch_id}" not in batches

    erasure = {r[0]: r for r in table_rows(page, "erasure")}
    assert set(erasure) == {built.never_erased, built.failed}
    assert erasure[built.never_erased][1:3] == ["graded", "Laptop"]
    assert "no storage medium is known" in erasure[built.never_erased][4]
    assert erasure[built.failed][1] == "refurbished"
    assert "the last erasure failed; erase it again or destroy it" in erasure[built.failed][4]
    assert f'href="/bench/devices/{built.failed}"' in section(page, "blocked")
    flags = table_rows(page, "flags")
    assert [r[0] for r in flags] == [built.flagged]
    assert "PF9ZZZ99" in flags[0][2] and "PF1ABC23" in flags[0][2]

    claims = table_rows(page, "claims")
    assert claims == [[f"Claim {built.claim_id}", "La Passerelle", "1", claims[0][3], "47"]]
    assert f'href="/claims/{built.claim_id}"' in section(page, "claims")
    assert f'href="/structures/{built.structure_id}"' in section(page, "claims")
    assert "within 3 days" in section(page, "claims")

    structures = section(page, "structures")
    assert table_rows(page, "pending")[0][0] == "Les Amis du Quartier"
    assert f'href="/structures/{built.pending_id}"' in structures
    assert table_rows(page, "quotas") == [["La Passerelle", "Laptop", "10", "1", "9"]]

    overrides = table_rows(page, "overrides")
    assert [r[:5] for r in overrides] == [[built.overridden, "Laptop", "A", "C", "Charnière molle"]]
    assert f'href="/bench/devices/{built.overridden}"' in section(page, "overrides")
    for panel in PANELS:
        assert 'href="/dashboard/' in section(page, panel)


def test_the_page_speaks_french_to_a_french_coordinator(client: TestClient, engine: Engine) -> None:
    with transaction(engine) as session:
        make_device(session, status=Status.AVAILABLE, category=Category.TABLET)
    as_coordinator(client, engine, locale="fr")
    answer = client.get("/dashboard")
    assert answer.status_code == 200 and answer.headers["content-language"] == "fr"
    page = shown(answer.text)
    assert '<html lang="fr">' in page
    assert table_rows(page, "stock")[0][:2] == ["disponible", "Tablette"]
    assert "Tablette" in section(page, "stock").split("</svg>")[0]  # the chart's legend


def test_an_empty_installation_shows_every_panel_and_says_what_is_missing(
    client: TestClient, engine: Engine
) -> None:
    as_coordinator(client, engine)
    page = shown(client.get("/dashboard").text)
    for panel in PANELS:
        assert f'id="{panel}"' in page
    for said in (
        "No device in the pipeline.",
        "Every batch's received counts match its declared counts.",
        "No device waits for its erasure.",
        "No open flag.",
        "No reservation expires within the reminder window.",
        "No structure waits for approval.",
        "No grade was set by hand.",
        "Nothing counted yet",
    ):
        assert said in page


def test_a_long_list_shows_its_first_rows_and_says_how_many_more(
    client: TestClient, engine: Engine
) -> None:
    with transaction(engine) as session:
        for n in range(12):
            make_structure(session, name=f"Structure en attente {n:02d}")
    as_coordinator(client, engine)
    page = shown(client.get("/dashboard").text)
    names = [r[0] for r in table_rows(page, "pending")]
    assert names == [f"Structure en attente {n:02d}" for n in range(10)]  # oldest first
    assert "And 2 more rows, in the files below." in section(page, "structures")
    exported = client.get("/dashboard/pending.csv").content.decode("utf-8-sig").splitlines()
    assert len(exported) == 1 + 12


def test_only_coordinators_open_the_dashboard_and_its_files(
    client: TestClient, engine: Engine
) -> None:
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == (
        "/login?next=/dashboard"
    )
    structure_id = 0
    with transaction(engine) as session:
        structure_id = make_structure(session, name="Le Relais")
    for name, role, more in (
        ("lucie", Role.BENCH, {}),
        ("wassim", Role.WORKSHOP, {}),
        ("sarah", Role.STRUCTURE, {"structure_id": structure_id}),
    ):
        user(engine, name, role, **more)
        sign_in(client, name)
        for path in ("/dashboard", "/dashboard/stock.csv", "/dashboard/overrides.xlsx"):
            assert client.get(path).status_code == 403, (name, path)
        client.cookies.clear()
