"""Certificate routes: issued to staff for a batch or a device, checked by anyone by code."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from db.engine import transaction
from refurbish.erasure import certificate_pdf, certificates, service, signing
from remise.auth import Actor, Permission
from remise.deps import IdPath, SessionDep, get_engine, get_settings, require
from remise.errors import locale_of
from remise.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["certificates"])
Reader = Annotated[Actor, Depends(require(Permission.BATCHES_READ))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
_KEY_LOCK = threading.Lock()


class CertificateRead(BaseModel):
    certificate: str = Field(description="the public verification code")
    verify_url: str
    issued_at: str
    supersedes: str | None
    envelope: dict[str, Any] = Field(description="content, algorithm, key_id, signature")


class PublicKeyRead(BaseModel):
    algorithm: str
    key_id: str
    public_key_base64: str = Field(description="the raw Ed25519 public key, base64")
    public_key_pem: str


def signing_key(request: Request) -> Ed25519PrivateKey:
    """The key that signs certificates: the configured file, or (development) the data
    directory's, made on first use; kept for the process."""
    state = request.app.state
    if (key := getattr(state, "certificate_key", None)) is not None:
        return key
    settings: Settings = state.settings
    with _KEY_LOCK:
        if getattr(state, "certificate_key", None) is None:
            production = settings.environment == "production"
            state.certificate_key = signing.key_for(
                settings.certificate_key, settings.data_dir, production
            )
    return state.certificate_key


KeyDep = Annotated[Ed25519PrivateKey, Depends(signing_key)]


def _issue(
    request: Request,
    session: Any,
    actor: Actor,
    key: Ed25519PrivateKey,
    settings: Settings,
    **which: Any,
) -> Any:
    """The certificate as the ledger stands, looked for in the request's read-only
    transaction; only when a new one is due does a writing transaction issue it, so
    that asking again for an unchanged certificate never waits for SQLite's write lock."""

    def current(on: Any, issue: bool) -> Any:
        issuer = certificates.Issuer(
            organisation=settings.organisation, name=service.operator_name(on, actor)
        )
        return certificates.current(
            on,
            key=key,
            issuer=issuer,
            public_url=settings.public_url,
            actor=actor.ledger_name,
            issue=issue,
            **which,
        )

    found = current(session, issue=False)
    if found is not None:
        return found
    with transaction(get_engine(request)) as writer:
        return current(writer, issue=True)  # looked for again under the ledger's lock


def _read(row: Any) -> CertificateRead:
    content = row.envelope["content"]
    return CertificateRead(
        certificate=row.code,
        verify_url=content["verify_url"],
        issued_at=row.issued_at,
        supersedes=content.get("supersedes"),
        envelope=row.envelope,
    )


def _pdf(row: Any, request: Request, settings: Settings) -> Response:
    """The certificate as a PDF, drawn once the transaction that may have issued it is
    committed (`_issue`): a large batch's PDF takes a second or more, and no lock is
    held meanwhile."""
    code, envelope = row.code, row.envelope
    data = certificate_pdf.render(envelope, locale_of(request), timezone=settings.timezone)
    name = f"certificat-effacement-{code}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get("/batches/{batch_id}/certificate", response_model=CertificateRead)
def batch_certificate(
    batch_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: Reader,
    key: KeyDep,
    settings: SettingsDep,
) -> CertificateRead:
    """The batch's certificate of sanitization as the ledger stands: the newest one issued
    if it still says the same, else a new one (a `certificate.issued` event) that
    supersedes it. Devices still waiting for erasure are listed in `pending`."""
    return _read(_issue(request, session, actor, key, settings, batch_id=batch_id))


@router.get("/batches/{batch_id}/certificate.pdf", response_class=Response)
def batch_certificate_pdf(
    batch_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: Reader,
    key: KeyDep,
    settings: SettingsDep,
) -> Response:
    """The batch's certificate as a PDF (in the reader's language), its signed content
    embedded so that `remise certificate verify FILE.pdf` checks it offline."""
    row = _issue(request, session, actor, key, settings, batch_id=batch_id)
    return _pdf(row, request, settings)


@router.get("/devices/{code}/certificate.pdf", response_class=Response)
def device_certificate_pdf(
    code: str,
    request: Request,
    session: SessionDep,
    actor: Reader,
    key: KeyDep,
    settings: SettingsDep,
) -> Response:
    """One device's certificate as a PDF (a donor may ask for one per device)."""
    row = _issue(request, session, actor, key, settings, code=code)
    return _pdf(row, request, settings)


@router.get("/certificates/key", response_model=PublicKeyRead)
def certificate_key(key: KeyDep) -> PublicKeyRead:
    """The public key that checks certificates' signatures (no sign-in needed)."""
    return PublicKeyRead(
        algorithm=signing.ALGORITHM,
        key_id=signing.key_id(key.public_key()),
        public_key_base64=signing.public_key_base64(key),
        public_key_pem=signing.public_key_pem(key),
    )


@router.get("/certificates/{code}", response_model=dict[str, Any])
def check_certificate(code: str, session: SessionDep) -> dict[str, Any]:
    """Check a certificate by its code against the ledger (no sign-in needed): every
    listed medium and result must still be what the ledger says, and the chain must
    verify. `valid` false names the medium that fails. Nothing personal is shown."""
    row = certificates.by_code(session, code)
    return certificates.public_view(row, certificates.check(session, row))
