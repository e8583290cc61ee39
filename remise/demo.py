"""Demo data: a donor, a batch, two structures, the four roles, a device at each stage.

`seed` runs once: a second call finds the demo coordinator and adds nothing.
`seed_extra` makes sure at least N extra devices exist, spread over the stages,
for trying Remise at scale and for benchmarks. Every device gets there through the
life cycle, so its history replays like a real one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import devices as db_devices
from db import lifecycle
from db.enums import Category, Role, Status
from db.models import Batch, Device, Donor, LocationKind, User
from grading import documents as grading_documents
from grading import service as grading
from grading.models import GradeIn
from intake import service as intake_service
from intake.models import BatchCreate, DonorCreate
from intake.rules import luhn_check_digit
from labels import locations
from refurbish.erasure import certificates, signing
from remise import demo_bench, demo_distribution
from remise.accounts import create_user
from remise.auth import system_actor
from remise.security import verify_password
from remise.settings import Settings

DEMO_ACTOR = system_actor("demo")
EXTRA_TAG = "demo-extra"


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    token: str


# The demo accounts: (user name, role, display name). Their passwords are fixed
# (`demo_password`), so `remise demo --logins` can show them again at any time; their
# API tokens are shown once, when the seed makes them, and only their hashes are kept.
PEOPLE: tuple[tuple[str, Role, str], ...] = (
    ("coordinatrice", Role.COORDINATOR, "Coordinatrice (démo)"),
    ("benevole", Role.BENCH, "Bénévole à l'établi (démo)"),
    ("atelier", Role.WORKSHOP, "Atelier partenaire (démo)"),
    ("passerelle", Role.STRUCTURE, "Centre social La Passerelle (démo)"),
)


def demo_password(username: str) -> str:
    return f"demo-{username}-remise"


@dataclass(frozen=True)
class DemoAccount:
    """A demo login as it stands in the database: `works` is False once its password
    was changed or the account deactivated, so the listing never claims a dead login."""

    username: str
    password: str
    role: str
    works: bool


def imei(serial_number: int) -> str:
    """A well-formed IMEI (Luhn-valid) on a reserved demo TAC."""
    body = f"35{serial_number:012d}"[:14]
    return body + luhn_check_digit(body)


# (category, brand, model, target status, fields set on the way)
# Graded devices are graded by the rules in force (grading.service), each zone judged
# as `grade` says; their price comes from the grid.
A, B, C = ({"grade": g} for g in "ABC")
OVERRIDE = {"grade": "B", "reason": "Charnière droite un peu dure à l'ouverture"}
WORN_BATTERY = {"grade": "A", "values": {"battery_health": 74}}  # no grade: its battery
Showcase = tuple[Category, str, str, Status, dict[str, Any]]
SHOWCASE: list[Showcase] = [
    (Category.LAPTOP, "Lenovo", "ThinkPad T480", Status.RECEIVED, {}),
    (Category.LAPTOP, "Dell", "Latitude 5490", Status.LABELLED, {}),
    (Category.LAPTOP, "HP", "EliteBook 840 G5", Status.IN_REFURBISHMENT, {}),
    (Category.SMARTPHONE, "Samsung", "Galaxy A52", Status.REFURBISHED, {}),
    (Category.DESKTOP, "Dell", "OptiPlex 7060", Status.GRADED, A),
    (Category.LAPTOP, "Lenovo", "ThinkPad T470", Status.AVAILABLE, B),
    (Category.TABLET, "Samsung", "Galaxy Tab A 10.1", Status.RESERVED, B),
    (Category.SMARTPHONE, "Apple", "iPhone 8", Status.HANDED_OVER, C),
    (Category.LAPTOP, "Acer", "Aspire 5", Status.PARTS, {}),
    (Category.BASIC_PHONE, "Nokia", "105", Status.RECYCLED, {}),
    (Category.LAPTOP, "HP", "ProBook 450 G6", Status.AVAILABLE, A | {"override": OVERRIDE}),
    (Category.SMARTPHONE, "Samsung", "Galaxy S9", Status.REFURBISHED, WORN_BATTERY),
]


def _walk(
    session: Session, device: Device, target: Status, fields: dict[str, Any], structures: list[int]
) -> None:
    """Take `device` to `target` as people would: a bench run where the path has one."""
    path = lifecycle.path_to(target)
    # the run ends with the outcome on the path (refurbished, parts, recycled), if any
    outcome = next((s for s in path if s in demo_bench.OUTCOMES), Status.IN_REFURBISHMENT)
    for step in path:
        if step == Status.IN_REFURBISHMENT:
            values = fields.get("values")
            device = demo_bench.run_through(session, DEMO_ACTOR, device.code, outcome, values)
            continue
        if step in demo_bench.OUTCOMES:
            if step == Status.REFURBISHED and target == step and "grade" in fields:
                device = _grade(session, device, fields)  # the rules refuse it a grade
            continue  # the run finished with this outcome
        if step == Status.GRADED:
            device = _grade(session, device, fields)
            continue
        if step == Status.AVAILABLE and device.status == Status.AVAILABLE:
            continue  # graded with its data erased and a price: available at once
        if step in (Status.RESERVED, Status.HANDED_OVER):
            break  # claimed and handed over by distribution (`demo_distribution`)
        lifecycle.move(session, device, to=step, actor=DEMO_ACTOR.ledger_name)
    if target == Status.GRADED and device.status == Status.AVAILABLE:
        why = {"comment": "Retiré de la vente : photos du catalogue à refaire"}
        cleared = {"price_cents": None}  # priced again when it is made available again
        lifecycle.move(
            session,
            device,
            to=Status.GRADED,
            actor=DEMO_ACTOR.ledger_name,
            fields=cleared,
            extra=why,
        )


def _grade(session: Session, device: Device, fields: dict[str, Any]) -> Device:
    """Grade `device` by the rules in force, every zone judged `fields["grade"]`."""
    _version, rules, _row = grading_documents.current_rules(session)
    zones = rules.categories.get(device.category)
    judged = dict.fromkeys(zones.zones if zones else (), fields.get("grade", "A"))
    data = GradeIn.model_validate(
        {
            "cosmetic": judged,
            "tpm2": True if device.category in demo_bench.COMPUTERS else None,
            "override": fields.get("override"),
        }
    )
    grading.grade_device(
        session,
        DEMO_ACTOR,
        code=device.code,
        data=data,
        preview=False,
        today=date.today(),
        locale="fr",
    )
    return db_devices.by_code(session, device.code)


def _batch(session: Session, donor: Donor, site: str, declared: dict[str, int]) -> Batch:
    assert donor.id is not None
    data = BatchCreate(
        donor_id=donor.id,
        pickup_date=date(2026, 11, 2),
        site=site,
        declared=declared,
        workshop="Atelier du Bocage",
    )
    return intake_service.create_batch(session, DEMO_ACTOR, data=data)


def _structures(session: Session) -> list[int]:
    return demo_distribution.structures(session, DEMO_ACTOR)


def seed(session: Session) -> list[Login] | None:
    """Seed the showcase once; returns the demo logins, or None if already seeded."""
    if session.exec(select(User).where(User.username == "coordinatrice")).first():
        return None
    structures = _structures(session)
    donor = intake_service.create_donor(
        session,
        DEMO_ACTOR,
        data=DonorCreate(
            name="Banque Solidaire de l'Ouest",
            siret="73282932000074",
            contact_name="Claire Martin",
            contact_email="dons@bso.example",
        ),
    )
    batch = _batch(
        session,
        donor,
        "Nantes, siège",
        {
            Category.LAPTOP: 7,
            Category.DESKTOP: 1,
            Category.SMARTPHONE: 3,
            Category.TABLET: 1,
            Category.BASIC_PHONE: 1,
        },
    )
    new = [
        _device(
            batch, model, serial=f"DEMO{index:05d}", asset_tag=f"BSO-{1000 + index}", number=index
        )
        for index, model in enumerate(SHOWCASE, start=1)
    ]
    lifecycle.register(
        session, actor=DEMO_ACTOR.ledger_name, devices=new, extra={"where": batch.site}
    )
    for device, (_c, _b, _m, target, fields) in zip(new, SHOWCASE, strict=True):
        _walk(session, device, target, fields, structures)
    _place(session, new)
    targets = [target for _c, _b, _m, target, _f in SHOWCASE]
    demo_distribution.claims_and_handover(
        session,
        DEMO_ACTOR,
        [d for d, t in zip(new, targets, strict=True) if t == Status.RESERVED],
        [d for d, t in zip(new, targets, strict=True) if t == Status.HANDED_OVER],
        structures,
    )
    return _logins(session, structures[0])


# Demo locations and which showcase devices (by position) are kept there, so that a
# stock-take in continuous scanning finds some and moves others.
PLACES: tuple[tuple[str, LocationKind, tuple[int, ...]], ...] = (
    ("Étagère A1", LocationKind.SHELF, (0, 1)),
    ("Étagère B2", LocationKind.SHELF, (3, 4, 5)),
    ("Salle de stockage", LocationKind.ROOM, (8,)),
)


def _place(session: Session, devices: list[Device]) -> None:
    for name, kind, held in PLACES:
        data = locations.LocationCreate(name=name, kind=kind)
        place = locations.create_location(session, DEMO_ACTOR, data=data)
        for index in held:
            device = db_devices.by_code(session, devices[index].code)  # the row as it is now
            fields = {"location": place.name}
            lifecycle.change(session, device, actor=DEMO_ACTOR.ledger_name, fields=fields)


def accounts(session: Session) -> list[DemoAccount]:
    """The demo logins present in the database (none before `seed`), in `PEOPLE` order."""
    names = [username for username, _role, _display in PEOPLE]
    found = {u.username: u for u in session.exec(select(User).where(col(User.username).in_(names)))}
    listed = []
    for username, role, _display in PEOPLE:
        user = found.get(username)
        if user is None:
            continue
        password = demo_password(username)
        works = user.active and verify_password(user.password_hash, password)
        listed.append(DemoAccount(username, password, role.value, works))
    return listed


def _logins(session: Session, structure_id: int) -> list[Login]:
    logins = []
    for username, role, display in PEOPLE:
        password = demo_password(username)
        _user, token = create_user(
            session,
            DEMO_ACTOR,
            username=username,
            role=role,
            display_name=display,
            structure_id=structure_id if role == Role.STRUCTURE else None,
            password=password,
        )
        logins.append(Login(username, password, role.value, token))
    return logins


def seed_extra(
    session: Session,
    count: int,
    *,
    stage: Status | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Make sure at least `count` extra demo devices exist, all at `stage` (received,
    labelled… or available, graded and priced with the specs the catalogue filters on),
    or spread over the stages before a claim; returns how many were added. In bulk
    (`db.lifecycle.register_walked`): 100,000 in well under a minute."""
    existing = session.exec(
        select(func.count())
        .select_from(Device)
        .where(func.substr(Device.asset_tag, 1, 10) == EXTRA_TAG)
    ).one()
    missing = max(0, count - existing)
    if not missing:
        return 0
    if stage is not None and stage not in _BULK_STAGES:
        raise ValueError(f"extra devices go to one of {', '.join(s.value for s in _BULK_STAGES)}")
    donor = session.exec(select(Donor).order_by(Donor.id)).first()  # type: ignore[arg-type]
    assert donor is not None, "seed() first"
    batch = _batch(session, donor, "Entrepôt de Rezé", {})
    rng = random.Random(existing)
    grader = demo_distribution.Grader.now(session, date.today())
    chunk = 5000
    for start in range(0, missing, chunk):
        rows, walks = [], []
        for i in range(min(chunk, missing - start)):
            number = existing + start + i
            target = stage or rng.choices(_BULK_STAGES, weights=_WEIGHTS)[0]
            row, walk = demo_distribution.available_walk(
                rng, demo_distribution.pick_category(rng), grader
            )
            row |= {
                "batch_id": batch.id,
                "serial": f"X{number:09d}",
                "asset_tag": f"{EXTRA_TAG}-{number}",
            }
            rows.append(row)
            walks.append(walk[: _BULK_STAGES.index(target)])
        lifecycle.register_walked(session, actor=DEMO_ACTOR.ledger_name, rows=rows, walks=walks)
        if progress:
            progress(len(rows))
    return missing


