"""Certificates of sanitization: issued from the ledger, signed, and checked against it.

A certificate lists, for a batch (or one device), each storage medium and where its
erasure stands, with the ledger row of the record it rests on. It is issued when asked
for, unless the newest one of the same batch or device still says exactly what the
ledger says (then that one is answered again): each issue is a `certificate.issued`
event, and a later certificate supersedes an earlier one without invalidating it.

Anyone can check a certificate by its code (`check`): every listed record must still be
the ledger row it names (its hash recomputed from its content), say the same facts, and
the whole chain must verify. Nothing personal is shown there: no operator, no donor.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session, col, select

from db import canonical, codes, devices, ledger
from db.clock import now_iso
from db.errors import N_, NotFound
from db.events import EventType
from db.media import (
    ErasureCertificate,
    ErasureRecord,
    MediumState,
    Standing,
    StorageMedium,
    standings,
)
from db.models import Batch, Device, Donor, LedgerEvent
from refurbish.erasure import signing

CODE_SYMBOLS = 9  # and a check symbol (Luhn mod 32, as device codes): XXXXX-XXXXX
# What the certificate says of a medium, from where db.media says it stands.
SHOWN = {
    MediumState.ERASED: "passed",
    MediumState.DESTROYED: "destroyed",
    MediumState.NEEDS_REPLACEMENT: "destroyed",
    MediumState.FAILED: "failed",
    MediumState.UNVERIFIED: "failed",
    MediumState.MISSING: "missing",
}
PENDING = {
    MediumState.MISSING: N_("no erasure recorded yet"),
    MediumState.FAILED: N_("the last erasure failed"),
    MediumState.UNVERIFIED: N_("erased without a verification"),
    MediumState.NEEDS_REPLACEMENT: N_("storage destroyed, replacement not fitted"),
}
NO_MEDIUM = N_("no storage medium known")
DESTINATIONS = {"parts": "parts", "recycled": "recycling"}
# Facts of a record that its ledger row must still say (db.media → service.evidence).
CHECKED = ("level", "method", "pattern", "passes", "tool", "tool_version", "passed")


class CertificateNotFound(NotFound):
    code = "certificate_not_found"
    message = N_("No certificate has the code %(code)s: check it on the printed certificate.")


class BatchNotFound(NotFound):
    code = "batch_not_found"
    message = N_("No batch number %(id)s.")


def new_code() -> str:
    data = "".join(secrets.choice(codes.ALPHABET) for _ in range(CODE_SYMBOLS))
    whole = data + codes.check_symbol(data)
    return f"{whole[:5]}-{whole[5:]}"


def normalised_code(text: str) -> str | None:
    """`text` as a certificate code (case, dashes, spaces and O/I/L forgiven), or None."""
    plain = text.upper().translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    plain = "".join(ch for ch in plain if ch not in " -\t")
    if len(plain) != CODE_SYMBOLS + 1 or any(ch not in codes.ALPHABET for ch in plain):
        return None
    if codes.check_symbol(plain[:-1]) != plain[-1]:
        return None
    return f"{plain[:5]}-{plain[5:]}"


def _medium_entry(
    standing: Standing, hashes: dict[int, str], by_id: dict[int, ErasureRecord]
) -> dict[str, Any]:
    """A medium as the certificate lists it: the erasure its standing rests on, and the
    second person's re-verification of it, if one was made since (R2v3 sampling)."""
    medium, record = standing.medium, standing.record
    entry: dict[str, Any] = {
        "medium_id": medium.id,
        "type": medium.type,
        "manufacturer": medium.manufacturer,
        "model": medium.model,
        "serial": medium.serial,
        "size_bytes": medium.size_bytes,
        "state": standing.state.value,
        "status": SHOWN[standing.state],
    }
    if record is None:
        return entry
    check = None
    if record.reverifies_id is not None and record.reverifies_id in by_id:
        record, check = by_id[record.reverifies_id], record
    entry |= {
        "erasure_id": record.id,
        "level": record.level,
        "method": record.method,
        "pattern": record.pattern,
        "passes": record.passes,
        "tool": record.tool,
        "tool_version": record.tool_version,
        "verification_method": record.verification_method,
        "verification_passed": record.verification_passed,
        "passed": record.passed,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "operator": record.operator,
        "hidden_areas": record.hidden_areas,
        "validation": None,
        "evidence": _evidence(record, hashes),
    }
    if check is not None:
        entry["validation"] = {
            "erasure_id": check.id,
            "by": check.operator,
            "at": check.recorded_at,
            "method": check.verification_method,
            "passed": check.passed,
            "evidence": _evidence(check, hashes),
        }
    return entry


