"""The inventory search, `/devices`, over HTTP on SQLite and PostgreSQL: each kind of
search, each filter, sorting both ways. The stock built here serves the other
`test_inventory_*` modules too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db import codes, lifecycle
from db.engine import transaction
from db.enums import Category, Role, Status
from intake import service as intake
from intake.models import BatchCreate, DonorCreate
from labels.locations import LocationCreate, create_location
from remise import accounts
from reporting import inventory_view
from tests.factories import ACTOR, make_device, make_structure
from tests.web.test_pages import sign_in

FORMULA = '=HYPERLINK("http://evil.example","clic")'
ROW_CODE = re.compile(r'<a class="code" href="/bench/devices/([0-9A-Z]{4}-[0-9A-Z]{4})">')


@dataclass(frozen=True)
class Stock:
    """The devices of these tests, by nickname (their display codes), and the ids."""

    code: dict[str, str]
    donors: dict[str, int]
    batches: dict[str, int]
    structure: int


def build_stock(engine: Engine) -> Stock:
    """Two donors and their batches, two locations, a structure, and five devices at
    different stages: one has a model a spreadsheet would run as a formula."""
    with transaction(engine) as session:
        donors, batches = {}, {}
        for key, name in (("mairie", "Mairie de Rezé"), ("banque", "Banque Alimentaire")):
            donor = intake.create_donor(session, ACTOR, data=DonorCreate(name=name))
            assert donor.id is not None
            batch = intake.create_batch(
                session,
                ACTOR,
                data=BatchCreate(donor_id=donor.id, pickup_date=date(2026, 11, 2), site="Rezé"),
            )
            assert batch.id is not None
            donors[key], batches[key] = donor.id, batch.id
        for name in ("Étagère A1", "Étagère B2"):
            create_location(session, ACTOR, data=LocationCreate(name=name))
        structure = make_structure(session, name="Les Pousses")
        made = {
            "thinkpad": make_device(
                session,
                batch_id=batches["mairie"],
                serial="PF-1A2B3C",
                asset_tag="MAIRIE-0042",
                location="Étagère A1",
            ),
            "iphone": make_device(
                session,
                status=Status.AVAILABLE,
                category=Category.SMARTPHONE,
                batch_id=batches["banque"],
                brand="Apple",
                model="iPhone 8",
                serial="F2LXK0Q1",
                imei="356938035643809",
                location="Étagère B2",
            ),
            "tablet": make_device(
                session,
                status=Status.REFURBISHED,
                category=Category.TABLET,
                batch_id=batches["banque"],
                brand="Samsung",
                model="Galaxy Tab A",
            ),
            "formula": make_device(
                session,
                status=Status.LABELLED,
                batch_id=batches["mairie"],
                brand="Dell",
                model=FORMULA,
                location="Étagère A1",
            ),
            "reserved": make_device(
                session,
                status=Status.RESERVED,
                category=Category.DESKTOP,
                structure_id=structure,
                batch_id=batches["mairie"],
                brand="HP",
                model="EliteDesk 800",
            ),
        }
        fields = {"grade": "A", "price_cents": 9000}
        lifecycle.move(session, made["tablet"], to=Status.GRADED, actor="tests", fields=fields)
        shown = {key: codes.display(device.code) for key, device in made.items()}
    return Stock(code=shown, donors=donors, batches=batches, structure=structure)


def staff_user(engine: Engine, name: str = "camille", role: Role = Role.COORDINATOR) -> None:
    """A user who reads the pages in English (the msgids), whatever the catalogs say."""
    with transaction(engine) as session:
        accounts.create_user(
            session, ACTOR, username=name, role=role, password=f"pw-{name}-tournesol", locale="en"
        )


@pytest.fixture
def stock(engine: Engine) -> Stock:
    return build_stock(engine)


@pytest.fixture
def signed_in(client: TestClient, engine: Engine) -> TestClient:
    staff_user(engine)
    sign_in(client, "camille")
    return client


def listed(client: TestClient, query: str, status: int = 200) -> list[str]:
    """The codes a search lists, in order."""
    answer = client.get(f"/devices?{query}")
    assert answer.status_code == status, answer.text
    return ROW_CODE.findall(answer.text)


def count_line(html: str) -> str:
    found = re.search(r'<p role="status" id="found-count">(.*?)</p>', html, re.S)
    assert found is not None
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def test_every_device_is_listed_newest_first_and_opens_its_page(
    signed_in: TestClient, stock: Stock
) -> None:
    answer = signed_in.get("/devices")
    assert answer.status_code == 200
    order = ["reserved", "formula", "tablet", "iphone", "thinkpad"]
    assert ROW_CODE.findall(answer.text) == [stock.code[k] for k in order]
    assert count_line(answer.text) == "Devices 1–5 of 5"
    assert signed_in.get(f"/bench/devices/{stock.code['iphone']}").status_code == 200


CODE_FORMS = [
    lambda c: c,  # as printed, XXXX-XXXX
    lambda c: c.replace("-", ""),
    lambda c: c.lower(),
    lambda c: c.replace("-", "").lower(),
    lambda c: f"  {c[:2]} {c[2:]} ",
]


def test_a_code_is_found_however_it_is_typed(signed_in: TestClient, stock: Stock) -> None:
    for form in CODE_FORMS:
        typed = form(stock.code["tablet"])
        answer = signed_in.get("/devices", params={"q": typed})
        assert ROW_CODE.findall(answer.text) == [stock.code["tablet"]], typed
        assert "Exact match" in answer.text


IDENTIFIERS = [
    ("pf-1a2b3c", "thinkpad"),  # serial, any case
    ("F2LXK0Q1", "iphone"),
    ("mairie-0042", "thinkpad"),  # asset tag
    ("356938035643809", "iphone"),  # IMEI
    ("35 693803 564380 9", "iphone"),  # IMEI as printed on a box
]


def test_a_serial_an_asset_tag_or_an_imei_finds_its_device(
    signed_in: TestClient, stock: Stock
) -> None:
    for typed, key in IDENTIFIERS:
        assert listed(signed_in, f"q={typed}") == [stock.code[key]], typed


WORDS = [
    ("thinkpad", ["thinkpad"]),
    ("LENOVO t480", ["thinkpad"]),  # words of the brand and of the model
    ("tab", ["tablet"]),
    ("e", ["reserved", "formula", "iphone", "thinkpad"]),  # not « Samsung Galaxy Tab A »
    ("iphone 9", []),
    ("%", []),  # a wildcard typed is text
    ("_", []),
]


def test_other_words_search_brands_and_models(signed_in: TestClient, stock: Stock) -> None:
    for typed, keys in WORDS:
        assert listed(signed_in, f"q={typed}") == [stock.code[k] for k in keys], typed


def test_an_identifier_the_filters_hide_is_said_so(signed_in: TestClient, stock: Stock) -> None:
    answer = signed_in.get("/devices", params={"q": "PF-1A2B3C", "status": "available"})
    assert ROW_CODE.findall(answer.text) == []
    assert "belongs to no device that matches the filters" in count_line(answer.text)


def test_a_mistyped_code_says_why_and_still_searches(signed_in: TestClient, stock: Stock) -> None:
    good = stock.code["tablet"]
    symbols = codes.ALPHABET
    wrong = good[:-1] + symbols[(symbols.index(good[-1]) + 1) % len(symbols)]
    answer = signed_in.get("/devices", params={"q": wrong})
    assert answer.status_code == 200 and ROW_CODE.findall(answer.text) == []
    assert "is not a valid device code: the check character does not match" in unescape(answer.text)


FILTERS = [
    ("status=available", ["iphone"]),
    ("status=lost", []),
    ("category=laptop", ["formula", "thinkpad"]),
    ("grade=A", ["tablet"]),
    ("grade=B", ["reserved", "iphone"]),
    ("grade=none", ["formula", "thinkpad"]),
    ("location=Étagère A1", ["formula", "thinkpad"]),
    ("location=étagère b2", ["iphone"]),  # a known location, in another case
    ("location=Cave", []),  # free text: no device there
    ("category=laptop&location=Étagère A1&q=lenovo", ["thinkpad"]),
]


def test_each_filter_narrows_the_list(signed_in: TestClient, stock: Stock) -> None:
    for query, keys in FILTERS:
        assert listed(signed_in, query) == [stock.code[k] for k in keys], query


def test_batches_donors_and_structures_filter_by_number_or_name(
    signed_in: TestClient, stock: Stock
) -> None:
    mairie = [stock.code[k] for k in ("reserved", "formula", "thinkpad")]
    assert listed(signed_in, f"batch={stock.batches['mairie']}") == mairie
    assert listed(signed_in, f"donor={stock.donors['mairie']}") == mairie
    assert listed(signed_in, "donor=mairie de rezé") == mairie  # any case
    assert listed(signed_in, "donor=alimentaire") == [stock.code[k] for k in ("tablet", "iphone")]
    assert listed(signed_in, f"structure={stock.structure}") == [stock.code["reserved"]]
    assert listed(signed_in, "structure=pousses") == [stock.code["reserved"]]


def test_the_selects_offer_the_donors_structures_and_locations(
    signed_in: TestClient, stock: Stock
) -> None:
    page = signed_in.get("/devices", params={"donor": stock.donors["banque"]}).text
    assert f'<option value="{stock.donors["banque"]}" selected>Banque Alimentaire</option>' in page
    assert '<option value="Étagère A1">Étagère A1</option>' in page
    assert f'<option value="{stock.structure}">Les Pousses</option>' in page


KEYS = ["code", "category", "brand", "model", "status", "grade", "status_since", "location"]


def test_each_column_sorts_both_ways(signed_in: TestClient, stock: Stock) -> None:
    for key in KEYS:
        up = signed_in.get("/devices", params={"sort": key})
        heading = f'aria-sort="ascending"><a href="/devices?sort={key}&amp;order=desc">'
        assert heading in up.text and up.text.count("aria-sort=") == 1, key
        down = signed_in.get("/devices", params={"sort": key, "order": "desc"})
        assert f'aria-sort="descending"><a href="/devices?sort={key}&amp;order=asc">' in down.text
        rising = ROW_CODE.findall(up.text)
        assert sorted(rising) == sorted(stock.code.values()), key
        assert ROW_CODE.findall(down.text) == rising[::-1], key  # ties broken by id, both ways


SORTS = [
    ("category", "thinkpad", "tablet"),  # laptop first, as the forms list them
    ("status", "thinkpad", "reserved"),  # received … reserved
    ("grade", "tablet", "formula"),  # A first; ungraded last, in the order received
    ("brand", "iphone", "tablet"),  # Apple … Samsung
    ("location", "thinkpad", "reserved"),  # Étagère A1 first; none last
]


def test_a_sort_reads_as_people_expect(signed_in: TestClient, stock: Stock) -> None:
    for key, first, last in SORTS:
        rising = listed(signed_in, f"sort={key}")
        assert (rising[0], rising[-1]) == (stock.code[first], stock.code[last]), key


def test_filters_keep_the_sort_and_a_heading_keeps_the_filters(
    signed_in: TestClient, stock: Stock
) -> None:
    page = signed_in.get("/devices", params={"status": "available", "sort": "model"}).text
    assert '<input type="hidden" name="sort" value="model">' in page
    assert 'href="/devices?status=available&amp;sort=brand&amp;order=asc"' in page


def test_a_long_list_of_donors_is_typed_rather_than_chosen(
    signed_in: TestClient, engine: Engine, stock: Stock
) -> None:
    with transaction(engine) as session:
        for number in range(inventory_view.CHOICES_MAX):
            intake.create_donor(session, ACTOR, data=DonorCreate(name=f"Donateur {number}"))
    page = signed_in.get("/devices", params={"donor": "Banque alimentaire"})
    assert '<input id="f-donor" name="donor" value="Banque alimentaire"' in page.text
    assert '<select id="f-donor"' not in page.text and '<select id="f-structure"' in page.text
    assert ROW_CODE.findall(page.text) == [stock.code[k] for k in ("tablet", "iphone")]
