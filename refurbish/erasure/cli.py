"""`remise erasure …`: a device's media and erasure records, and reports imported from files.

`record_report` is also how `remise bench erase` records what nwipe wrote: sent to a
Remise server (`--upload URL --token T`) or recorded in the local database.
"""

from __future__ import annotations

import getpass
import json
import mimetypes
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from db import devices
from db.clock import utcnow
from db.engine import transaction
from db.errors import DomainError
from db.media import Level, MediumType, Method, Verification
from refurbish.erasure import reports, sampling, service
from refurbish.erasure.models import ErasureIn, MediumIn
from remise.auth import system_actor
from remise.i18n import localise, translate
from remise.runtime import engine_for
from remise.settings import Settings

app = typer.Typer(
    help="Data erasure: media, erasure records, imported reports.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)
UPLOAD_TIMEOUT_S = 60
MARK = {"erased": "✔", "destroyed": "✔", "failed": "✘", "missing": "·", "needs_replacement": "✘"}


def _refused(exc: DomainError, locale: str) -> typer.Exit:
    err.print(translate(locale, exc.template, **exc.params), highlight=False)
    for key in ("drives", "media"):
        for item in exc.extra.get(key, []):
            err.print(f"  {key[:-1]} {json.dumps(item, ensure_ascii=False)}", highlight=False)
    for item in exc.extra.get("errors", []):
        err.print(f"  - {item.get('field')}: {localise(locale, item.get('message'))}")
    return typer.Exit(1)


def _post_file(base_url: str, token: str, code: str, path: Path, media: list[str]) -> Any:
    query = urllib.parse.urlencode([("medium", m) for m in media])
    quoted = urllib.parse.quote(code, safe="")
    url = f"{base_url.rstrip('/')}/api/v1/devices/{quoted}/erasures/import"
    url += f"?{query}" if query else ""
    boundary = uuid.uuid4().hex
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            f"Content-Type: {kind}\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            # the same file sent again (a retry) is recognised by its content
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT_S) as answer:
            return json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        payload = json.loads(exc.read() or b"{}")
        err.print(f"{url}: {exc.code} {payload.get('detail', exc.reason)}", highlight=False)
        for key in ("drives", "media"):
            for item in payload.get(key, []):
                err.print(f"  {key[:-1]} {json.dumps(item, ensure_ascii=False)}", highlight=False)
    except (urllib.error.URLError, OSError) as exc:
        err.print(f"{url}: {exc}")
    raise typer.Exit(1)


def record_report(
    code: str,
    path: Path,
    *,
    media: list[str] | None = None,
    upload_to: str | None = None,
    token: str | None = None,
    tool_version: str | None = None,
) -> list[dict[str, Any]]:
    """Record the erasure report at `path` for device `code`: on the server `upload_to`
    with `token`, else in the local database; the records as dicts. Exits 1 (typer.Exit)
    with the reason when refused."""
    if upload_to:
        if not token:
            err.print("--upload needs --token")
            raise typer.Exit(2)
        answer = _post_file(upload_to, token, code, path, media or [])
        return list(answer.get("erasures", []))
    settings = Settings()
    actor = system_actor(f"cli:{getpass.getuser()}")
    try:
        choices = reports.choices(media or [])
        with transaction(engine_for(settings)) as session:
            answer = reports.import_report(
                session,
                actor,
                code=code,
                data=path.read_bytes(),
                name=path.name,
                choices=choices,
                tool_version=tool_version,
                source="bench" if tool_version else "import",
            )
            return [e.model_dump(mode="json") for e in answer.erasures]
    except DomainError as exc:
        raise _refused(exc, settings.default_locale) from exc


@app.command("import")
def import_command(
    code: Annotated[str, typer.Argument(help="the device code on its label")],
    file: Annotated[
        Path,
        typer.Argument(help="an nwipe log, or nwipe's PDF report", exists=True, dir_okay=False),
    ],
    medium: Annotated[
        list[str] | None,
        typer.Option(help="DRIVE:MEDIUM_ID when the report's serial cannot tell (repeatable)"),
    ] = None,
    upload_to: Annotated[str | None, typer.Option("--upload", help="Remise's address")] = None,
    token: Annotated[str | None, typer.Option(help="API token, for --upload")] = None,
) -> None:
    """Import an erasure report: one record per drive, matched to the device's media."""
    found = record_report(code, file, media=medium or [], upload_to=upload_to, token=token)
    for record in found:
        mark = "✔" if record["passed"] else "✘"
        out.print(
            f"{mark} medium {record['medium_id']}: {record['method']} {record.get('pattern') or ''}"
            f" · verification {record['verification']['method']} · erasure {record['id']}",
            highlight=False,
        )
    if any(not r["passed"] for r in found):
        raise typer.Exit(1)


