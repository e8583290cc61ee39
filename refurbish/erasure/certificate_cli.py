"""`remise certificate …`: check a certificate PDF offline, make and show the signing key.

`verify` needs no database and no server: it reads the signed content attached to the PDF
and checks its Ed25519 signature with the key given (README prints the association's
public key), so a donor can check a certificate years after it was issued.
"""

from __future__ import annotations

import getpass
from collections import Counter
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from db.engine import transaction
from db.errors import N_, DomainError
from refurbish.erasure import certificate_pdf, certificates, signing
from refurbish.erasure.certificate_words import STATUSES, Words
from remise.auth import system_actor
from remise.i18n import translate
from remise.runtime import engine_for
from remise.settings import Settings

app = typer.Typer(
    help="Certificates of sanitization: check a PDF's signature offline; the signing key.",
    no_args_is_help=True,
)
NO_LOCAL_KEY = N_(
    "No key to check the signature with: give --key KEY (the public key printed in README, "
    "or served at /api/v1/certificates/key); there is no local key at %(where)s."
)


@app.command("verify")
def verify_command(
    pdf: Annotated[Path, typer.Argument(help="the certificate PDF", dir_okay=False)],
    key: Annotated[
        str | None,
        typer.Option(help="public key: a PEM file, or the base64 key printed in README"),
    ] = None,
) -> None:
    """Check the signed content attached to a certificate PDF; exit status 1 if it fails."""
    settings = Settings()
    words = Words(settings.default_locale, ZoneInfo(settings.timezone))
    try:
        data = pdf.read_bytes()
    except OSError as exc:
        typer.echo(f"{pdf}: {exc.strerror}", err=True)
        raise typer.Exit(1) from exc
    try:
        envelope = certificate_pdf.embedded_envelope(data)
        public = _checking_key(key, settings)
        for line in describe(envelope, words):
            typer.echo(line)
        signing.verify(envelope, public)
    except DomainError as exc:
        typer.echo(translate(words.locale, exc.template, **exc.params), err=True)
        raise typer.Exit(1) from exc
    typer.echo(words(N_("Signature valid, key id %(key_id)s."), key_id=envelope["key_id"]))


@app.command("new-key")
def new_key_command(
    file: Annotated[Path, typer.Argument(help="where to write the private key (PEM)")],
) -> None:
    """Make a signing key file (mode 0600) and print its public key; never overwrites."""
    locale = Settings().default_locale
    try:
        key = signing.create_key(file)
    except FileExistsError as exc:
        message = N_("%(path)s already exists: a signing key is never overwritten.")
        typer.echo(translate(locale, message, path=str(file)), err=True)
        raise typer.Exit(1) from exc
    _print_public(key, file, locale)
    hint = N_(
        "Set REMISE_CERTIFICATE_KEY=%(path)s and publish the public key above in README's "
        "deployment section."
    )
    typer.echo(translate(locale, hint, path=str(file.resolve())))


@app.command("key")
def key_command() -> None:
    """Print the public key that signs certificates (made on first use outside production)."""
    settings = Settings()
    configured = getattr(settings, "certificate_key", None)
    production = settings.environment == "production"
    try:
        key = signing.key_for(configured, settings.data_dir, production)
    except DomainError as exc:
        typer.echo(translate(settings.default_locale, exc.template, **exc.params), err=True)
        raise typer.Exit(1) from exc
    path = signing.key_path(configured, settings.data_dir)
    _print_public(key, path, settings.default_locale)


@app.command("issue")
def issue_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="where to write the PDF")],
    batch: Annotated[int | None, typer.Option(help="the batch's number")] = None,
    device: Annotated[str | None, typer.Option(help="one device's code")] = None,
    language: Annotated[str | None, typer.Option(help="fr or en (default: the setting)")] = None,
) -> None:
    """Write the certificate of a batch (or of one device) as the ledger stands now: the
    newest one if nothing changed since, else a new one that supersedes it."""
    settings = Settings()
    locale = language if language in ("fr", "en") else settings.default_locale
    if (batch is None) == (device is None):
        typer.echo(translate(locale, N_("Give either --batch or --device.")), err=True)
        raise typer.Exit(2)
    actor = system_actor(f"cli:{getpass.getuser()}")
    try:
        key = signing.key_for(
            settings.certificate_key, settings.data_dir, settings.environment == "production"
        )
        with transaction(engine_for(settings)) as session:
            issued = certificates.current(
                session,
                key=key,
                issuer=certificates.Issuer(organisation=settings.organisation, name=actor.username),
                public_url=settings.public_url,
                actor=actor.ledger_name,
                batch_id=batch,
                code=device,
            )
            envelope = issued.envelope
    except DomainError as exc:
        typer.echo(translate(locale, exc.template, **exc.params), err=True)
        raise typer.Exit(1) from exc
    output.write_bytes(certificate_pdf.render(envelope, locale, timezone=settings.timezone))
    content = envelope["content"]
    typer.echo(
        translate(
            locale,
            N_("Certificate %(code)s written to %(path)s (%(url)s)."),
            code=content["certificate"],
            path=str(output),
            url=content["verify_url"],
        )
    )


def describe(envelope: dict[str, Any], words: Words) -> list[str]:
    """What the envelope's content says it certifies, before its signature is checked."""
    content = envelope.get("content")
    if not isinstance(content, dict):
        return []
    devices = [d for d in content.get("devices") or [] if isinstance(d, dict)]
    media = [m for d in devices for m in d.get("media") or [] if isinstance(m, dict)]
    counts = Counter(str(m.get("status")) for m in media)
    tally = ", ".join(
        words(N_("%(label)s: %(count)s"), label=words.term(STATUSES, status), count=count)
        for status, count in sorted(counts.items(), key=_in_status_order)
    )
    lines = [
        words(
            N_("Certificate %(code)s, issued on %(date)s"),
            code=content.get("certificate"),
            date=_issued(content.get("issued_at"), words),
        ),
        f"{words.devices(len(devices))}, {words.media(len(media))}"
        + (f" ({tally})" if tally else ""),
    ]
    pending = [str(p.get("code")) for p in content.get("pending") or [] if isinstance(p, dict)]
    if pending:
        lines.append(words(N_("Still waiting for erasure: %(codes)s"), codes=", ".join(pending)))
    if content.get("supersedes"):
        lines.append(words(N_("Supersedes certificate %(code)s."), code=content["supersedes"]))
    return lines


def _in_status_order(item: tuple[str, int]) -> int:
    order = list(STATUSES)
    return order.index(item[0]) if item[0] in order else len(order)


def _issued(value: Any, words: Words) -> str:
    text = str(value)
    try:
        return words.long_moment(text)
    except ValueError:
        return text  # not a time: printed as it is, the signature check says the rest


def _checking_key(given: str | None, settings: Settings) -> Ed25519PublicKey:
    """The key given, else the public half of the local signing key; never makes one."""
    if given:
        return signing.load_public_key(given)
    path = signing.key_path(getattr(settings, "certificate_key", None), settings.data_dir)
    if not path.exists():
        raise signing.CertificateKeyError(NO_LOCAL_KEY, where=str(path))
    return signing.load_key(path).public_key()


def _print_public(key: Ed25519PrivateKey, path: Path, locale: str) -> None:
    typer.echo(translate(locale, N_("Private key file: %(path)s"), path=str(path)))
    typer.echo(translate(locale, N_("Key id: %(key_id)s"), key_id=signing.key_id(key.public_key())))
    typer.echo(
        translate(locale, N_("Public key (base64): %(key)s"), key=signing.public_key_base64(key))
    )
    typer.echo(signing.public_key_pem(key), nl=False)