def _evidence(record: ErasureRecord, hashes: dict[int, str]) -> dict[str, Any]:
    return {"seq": record.ledger_seq, "hash": hashes.get(record.ledger_seq or 0)}


def _destination(device: Device) -> dict[str, Any]:
    return {"kind": DESTINATIONS.get(device.status, "reuse")}


def _facts(session: Session, found: list[Device]) -> tuple[list[dict[str, Any]], list[Any]]:
    ids = [d.id for d in found]
    media = session.exec(
        select(StorageMedium)
        .where(col(StorageMedium.device_id).in_(ids))
        .order_by(col(StorageMedium.id))
    ).all()
    records = session.exec(select(ErasureRecord).where(col(ErasureRecord.device_id).in_(ids))).all()
    seqs = [r.ledger_seq for r in records if r.ledger_seq]
    hashes = (
        dict(
            session.exec(
                select(LedgerEvent.seq, LedgerEvent.hash).where(col(LedgerEvent.seq).in_(seqs))
            ).all()
        )
        if seqs
        else {}
    )
    media_of: dict[int, list[StorageMedium]] = defaultdict(list)
    records_of: dict[int, list[ErasureRecord]] = defaultdict(list)
    for medium in media:
        media_of[medium.device_id].append(medium)
    for record in records:
        records_of[record.device_id].append(record)
    entries, pending = [], []
    for device in found:
        mine = records_of[device.id or 0]
        standing = standings(media_of[device.id or 0], mine)
        by_id = {r.id or 0: r for r in mine}
        shown = codes.display(device.code)
        entries.append(
            {
                "code": shown,
                "category": device.category,
                "brand": device.brand,
                "model": device.model,
                "serial": device.serial,
                "asset_tag": device.asset_tag,
                "destination": _destination(device),
                "media": [_medium_entry(s, hashes, by_id) for s in standing],
            }
        )
        if not standing:
            pending.append({"code": shown, "reason": NO_MEDIUM})
        waiting = [s for s in standing if not s.done]
        if waiting:
            pending.append({"code": shown, "reason": PENDING[waiting[0].state]})
    return entries, pending


def _digest(value: Any) -> str:
    return hashlib.sha256(canonical.dumps(value)).hexdigest()


@dataclass
class Issuer:
    organisation: str
    name: str
    title: str | None = None