@app.command("list")
def list_command(code: Annotated[str, typer.Argument(help="the device code on its label")]) -> None:
    """The device's media, each with its erasure records, newest first."""
    settings = Settings()
    try:
        with transaction(engine_for(settings), read_only=True) as session:
            found = service.erasures_view(session, code)
    except DomainError as exc:
        raise _refused(exc, settings.default_locale) from exc
    table = Table(title=f"{code}: media and erasures")
    for column in ("", "medium", "state", "erasures"):
        table.add_column(column)
    for item in found:
        medium = item.medium
        records = "; ".join(
            f"{e.id} {e.level}/{e.method}{' ✔' if e.passed else ' ✘'} {e.finished_at or ''}"
            for e in item.erasures
        )
        table.add_row(
            MARK.get(medium.state, ""), f"#{medium.id} {medium.described}", medium.state, records
        )
    out.print(table)


def _in_database(code: str, work: Any) -> Any:
    """Run `work(session, actor)` in one transaction of the local database; exit 1 with
    the reason when refused."""
    settings = Settings()
    actor = system_actor(f"cli:{getpass.getuser()}")
    try:
        with transaction(engine_for(settings)) as session:
            return work(session, actor)
    except DomainError as exc:
        raise _refused(exc, settings.default_locale) from exc


@app.command("add-medium")
def add_medium_command(
    code: Annotated[str, typer.Argument(help="the device code on its label")],
    kind: Annotated[MediumType, typer.Argument(help="hdd, ssd, nvme, emmc, internal, sd…")],
    manufacturer: Annotated[str | None, typer.Option(help="e.g. Samsung")] = None,
    model: Annotated[str | None, typer.Option(help="e.g. SSD 860 EVO 250GB")] = None,
    serial: Annotated[str | None, typer.Option(help="as printed on the disk")] = None,
    size_bytes: Annotated[int | None, typer.Option(help="its size in bytes")] = None,
) -> None:
    """Add a storage medium the probe did not see (a disk read elsewhere)."""
    data = _valid(
        MediumIn,
        type=kind,
        manufacturer=manufacturer,
        model=model,
        serial=serial,
        size_bytes=size_bytes,
    )

    def add(session: Any, actor: Any) -> int:
        medium = service.add_medium(session, actor, devices.by_code(session, code), data)
        return medium.id or 0

    out.print(f"medium {_in_database(code, add)} added to {code}", highlight=False)


@app.command("record")
def record_command(
    code: Annotated[str, typer.Argument(help="the device code on its label")],
    medium: Annotated[int, typer.Option(help="the medium's number (remise erasure list)")],
    level: Annotated[Level, typer.Option(help="NIST SP 800-88: clear, purge or destroy")],
    method: Annotated[Method, typer.Option(help="overwrite, ata_secure_erase, factory_reset…")],
    verification: Annotated[Verification, typer.Option(help="full, sampled or none")],
    passed: Annotated[
        bool | None, typer.Option("--passed/--failed", help="the verification's result")
    ] = None,
    pattern: Annotated[str | None, typer.Option(help="overwrite: zero, one, random…")] = None,
    passes: Annotated[int | None, typer.Option(help="overwrite passes")] = None,
    tool: Annotated[str | None, typer.Option(help="e.g. hdparm")] = None,
    tool_version: Annotated[str | None, typer.Option(help="e.g. 9.65")] = None,
    started_at: Annotated[str | None, typer.Option(help="ISO 8601")] = None,
    finished_at: Annotated[str | None, typer.Option(help="ISO 8601")] = None,
    comment: Annotated[str | None, typer.Option(help="what was done, seen")] = None,
) -> None:
    """Record an erasure done with another tool (a phone's reset, hdparm, a shredder)."""
    data = _valid(
        ErasureIn,
        medium_id=medium,
        level=level,
        method=method,
        pattern=pattern,
        passes=passes,
        tool=tool,
        tool_version=tool_version,
        started_at=started_at,
        finished_at=finished_at,
        verification={"method": verification, "passed": passed},
        comment=comment,
    )

    def record(session: Any, actor: Any) -> Any:
        return service.record_erasure(session, actor, code=code, data=data)

    found = _in_database(code, record)
    mark = "✔" if found.passed else "✘ (it does not count: erase again or destroy)"
    out.print(f"erasure {found.id} of medium {found.medium_id} recorded {mark}", highlight=False)


def _valid(schema: Any, **fields: Any) -> Any:
    try:
        return schema.model_validate(fields)
    except ValidationError as exc:
        for problem in exc.errors():
            where = ".".join(str(p) for p in problem["loc"]) or "-"
            err.print(f"{where}: {problem['msg']}", highlight=False)
        raise typer.Exit(2) from exc


@app.command("sample")
def sample_command(
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W48 (default: last week)")
    ] = None,
) -> None:
    """Draw a week's sample of erasures for re-verification now, as the weekly job does
    (R2v3); a week is drawn once, and asking again shows the first draw."""
    settings = Settings()

    def drawn(session: Any, actor: Any) -> Any:
        today = utcnow().date()
        return sampling.draw(
            session,
            actor,
            percent=settings.erasure_sample_percent,
            week=sampling.ended_week(week, today) if week else None,
            today=today,
        )

    found = _in_database("", drawn)
    already = " (drawn before)" if found.already else f" (seed {found.seed})"
    out.print(
        f"week {found.week}: {len(found.drawn)} of {len(found.population)} erasures drawn"
        f"{already}: {', '.join(str(i) for i in found.drawn) or '-'}",
        highlight=False,
    )
