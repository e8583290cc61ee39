"""The donors' impact reports, for coordinators: a donor and a period chosen on
`/reports/donors`, the report as a page (`/reports/donors/{id}`) and as the A4 PDF a
company puts in its CSR report (`/reports/donors/{id}.pdf`, in the reader's language
or `lang`). The period is whole days, by default the current calendar year; a date
that cannot be read is said beside its field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db.clock import utcnow
from intake import service as intake
from remise.auth import Actor, Permission
from remise.deps import IdPath, SessionDep, get_settings
from remise.i18n import translate
from remise.pages import page_locale, page_require, redirect, render
from reporting import donor_pdf, donor_report, donor_words, impact_factor_pages, period
from reporting.period import Period

router = APIRouter(include_in_schema=False)
router.include_router(impact_factor_pages.router)
Reader = Annotated[Actor, Depends(page_require(Permission.REPORTS_READ))]
Typed = Annotated[str, Query(max_length=40)]
FILE_NAMES = {"fr": "rapport-impact", "en": "impact-report"}


def _now(request: Request) -> datetime:
    return utcnow().astimezone(ZoneInfo(get_settings(request).timezone))


def _messages(request: Request, errors: dict[str, str]) -> dict[str, str]:
    locale = page_locale(request)
    return {name: translate(locale, message) for name, message in errors.items()}


@router.get("/reports/donors", response_class=HTMLResponse)
def donors_page(
    request: Request,
    session: SessionDep,
    _actor: Reader,
    donor_id: Typed = "",
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> Response:
    """Choose a donor and a period; a valid choice leads (303) to its report."""
    chosen, errors = period.typed(start, end, _now(request).date())
    donors = intake.donors(session)
    known = {str(d.id) for d in donors}
    if donor_id and donor_id not in known:
        errors["donor_id"] = period.NO_SUCH_DONOR
    if donor_id and chosen is not None and not errors:
        return redirect(f"/reports/donors/{donor_id}?{chosen.query()}")
    typed = {"donor_id": donor_id, "from": start, "to": end}
    year = period.year_of(_now(request).date())
    context = {"donors": donors, "typed": typed, "errors": _messages(request, errors), "year": year}
    return render(request, "reporting/donor_list.html", context, status=422 if errors else 200)


@router.get("/reports/donors/{donor_id}.pdf", response_class=Response)
def donor_report_pdf(
    donor_id: IdPath,
    request: Request,
    session: SessionDep,
    _actor: Reader,
    start: period.From = None,
    end: period.To = None,
    lang: Literal["fr", "en"] | None = None,
) -> Response:
    """The report as an A4 PDF, in `lang` (else the reader's language)."""
    locale = lang or page_locale(request)
    now = _now(request)
    chosen = period.checked(start, end, now.date())
    text = _text(request, session, donor_id, chosen, locale, now)
    organisation = get_settings(request).organisation
    data = donor_pdf.render(text, organisation=organisation, locale=locale)
    name = f"{FILE_NAMES[locale]}-{donor_id}-{chosen.start}-{chosen.end}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get("/reports/donors/{donor_id}", response_class=HTMLResponse)
def donor_report_page(
    donor_id: IdPath,
    request: Request,
    session: SessionDep,
    _actor: Reader,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> Response:
    """The report over the period typed; a date that cannot be read, or a period that
    ends before it starts, is said beside its field, with the report not shown."""
    now = _now(request)
    chosen, errors = period.typed(start, end, now.date())
    donor = intake.donor(session, donor_id)
    context = {
        "donor": donor,
        "typed": {"from": start, "to": end},
        "errors": _messages(request, errors),
        "text": None,
        "period": chosen,
        "verify_url": get_settings(request).public_url.rstrip("/") + "/verify/",
    }
    if chosen is not None:
        context["text"] = _text(request, session, donor_id, chosen, page_locale(request), now)
        context["typed"] = {"from": chosen.start.isoformat(), "to": chosen.end.isoformat()}
    status = 422 if errors else 200
    return render(request, "reporting/donor_report.html", context, status=status)


def _text(
    request: Request,
    session: Session,
    donor_id: int,
    chosen: Period,
    locale: str,
    now: datetime,
) -> donor_words.ReportText:
    settings = get_settings(request)
    zone = ZoneInfo(settings.timezone)
    report = donor_report.donor_report(session, donor_id=donor_id, period=chosen, zone=zone)
    return donor_words.report_text(report, locale, public_url=settings.public_url, issued_at=now)
