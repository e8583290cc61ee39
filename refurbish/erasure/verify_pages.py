"""The public check of a certificate of data erasure, by its code: no sign-in needed,
nothing personal shown (`certificates.public_view`), in French or English.

`/verify` asks for the code printed on a certificate and leads (303) to `/verify/CODE`,
the certificate's QR code's address; a code that is not one, or that no certificate
has, is said beside the field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from db.enums import CATEGORY_LABELS
from db.errors import N_
from refurbish.erasure import certificates
from refurbish.erasure import page as wording
from remise.deps import SessionDep
from remise.i18n import translate
from remise.pages import page_locale, redirect, render, said

router = APIRouter(include_in_schema=False)

# The public check of a certificate: no sign-in, nothing personal.
CERTIFICATE_WORDS = {
    "passed": N_("Erased"),
    "destroyed": N_("Destroyed"),
    "failed": N_("Failed"),
    "missing": N_("Not erased"),
}
CHECKED_WORDS = {
    "level": N_("level"),
    "method": N_("method"),
    "pattern": N_("pattern"),
    "passes": N_("passes"),
    "tool": N_("tool"),
    "tool_version": N_("tool version"),
    "passed": N_("result"),
}
NOT_A_CODE = N_(
    "This is not a certificate code: it has 10 symbols, as on the printed certificate "
    "(such as 7K3Q0-MX2RT)."
)
CODE_MAX = 40


def _verify_form(request: Request, typed: str, error: str | None, status: int) -> Response:
    context = {"typed": typed, "error": error}
    return render(request, "refurbish/erasure/verify_form.html", context, status=status)


@router.get("/verify", response_class=HTMLResponse)
def verify_form(
    request: Request, code: Annotated[str, Query(max_length=CODE_MAX)] = ""
) -> Response:
    """A field to type a printed certificate's code; a code sent leads to its check."""
    if not code.strip():
        return _verify_form(request, "", None, 200)
    found = certificates.normalised_code(code)
    if found is None:
        return _verify_form(request, code, translate(page_locale(request), NOT_A_CODE), 422)
    return redirect(f"/verify/{found}")


def _certificate_view(locale: str, view: dict[str, Any]) -> dict[str, Any]:
    def medium(m: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": wording.words(locale, wording.TYPE_WORDS, m["type"]),
            "make": " ".join(p for p in (m.get("manufacturer"), m.get("model")) if p) or "—",
            "serial": m.get("serial") or "—",
            "status": m["status"],
            "status_text": wording.words(locale, CERTIFICATE_WORDS, m["status"]),
            "level": wording.words(locale, wording.LEVEL_WORDS, m["level"])
            if m.get("level")
            else "—",
            "method": wording.words(locale, wording.METHOD_WORDS, m["method"])
            if m.get("method")
            else "—",
            "verification": wording.words(
                locale, wording.VERIFICATION_WORDS, m["verification_method"]
            )
            if m.get("verification_method")
            else "—",
            "finished_at": m.get("finished_at"),
        }

    return {
        **view,
        "devices": [
            {
                "code": d["code"],
                "category": wording.words(locale, CATEGORY_LABELS, d["category"]),
                "media": [medium(m) for m in d["media"]],
            }
            for d in view["devices"]
        ],
        "pickup_date": date.fromisoformat(view["batch"]["pickup_date"])
        if view["batch"].get("pickup_date")
        else None,
        "problems": [
            {
                **p,
                "reason": translate(locale, p["reason"]),
                "fields": ", ".join(
                    wording.words(locale, CHECKED_WORDS, f) for f in p.get("fields", [])
                ),
            }
            for p in view["problems"]
        ],
    }


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify(code: str, request: Request, session: SessionDep) -> Response:
    """Whether the certificate `code` still says what the ledger says, medium by medium."""
    locale = page_locale(request)
    code = code[:CODE_MAX]
    try:
        row = certificates.by_code(session, code)
    except certificates.CertificateNotFound as exc:
        return _verify_form(request, code, said(request, exc), 404)
    view = certificates.public_view(row, certificates.check(session, row))
    context = {"view": _certificate_view(locale, view)}
    return render(request, "refurbish/erasure/verify.html", context)
