"""Demo distribution: partner structures (active, pending, suspended) with quotas, a held
claim, a waitlist entry, and a handover with its receipt; and, for trying Remise at
scale, available devices seeded in bulk with the specs the catalogue filters on.

Everything goes through distribution's services, so the claims, the ledger and the
catalogue agree as they would in real use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from db.enums import Category, PublicCategory, Status, StructureStatus
from db.models import Device
from distribution import claims, holding, service
from distribution.models import ClaimCreate, HandoverIn, StructureCreate, StructureUpdate
from grading import documents as grading_documents
from grading import pricing
from remise.auth import Actor


@dataclass(frozen=True)
class DemoStructure:
    name: str
    status: StructureStatus
    city: str
    departement: str
    public: PublicCategory
    said: str
    quotas: dict[str, int]


STRUCTURES: tuple[DemoStructure, ...] = (
    DemoStructure(
        "Centre social La Passerelle",
        StructureStatus.ACTIVE,
        "Nantes",
        "44",
        PublicCategory.JOB_SEEKERS,
        "Ateliers numériques pour les demandeurs d'emploi du quartier",
        {"laptop": 10, "smartphone": 20, "tablet": 5, "desktop": 3, "basic_phone": 10},
    ),
    DemoStructure(
        "Mission locale Nantes Sud",
        StructureStatus.ACTIVE,
        "Rezé",
        "44",
        PublicCategory.YOUTH,
        "Jeunes de 16 à 25 ans en insertion",
        {"laptop": 8, "smartphone": 15, "tablet": 3},
    ),
    DemoStructure(
        "Association Les Pousses",
        StructureStatus.PENDING,
        "Saint-Nazaire",
        "44",
        PublicCategory.SENIORS,
        "Cafés numériques pour les aînés",
        {},
    ),
    DemoStructure(
        "Foyer Le Phare",
        StructureStatus.SUSPENDED,
        "Angers",
        "49",
        PublicCategory.HOUSING,
        "Hébergement d'urgence",
        {"smartphone": 5},
    ),
)


def structures(session: Session, actor: Actor) -> list[int]:
    """The demo structures, created with their details, status and quotas."""
    made = []
    for demo in STRUCTURES:
        structure = service.ensure_structure(session, actor, name=demo.name)
        assert structure.id is not None
        details = StructureCreate(
            name=demo.name,
            city=demo.city,
            departement=demo.departement,
            public_category=demo.public,
            public_description=demo.said,
            contact_name="Référent numérique",
        ).model_dump(exclude={"name"}, exclude_none=True)
        update = StructureUpdate(**details, quotas=demo.quotas or None)
        service.update_structure(session, actor, structure.id, data=update)
        if demo.status != StructureStatus.PENDING:
            service.set_status(session, actor, structure.id, demo.status)
        made.append(structure.id)
    return made


def claims_and_handover(
    session: Session, actor: Actor, held: list[Device], given: list[Device], ids: list[int]
) -> None:
    """The first structure holds `held`; the second collected `given` (its receipt); the
    first waits for two laptops of grade A, more than the stock has."""
    policy = claims.ClaimPolicy()
    passerelle, mission = ids[0], ids[1]
    if held:
        data = ClaimCreate(device_codes=[d.code for d in held], structure_id=passerelle)
        claims.create_claim(session, actor, data=data, policy=policy)
    if given:
        data = ClaimCreate(device_codes=[d.code for d in given], structure_id=mission)
        made = claims.create_claim(session, actor, data=data, policy=policy).claim
        assert made is not None and made.id is not None
        handover = HandoverIn(collector="Karim Benali", device_codes=[d.code for d in given])
        holding.hand_over(session, actor, made.id, data=handover, policy=policy)
    wanted = ClaimCreate.model_validate(
        {
            "quantity": 2,
            "criteria": {"category": "laptop", "min_grade": "A"},
            "waitlist": True,
            "structure_id": passerelle,
        }
    )
    claims.create_claim(session, actor, data=wanted, policy=policy)


# What the bulk-seeded devices are, by category: brand, model, and the specs the
# catalogue shows (RAM GiB, storage GB and type, screen, processor, OS).
SPECS: dict[Category, list[tuple[str, str, dict[str, Any]]]] = {
    Category.LAPTOP: [
        ("Lenovo", "ThinkPad T480", {"ram_gb": 8, "storage_gb": 256, "storage_type": "ssd",
         "screen_in": "14", "cpu": "Intel Core i5-8250U", "os": "windows"}),
        ("Dell", "Latitude 5490", {"ram_gb": 16, "storage_gb": 512, "storage_type": "nvme",
         "screen_in": "14", "cpu": "Intel Core i7-8650U", "os": "windows"}),
        ("HP", "ProBook 450 G3", {"ram_gb": 4, "storage_gb": 500, "storage_type": "hdd",
         "screen_in": "15.6", "cpu": "Intel Core i3-6100U", "os": "linux"}),
    ],
    Category.DESKTOP: [
        ("Dell", "OptiPlex 7060", {"ram_gb": 8, "storage_gb": 256, "storage_type": "ssd",
         "cpu": "Intel Core i5-8500", "os": "windows"}),
    ],
    Category.SMARTPHONE: [
        ("Samsung", "Galaxy A52", {"ram_gb": 6, "storage_gb": 128, "storage_type": "flash",
         "screen_in": "6.5", "os": "android"}),
        ("Apple", "iPhone 8", {"ram_gb": 2, "storage_gb": 64, "storage_type": "flash",
         "screen_in": "4.7", "os": "ios"}),
    ],
    Category.TABLET: [
        ("Samsung", "Galaxy Tab A 10.1", {"ram_gb": 3, "storage_gb": 32, "storage_type": "flash",
         "screen_in": "10.1", "os": "android"}),
    ],
}  # fmt: skip
_CATEGORY_WEIGHTS = {Category.LAPTOP: 5, Category.DESKTOP: 1, Category.SMARTPHONE: 4}
_CATEGORY_WEIGHTS[Category.TABLET] = 1


@dataclass(frozen=True)
class Grader:
    """The grades' sentences and the grid's prices in force, read once for a bulk seed."""

    sentences: dict[str, dict[str, str]]
    prices: dict[tuple[str, str], int]

    @classmethod
    def now(cls, session: Session, today: date) -> Grader:
        _v, rules, _r = grading_documents.current_rules(session)
        _g, grid, _row = grading_documents.current_grid(session, today)
        sentences = {
            grade: {"fr": words.in_("fr"), "en": words.in_("en")}
            for grade, words in rules.grades.items()
        }
        prices = {}
        for category in SPECS:
            for grade in "ABC":
                price = pricing.price_for(grid, category.value, grade, {})
                if price is not None:
                    prices[(category.value, grade)] = price.cents
        return cls(sentences, prices)


def available_walk(
    rng: random.Random, category: Category, grader: Grader
) -> tuple[dict[str, Any], list[tuple[Status, dict[str, Any]]]]:
    """A device's fields and its walk to `available`, graded and priced as grading would."""
    brand, model, specs = rng.choice(SPECS[category])
    grade = rng.choices("ABC", weights=(3, 5, 2))[0]
    battery = rng.randint(62, 98) if category != Category.DESKTOP else None
    said = {"grade": grade, "specs": specs | {"battery_percent": battery}}
    for locale in ("fr", "en"):
        said[locale] = {"sentence": grader.sentences.get(grade, {}).get(locale)}
    walk = [
        (Status.LABELLED, {}),
        (Status.IN_REFURBISHMENT, {}),
        (Status.REFURBISHED, {}),
        (Status.GRADED, {"grade": grade, "attributes": {"grading": said}}),
        (Status.AVAILABLE, {"price_cents": grader.prices.get((category.value, grade), 5000)}),
    ]
    return {"category": category.value, "brand": brand, "model": model}, walk


def pick_category(rng: random.Random) -> Category:
    return rng.choices(list(_CATEGORY_WEIGHTS), weights=list(_CATEGORY_WEIGHTS.values()))[0]
