"""Locations: their `LOC-…` codes, the API, the CLI and their labels, on both backends."""

from __future__ import annotations

import zipfile
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from db import codes, ledger
from db.engine import transaction
from db.enums import Role
from db.models import LedgerEvent, Location
from labels import layouts, output, plan, png, scan
from labels.locations import LocationCreate, create_location, label_contents
from remise.auth import system_actor
from remise.cli import app
from remise.i18n import translate
from remise.settings import Settings
from tests.factories import auth, make_token
from tests.labels.decoding import decode_png
from tests.web.test_pages import csrf_of, make_user, sign_in

runner = CliRunner()
ACTOR = system_actor("tests")
GOOD = "LOC-" + "7K3Q" + codes.check_symbol("7K3Q")  # a well-formed location code


def _typed_on_azerty(text: str) -> str:
    """What a QWERTY-set scanner types for `text` on an AZERTY computer."""
    return text.translate(str.maketrans("1234567890-aAqQwWzZmM", "&é\"'(-è_çà)qQaAzZwW,?"))


# --- codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        GOOD,
        GOOD.lower(),
        GOOD.replace("-", ""),  # no dash
        f"  {GOOD[:6]} {GOOD[6:]}\n",  # spaces, a trailing Enter
        GOOD.replace("0", "O"),  # Crockford's aliases after the prefix
    ],
)
def test_a_location_code_reads_in_any_case_with_or_without_its_dash(typed: str) -> None:
    assert codes.parse_location(typed) == GOOD


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("LOC-7K3Q", "5 characters after LOC-, not 4"),
        ("LOC-7K3QXX", "5 characters after LOC-, not 6"),
        ("LOC-7K3U" + GOOD[-1], "“U” cannot appear"),
        ("LOC-7K3R" + GOOD[-1], "check character does not match"),  # one symbol mistyped
        ("LOC-K73Q" + GOOD[-1], "check character does not match"),  # two swapped
        ("PLACE-7K3QX", "begins with LOC-"),
    ],
)
def test_a_mistyped_location_code_says_why(typed: str, reason: str) -> None:
    with pytest.raises(codes.CodeError, match=reason):
        codes.parse_location(typed)


def test_new_location_codes_are_valid_and_their_bars_fit_a_label() -> None:
    made = {codes.new_location_code() for _ in range(2000)}
    assert all(codes.parse_location(code) == code for code in made)
    assert all(len(plan.pattern_of(code)) <= plan.MAX_MODULES for code in made)


@pytest.mark.parametrize(
    ("text", "looks"),
    [
        (GOOD, True),
        ("loc 7k3qx", True),
        ('LOC)èK"AX', True),
        ("Local technique", False),  # a name, not a code
        ("KKYN-NFHR", False),
        ("LOT-12", False),
    ],
)
def test_what_looks_like_a_location_label(text: str, looks: bool) -> None:
    assert codes.looks_like_location(text) is looks


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        (GOOD, GOOD),
        (_typed_on_azerty(GOOD), GOOD),  # LOC)èK"AX: QWERTY-set scanner, AZERTY computer
        (_typed_on_azerty(GOOD).lower(), GOOD),
        ("Étagère A1", None),
        ("KKYN-NFHR", None),
    ],
)
def test_a_scanned_location_label_is_read_like_device_codes_are(
    typed: str, read: str | None
) -> None:
    assert scan.location_code(typed) == read


def test_a_scanned_location_label_that_cannot_be_says_why() -> None:
    with pytest.raises(scan.MistypedLocation, match="check character"):
        scan.location_code("LOC-7K3R" + GOOD[-1])


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("LOT-1", 1),
        ("lot 23", 23),
        ("BATCH:7", 7),
        ("LOT)&", 1),  # a QWERTY-set scanner on an AZERTY computer
        ('LOT)é"', 23),
        ('lot)é"', 23),
        ("  LOT-12\r\n", 12),
        ("LOT-", None),
        ("LOT-12A", None),
        ("SLOT-12", None),
        ("KKYN-NFHR", None),
    ],
)
def test_a_batch_label_is_read_in_one_place(typed: str, number: int | None) -> None:
    assert scan.batch_number(typed) == number


# --- API --------------------------------------------------------------------------------


def _events(engine: Engine) -> list[tuple[str, dict[str, object]]]:
    with transaction(engine, read_only=True) as session:
        rows = session.exec(select(LedgerEvent).where(LedgerEvent.type == "location.created"))
        return [(row.actor, orjson.loads(row.payload)) for row in rows]


def test_a_coordinator_creates_a_location_that_scanners_list(
    client: TestClient, engine: Engine
) -> None:
    boss = auth(make_token(engine, role=Role.COORDINATOR))
    body = {"name": "  Étagère A1 ", "kind": "shelf"}
    answer = client.post("/api/v1/locations", json=body, headers=boss)
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["name"] == "Étagère A1" and made["kind"] == "shelf"
    assert codes.parse_location(made["code"]) == made["code"]
    bench = auth(make_token(engine, role=Role.BENCH))
    listed = client.get("/api/v1/locations", headers=bench)
    assert listed.status_code == 200
    assert [p["code"] for p in listed.json()] == [made["code"]]
    one = client.get(f"/api/v1/locations/{made['code'].lower().replace('-', '')}", headers=bench)
    assert one.status_code == 200 and one.json() == made
    [(actor, payload)] = _events(engine)
    assert payload == {
        "location_id": made["id"],
        "code": made["code"],
        "name": "Étagère A1",
        "kind": "shelf",
    }
    assert actor.startswith("coordinator-")
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok


def test_a_retried_location_is_created_once(client: TestClient, engine: Engine) -> None:
    keyed = auth(make_token(engine), **{"Idempotency-Key": "shelf-b2"})
    answers = [
        client.post("/api/v1/locations", json={"name": "Étagère B2"}, headers=keyed)
        for _ in range(3)
    ]
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["code"] for a in answers}) == 1
    assert answers[-1].headers["Idempotent-Replayed"] == "true"
    assert len(_events(engine)) == 1


@pytest.mark.parametrize("again", ["Salle de stockage", "salle  DE stockage", " SALLE DE STOCKAGE"])
def test_a_second_location_of_the_same_name_gets_409(
    client: TestClient, engine: Engine, again: str
) -> None:
    boss = auth(make_token(engine), **{"Accept-Language": "fr"})
    body = {"name": "Salle de stockage", "kind": "room"}
    first = client.post("/api/v1/locations", json=body, headers=boss)
    answer = client.post("/api/v1/locations", json={"name": again}, headers=boss)
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "location_exists"
    assert body["detail"] == (
        f"Un emplacement nommé « Salle de stockage » existe déjà : {first.json()['code']}."
    )
    assert len(_events(engine)) == 1


@pytest.mark.parametrize(
    "body", [{"name": ""}, {"name": "   "}, {"name": "x" * 201}, {"name": "A", "kind": "box"}]
)
def test_a_location_without_a_proper_name_or_kind_is_422(
    client: TestClient, engine: Engine, body: dict[str, str]
) -> None:
    answer = client.post("/api/v1/locations", json=body, headers=auth(make_token(engine)))
    assert answer.status_code == 422, answer.text
    assert _events(engine) == []


@pytest.mark.parametrize(
    ("role", "listing", "creating"),
    [
        (Role.COORDINATOR, 200, 201),
        (Role.BENCH, 200, 403),
        (Role.WORKSHOP, 200, 403),
        (Role.STRUCTURE, 403, 403),
    ],
)
def test_who_lists_and_who_creates_locations(
    client: TestClient, engine: Engine, role: Role, listing: int, creating: int
) -> None:
    structure = "Centre social" if role == Role.STRUCTURE else None
    headers = auth(make_token(engine, role=role, structure=structure))
    assert client.get("/api/v1/locations", headers=headers).status_code == listing
    made = client.post("/api/v1/locations", json={"name": f"Bac {role}"}, headers=headers)
    assert made.status_code == creating


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (GOOD, 404, "location_not_found"),
        ("LOC-7K3R" + GOOD[-1], 404, "scan_mistyped_location"),
    ],
)
def test_an_unknown_or_mistyped_location_is_404(
    client: TestClient, engine: Engine, code: str, status: int, error: str
) -> None:
    answer = client.get(f"/api/v1/locations/{code}", headers=auth(make_token(engine)))
    assert answer.status_code == status
    assert answer.json()["code"] == error


# --- CLI and labels ---------------------------------------------------------------------