# The stages bulk devices may stop at, in the order of their walk (a claim, a handover
# or an exit needs more than a walk: the showcase has those).
_BULK_STAGES = [
    Status.RECEIVED,
    Status.LABELLED,
    Status.IN_REFURBISHMENT,
    Status.REFURBISHED,
    Status.GRADED,
    Status.AVAILABLE,
]
_WEIGHTS = [20, 15, 20, 10, 10, 25]


def _device(
    batch: Batch, showcase: Showcase, *, serial: str, asset_tag: str, number: int
) -> Device:
    category, brand, model, _target, _fields = showcase
    phone = category in (Category.SMARTPHONE, Category.BASIC_PHONE)
    return Device(
        category=category,
        brand=brand,
        model=model,
        batch_id=batch.id,
        serial=serial,
        asset_tag=asset_tag,
        imei=imei(number) if phone else None,
    )


def certify(session: Session, settings: Settings) -> str | None:
    """Issue the showcase batch's certificate of sanitization (its devices still waiting
    for erasure listed as such); its code, or None if there is no showcase batch."""
    batch = session.exec(
        select(Batch).where(Batch.site == "Nantes, siège").order_by(col(Batch.id))
    ).first()
    if batch is None:
        return None
    key = signing.key_for(settings.certificate_key, settings.data_dir, production=False)
    issuer = certificates.Issuer(organisation=settings.organisation, name="Coordinatrice (démo)")
    issued = certificates.current(
        session,
        key=key,
        issuer=issuer,
        public_url=settings.public_url,
        actor=DEMO_ACTOR.ledger_name,
        batch_id=batch.id,
    )
    return issued.code
