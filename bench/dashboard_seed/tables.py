"""The seeded network's rows, table by table, as the migrations' columns hold them.

Each table is a name, its columns and a generator of rows (JSON columns as text), in
an order that satisfies the foreign keys; `load` writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from bench.dashboard_seed import workshop
from bench.dashboard_seed.bench_tables import Row, Source, Table, bench_tables
from bench.dashboard_seed.history import move_micros
from bench.dashboard_seed.plan import CATEGORIES, DAY, Network
from bench.dashboard_seed.texts import DEPARTEMENTS, MODELS, SITES, Stamps, code_of, person, price
from bench.dashboard_seed.texts import as_json as _json
from bench.dashboard_seed.workshop import Fact
from refurbish.defaults import DEFAULTS

STOCK = frozenset({"received", "labelled", "in_refurbishment", "refurbished", "graded"})
STOCK |= {"available", "reserved"}
CLAIM_DAYS = 14  # distribution.rules: a reservation lasts two weeks


def tables(network: Network, known: list[Fact]) -> list[Table]:
    """Every table but the ledger (`history`), `flow_day` and the users."""
    src = Source(network, known, Stamps(network.start))
    mine = [(name, columns, partial(rows, src)) for name, columns, rows in TABLES]
    return [*mine, *bench_tables(src)]


def donors(src: Source) -> Iterator[Row]:
    network, at = src.network, src.at
    for n, created in enumerate(network.donors_created, start=1):
        siret = f"{n:014d}"
        yield (
            n,
            f"Donateur {n}",
            siret,
            "Claire Martin",
            f"don{n}@example.org",
            None,
            at(created),
        )


def batches(src: Source) -> Iterator[Row]:
    network, at = src.network, src.at
    for b in network.batches:
        closed = workshop.closed_at(network, b.id)
        comment = None
        if closed is not None and b.declared != b.received:
            comment = "Écart constaté au déballage, signalé au donateur."
        site = SITES[b.id % len(SITES)]
        yield (
            b.id, b.donor_id, src.stamps.date(b.at), site, _json(b.declared), f"Atelier {site}",
            closed is not None, comment, None if closed is None else at(closed),
            None if closed is None else "coord", at(max(0, b.at - 3600)), person(b.id),
        )  # fmt: skip


def structures(src: Source) -> Iterator[Row]:
    network, at = src.network, src.at
    for s in network.structures:
        quotas = {"laptop": 60 + s.id % 90, "smartphone": 40 + s.id % 60}
        quotas |= {"tablet": 10 + s.id % 20, "desktop": 10 + s.id % 15}
        place = DEPARTEMENTS[s.id % len(DEPARTEMENTS)]
        yield (
            s.id, f"Structure {s.id}", s.status, f"{s.id} rue de la Paix", f"{place}000",
            SITES[s.id % len(SITES)], place, "job_seekers", None, "Sam Durand",
            f"structure{s.id}@example.org", None, _json(quotas), at(s.created), None,
        )  # fmt: skip


def devices(src: Source) -> Iterator[Row]:
    known = src.known
    for d, _bench, _ids in known:
        brand, model = MODELS[d.category][d.id % 3]
        phone = d.category in ("smartphone", "basic_phone")
        serial = None if d.id % 9 == 0 else f"SN{d.id:09d}"
        imei = f"35{d.id:013d}" if phone else None
        tag = f"PARC-{d.id:07d}" if d.id % 4 == 0 else None
        where = f"Atelier {SITES[d.batch_id % len(SITES)]}, étagère {d.id % 40}"
        grade = d.grade
        attributes = {"ram_gb": 8, "storage_gb": 256} if d.category == "laptop" else {}
        yield (
            d.id, code_of(d.id), d.batch_id, d.category, brand, model, serial, imei, tag,
            d.status, grade, price(d.category, grade), where if d.status in STOCK else None,
            d.structure_id, src.stamp(move_micros(d, d.reached - 1)), _json(attributes),
        )  # fmt: skip


def claims(src: Source) -> Iterator[Row]:
    network, at = src.network, src.at
    for c in network.claims:
        total = sum(_price_of(network, i) for i in c.devices)
        expires, handed = at(c.at + CLAIM_DAYS * DAY), c.handed_over
        yield (
            c.id, c.structure_id, "reserved" if handed is None else "handed_over", at(c.at),
            f"structure-{c.structure_id}", expires, None, None, None, total,
            None if handed is None else "Sam Durand", None if handed is None else at(handed),
            None if handed is None else person(c.id), None, None,
        )  # fmt: skip


def claim_items(src: Source) -> Iterator[Row]:
    network, at = src.network, src.at
    n = 0
    for c in network.claims:
        state = "reserved" if c.handed_over is None else "handed_over"
        for i in c.devices:
            n += 1
            d = network.devices[i - 1]
            scanned = None if c.handed_over is None else at(c.handed_over)
            yield (
                n, c.id, i, c.structure_id, d.category, _price_of(network, i), state, True,
                at(c.at), scanned, None if scanned is None else person(c.id),
            )  # fmt: skip


def catalog(src: Source) -> Iterator[Row]:
    known, at = src.known, src.at
    for d, _bench, _ids in known:
        if d.status != "available":
            continue
        brand, model = MODELS[d.category][d.id % 3]
        rank = "ABC".index(d.grade or "C") + 1
        laptop = d.category == "laptop"
        yield (
            d.id, code_of(d.id), d.category, brand, model, d.grade, rank,
            price(d.category, d.grade), 8 if laptop else None, 256 if laptop else None,
            "ssd" if laptop else None, None, None, "linux" if laptop else None, None,
            None, None, at(d.since),
        )  # fmt: skip


def templates(src: Source) -> Iterator[Row]:
    at = src.at
    for n, category in enumerate(CATEGORIES, start=1):
        yield n, category, 1, _json(DEFAULTS[category]), at(0), "coord"


def _price_of(network: Network, device_id: int) -> int:
    d = network.devices[device_id - 1]
    return price(d.category, d.grade) or 0


DONOR = ("id", "name", "siret", "contact_name", "contact_email", "contact_phone", "created_at")
BATCH = ("id", "donor_id", "pickup_date", "site", "declared", "workshop", "closed")
BATCH += ("closing_comment", "closed_at", "closed_by", "created_at", "created_by")
STRUCTURE = ("id", "name", "status", "address", "postcode", "city", "departement")
STRUCTURE += ("public_category", "public_description", "contact_name", "contact_email")
STRUCTURE += ("contact_phone", "quotas", "created_at", "updated_at")
DEVICE = ("id", "code", "batch_id", "category", "brand", "model", "serial", "imei")
DEVICE += ("asset_tag", "status", "grade", "price_cents", "location", "structure_id")
DEVICE += ("status_since", "attributes")
CLAIM = ("id", "structure_id", "state", "created_at", "created_by", "expires_at")
CLAIM += ("reminded_at", "waitlist_entry_id", "fault_id", "total_cents", "collector")
CLAIM += ("handed_over_at", "handed_over_by", "ended_at", "ended_by")
CLAIM_ITEM = ("id", "claim_id", "device_id", "structure_id", "category", "price_cents")
CLAIM_ITEM += ("state", "counts_in_quota", "reserved_at", "scanned_at", "scanned_by")
CATALOG_ITEM = ("device_id", "code", "category", "brand", "model", "grade", "grade_rank")
CATALOG_ITEM += ("price_cents", "ram_gb", "storage_gb", "storage_type", "screen_in", "cpu", "os")
CATALOG_ITEM += ("battery_percent", "definition_fr", "definition_en", "since")
TEMPLATE = ("id", "category", "version", "steps", "created_at", "created_by")

TABLES = (
    ("donor", DONOR, donors),
    ("batch", BATCH, batches),
    ("structure", STRUCTURE, structures),
    ("device", DEVICE, devices),
    ("claim", CLAIM, claims),
    ("claim_item", CLAIM_ITEM, claim_items),
    ("catalog_item", CATALOG_ITEM, catalog),
    ("checklist_template", TEMPLATE, templates),
)