def current(
    session: Session,
    *,
    key: Ed25519PrivateKey,
    issuer: Issuer,
    public_url: str,
    actor: str,
    batch_id: int | None = None,
    code: str | None = None,
    issue: bool = True,
) -> ErasureCertificate | None:
    """The certificate of batch `batch_id` (or device `code`) as the ledger stands now:
    the newest one issued if it still says the same, else a new one superseding it
    (None instead, when not `issue`: a read-only transaction finds out first)."""
    if batch_id is not None:
        batch = session.get(Batch, batch_id)
        if batch is None:
            raise BatchNotFound(id=batch_id)
        found = list(
            session.exec(
                select(Device).where(col(Device.batch_id) == batch_id).order_by(col(Device.id))
            ).all()
        )
        scope, where = "batch", col(ErasureCertificate.batch_id) == batch_id
        device_id = None
    else:
        device = devices.by_code(session, code or "")
        batch = session.get(Batch, device.batch_id) if device.batch_id else None
        found, scope, device_id = [device], "device", device.id
        where = col(ErasureCertificate.device_id) == device.id
    donor = session.get(Donor, batch.donor_id) if batch is not None else None
    entries, pending = _facts(session, found)
    facts = {
        "scope": scope,
        "batch": {
            "id": batch.id if batch else None,
            "pickup_date": batch.pickup_date.isoformat() if batch else None,
            "site": batch.site if batch else None,
        },
        "donor": {"name": donor.name if donor else None},
        "devices": entries,
        "pending": pending,
        "issuer": {"organisation": issuer.organisation, "name": issuer.name, "title": issuer.title},
    }
    newest = session.exec(
        select(ErasureCertificate)
        .where(where, col(ErasureCertificate.scope) == scope)
        .order_by(col(ErasureCertificate.id).desc())
        .limit(1)
    ).first()
    digest = _digest(facts)
    if newest is not None and newest.envelope["content"].get("facts_sha256") == digest:
        return newest
    if not issue:
        return None
    head = ledger.lock(session)
    certificate = new_code()
    content = {
        **facts,
        "certificate": certificate,
        "issued_at": now_iso(),
        "facts_sha256": digest,
        "supersedes": newest.code if newest is not None else None,
        "ledger": {"seq": head.seq, "hash": head.hash},
        "verify_url": f"{public_url.rstrip('/')}/verify/{certificate}",
    }
    envelope = signing.sign(content, key)
    appended = ledger.append(
        session,
        actor=actor,
        type=EventType.CERTIFICATE_ISSUED,
        payload={
            "certificate": certificate,
            "scope": scope,
            "batch_id": batch.id if batch else None,
            "device_id": device_id,
            "content_sha256": _digest(content),
            "key_id": envelope["key_id"],
            "devices": len(entries),
            "media": sum(len(e["media"]) for e in entries),
            "pending": len(pending),
            "supersedes": content["supersedes"],
        },
    )
    row = ErasureCertificate(
        code=certificate,
        scope=scope,
        batch_id=batch.id if scope == "batch" and batch else None,
        device_id=device_id,
        envelope=envelope,
        supersedes_id=newest.id if newest is not None else None,
        ledger_seq=appended.seq,
        issued_at=content["issued_at"],
        issued_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def by_code(session: Session, text: str) -> ErasureCertificate:
    code = normalised_code(text)
    found = (
        session.exec(select(ErasureCertificate).where(col(ErasureCertificate.code) == code)).first()
        if code
        else None
    )
    if found is None:
        raise CertificateNotFound(code=text[:40])
    return found


@dataclass
class Check:
    """What checking a certificate against the ledger found, per medium and overall."""

    certificate: str
    problems: list[dict[str, Any]] = field(default_factory=list)
    chain_ok: bool = True
    chain_problem: str | None = None
    later: list[dict[str, Any]] = field(default_factory=list)  # facts changed since

    @property
    def ok(self) -> bool:
        return self.chain_ok and not self.problems


def _row_ok(row: LedgerEvent) -> bool:
    digest = canonical.row_hash(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        device=row.device_id,
        type=row.type,
        payload=row.payload,
        prev=row.prev_hash,
    )
    return digest == row.hash


def check(session: Session, certificate: ErasureCertificate) -> Check:
    """Check every medium of the certificate against the ledger, and the whole chain."""
    content = certificate.envelope["content"]
    result = Check(certificate=certificate.code)
    entries = [(d, m) for d in content["devices"] for m in d["media"] if m.get("evidence")]
    entries += [
        (d, {**m, **m["validation"], "erasure_id": m["validation"]["erasure_id"], "checks": True})
        for d, m in list(entries)
        if m.get("validation")
    ]
    seqs = [m["evidence"]["seq"] for _, m in entries if m["evidence"].get("seq")]
    rows = (
        {
            r.seq: r
            for r in session.exec(select(LedgerEvent).where(col(LedgerEvent.seq).in_(seqs))).all()
        }
        if seqs
        else {}
    )
    for device, medium in entries:
        which = {"device": device["code"], "medium": _named(medium)}
        evidence = medium["evidence"]
        row = rows.get(evidence.get("seq") or 0)
        kinds = (EventType.DEVICE_ERASURE_RECORDED, EventType.DEVICE_ERASURE_REVERIFIED)
        if row is None or row.type not in kinds:
            result.problems.append({**which, "reason": N_("its ledger row is missing")})
            continue
        if row.hash != evidence.get("hash") or not _row_ok(row):
            result.problems.append({**which, "reason": N_("its ledger row was changed")})
            continue
        said = orjson.loads(row.payload)
        checked = ("passed",) if medium.get("checks") else CHECKED
        differs = [k for k in checked if said.get(k) != medium.get(k)]
        if said.get("erasure_id") != medium.get("erasure_id") or differs:
            result.problems.append(
                {**which, "reason": N_("the ledger says otherwise"), "fields": differs}
            )
    _later(session, content, result)
    verified = _chain(session, full=bool(result.problems))
    result.chain_ok = verified.ok
    if not verified.ok:
        result.chain_problem = f"row {verified.first_bad_seq}: {verified.reason}"
    return result


# The head each database's chain was last verified up to, and when it was verified whole.
_VERIFIED: dict[str, tuple[ledger.Head, float]] = {}
FULL_CHECK_SECONDS = 3600.0  # as often as the scheduled ledger check, by default


def _chain(session: Session, *, full: bool) -> ledger.Verification:
    """The whole chain verified, walking only the rows added since this process last
    verified it (their predecessor's row still holding the hash it had), and all of it
    once an hour or when a certificate's own rows were found changed: a public page must
    not walk a million rows on every request."""
    key = str(session.get_bind().url)
    cached = _VERIFIED.get(key)
    fresh = cached is not None and time.monotonic() - cached[1] < FULL_CHECK_SECONDS
    since = cached[0] if cached is not None and fresh and not full else None
    verified = ledger.verify(session, since=since)
    if verified.ok:
        whole_at = cached[1] if since is not None and cached is not None else time.monotonic()
        _VERIFIED[key] = (verified.head, whole_at)
    else:
        _VERIFIED.pop(key, None)
    return verified


def _named(medium: dict[str, Any]) -> str:
    make = " ".join(p for p in (medium.get("manufacturer"), medium.get("model")) if p)
    serial = f" S/N {medium['serial']}" if medium.get("serial") else ""
    return f"{medium.get('type', '').upper()} {make}{serial}".strip()


def _later(session: Session, content: dict[str, Any], result: Check) -> None:
    """Media whose newest record is not the one listed any more (erased again, or failed
    a re-verification since): the certificate stays true of its day, and says so."""
    listed = {
        m["medium_id"]: (d["code"], m)
        for d in content["devices"]
        for m in d["media"]
        if m.get("medium_id")
    }
    if not listed:
        return
    # Only the columns compared: a record's report and errors may be large.
    rows = session.exec(
        select(
            ErasureRecord.id,
            ErasureRecord.medium_id,
            ErasureRecord.passed,
            ErasureRecord.recorded_at,
        ).where(col(ErasureRecord.medium_id).in_(list(listed)))
    ).all()
    newest: dict[int, tuple[int, bool, str]] = {}
    for record_id, medium_id, passed, recorded_at in rows:
        if medium_id not in newest or (record_id or 0) > newest[medium_id][0]:
            newest[medium_id] = (record_id or 0, passed, recorded_at)
    for medium_id, (device, medium) in listed.items():
        found = newest.get(medium_id)
        listed_id = (medium.get("validation") or {}).get("erasure_id") or medium.get("erasure_id")
        if found is not None and found[0] != listed_id:
            result.later.append(
                {
                    "device": device,
                    "medium": _named(medium),
                    "passed": found[1],
                    "recorded_at": found[2],
                }
            )


def public_view(certificate: ErasureCertificate, result: Check) -> dict[str, Any]:
    """What anyone may read of a certificate: no operator, no donor, no issuer's name."""
    content = certificate.envelope["content"]
    return {
        "certificate": certificate.code,
        "issued_at": content["issued_at"],
        "scope": content["scope"],
        "organisation": content["issuer"]["organisation"],
        "batch": {"id": content["batch"]["id"], "pickup_date": content["batch"]["pickup_date"]},
        "supersedes": content.get("supersedes"),
        "key_id": certificate.envelope.get("key_id"),
        "devices": [
            {
                "code": device["code"],
                "category": device["category"],
                "media": [
                    {
                        "type": m["type"],
                        "manufacturer": m.get("manufacturer"),
                        "model": m.get("model"),
                        "serial": m.get("serial"),
                        "status": m["status"],
                        "level": m.get("level"),
                        "method": m.get("method"),
                        "verification_method": m.get("verification_method"),
                        "finished_at": m.get("finished_at"),
                    }
                    for m in device["media"]
                ],
            }
            for device in content["devices"]
        ],
        "pending": [p["code"] for p in content.get("pending", [])],
        "valid": result.ok,
        "problems": result.problems,
        "chain": {"ok": result.chain_ok, "problem": result.chain_problem},
        "changed_since": result.later,
    }