@pytest.fixture
def configured(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.usefixtures("configured")
def test_the_cli_creates_lists_and_prints_location_labels(engine: Engine, tmp_path: Path) -> None:
    made = runner.invoke(app, ["location", "create", "Étagère A1", "--kind", "shelf"])
    assert made.exit_code == 0, made.output
    code = made.output.strip()
    assert codes.parse_location(code) == code
    other = runner.invoke(app, ["location", "create", "Salle de stockage"]).output.strip()
    again = runner.invoke(app, ["location", "create", "étagère a1"])
    assert again.exit_code == 1 and code in again.output
    listed = runner.invoke(app, ["location", "list"])
    assert listed.exit_code == 0 and code in listed.output and "Salle de stockage" in listed.output
    target = tmp_path / "labels.zip"
    wanted = f"{code.lower()},Salle de stockage"
    printed = runner.invoke(
        app,
        ["labels", "print", "--format", "thermal-62mm", "-o", str(target), "--location", wanted],
    )
    assert printed.exit_code == 0, printed.output
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == [f"{code}.png", f"{other}.png"]
        assert decode_png(archive.read(f"{code}.png")) == [code]
    with transaction(engine, read_only=True) as session:
        assert len(session.exec(select(Location)).all()) == 2
        assert [e.type for e in session.exec(select(LedgerEvent))] == ["location.created"] * 2


@pytest.mark.usefixtures("configured")
def test_printing_an_unknown_location_fails_and_prints_nothing(tmp_path: Path) -> None:
    target = tmp_path / "labels.pdf"
    printed = runner.invoke(app, ["labels", "print", "-o", str(target), "--location", "Grenier"])
    assert printed.exit_code == 1
    assert "Grenier" in printed.output
    assert not target.exists()


@pytest.mark.parametrize("name", ["thermal-62mm", "thermal-50x25mm", "thermal-62x29mm"])
def test_a_location_label_carries_its_code_as_bars_and_its_name(name: str) -> None:
    layout = layouts.load(Settings().label_layouts_file)[name]
    assert isinstance(layout, layouts.ThermalLayout)
    name_ = "Salle de stockage du sous-sol, bâtiment B"
    place = Location(code=GOOD, name=name_, kind="room", created_at="2026-12-02T08:00:00Z")
    [content] = label_contents([place], translate=lambda m: translate("fr", m))
    assert (content.code_display, content.headline) == (GOOD, place.name)
    assert content.detail.startswith("Salle · ")
    drawn = png.arrange(layout, content)
    assert [t.line.text for t in drawn.texts][:1] == [GOOD]
    assert decode_png(output.single(layout, content, "png").body) == [GOOD]


# --- the page -------------------------------------------------------------------------


def _page_client(client: TestClient, engine: Engine, role: Role) -> str:
    """Signs a user of `role` in on `client`; returns a CSRF token for its forms."""
    make_user(engine, "claire", role)
    sign_in(client, "claire", next_path="/locations")
    return csrf_of(client, "/locations")


def test_the_page_creates_a_location_then_redirects(client: TestClient, engine: Engine) -> None:
    csrf = _page_client(client, engine, Role.COORDINATOR)
    form = {"csrf_token": csrf, "name": " Étagère C3 ", "kind": "shelf"}
    answer = client.post("/locations", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/locations"
    shown = client.get("/locations").text
    assert "Emplacement « Étagère C3 » créé : LOC-" in shown
    assert len(_events(engine)) == 1


@pytest.mark.parametrize(
    ("name", "status", "said"),
    [
        ("", 422, "Un emplacement a besoin d&#39;un nom de 1 à 200 caractères."),
        ("x" * 201, 422, "Un emplacement a besoin d&#39;un nom de 1 à 200 caractères."),
        ("étagère  C3", 409, "Un emplacement nommé « Étagère C3 » existe déjà"),
    ],
)
def test_a_refused_name_is_said_beside_the_field_and_kept(
    client: TestClient, engine: Engine, name: str, status: int, said: str
) -> None:
    csrf = _page_client(client, engine, Role.COORDINATOR)
    client.post("/locations", data={"csrf_token": csrf, "name": "Étagère C3"})
    answer = client.post("/locations", data={"csrf_token": csrf, "name": name, "kind": "room"})
    assert answer.status_code == status
    assert f'<p class="field-error" id="e-name" role="alert">{said}' in answer.text
    assert f'value="{name}"' in answer.text
    assert '<option value="room" selected>' in answer.text
    assert len(_events(engine)) == 1


def test_a_volunteer_sees_the_locations_but_cannot_create_one(
    client: TestClient, engine: Engine
) -> None:
    csrf = _page_client(client, engine, Role.BENCH)
    page = client.get("/locations")
    assert page.status_code == 200 and 'action="/locations"' not in page.text
    answer = client.post("/locations", data={"csrf_token": csrf, "name": "Bac"})
    assert answer.status_code == 403
    assert _events(engine) == []


def _two_locations(engine: Engine) -> list[str]:
    with transaction(engine) as session:
        made = [
            create_location(session, ACTOR, data=LocationCreate(name=name))
            for name in ("Étagère A1", "Salle de stockage")
        ]
        return [place.code for place in made]


@pytest.mark.parametrize(
    ("label_format", "output_kind", "media_type"),
    [
        ("a4-3x8", "png", "application/pdf"),
        ("thermal-50x25mm", "zpl", "application/zpl"),
        ("thermal-62mm", "png", "text/html; charset=utf-8"),
    ],
)
def test_the_page_prints_the_ticked_location_labels(
    client: TestClient, engine: Engine, label_format: str, output_kind: str, media_type: str
) -> None:
    csrf = _page_client(client, engine, Role.BENCH)
    first, second = _two_locations(engine)
    form = {"codes": [second, first], "format": label_format, "output": output_kind}
    form["csrf_token"] = csrf
    answer = client.post("/locations/print", data=form)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == media_type
    if output_kind == "zpl":
        assert answer.text.count("^XA") == 2 and "Salle de stockage" in answer.text
    if media_type.startswith("text/html"):
        assert answer.text.count('class="roll-label"') == 2
        assert f"Étiquette de {second}" in answer.text


def test_printing_no_ticked_location_says_so_on_the_page(
    client: TestClient, engine: Engine
) -> None:
    csrf = _page_client(client, engine, Role.BENCH)
    _two_locations(engine)
    form = {"csrf_token": csrf, "format": "a4-3x8", "output": "png"}
    answer = client.post("/locations/print", data=form)
    assert answer.status_code == 422
    assert 'role="alert" id="e-print">Cochez au moins un emplacement' in answer.text
