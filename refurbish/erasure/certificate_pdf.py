"""The certificate of sanitization as a PDF, in French or English, from a signed envelope.

No database here: the caller assembles the content from the ledger and signs it
(`refurbish.erasure.signing`); `render` lays out the fields of NIST SP 800-88's sample
certificate (Rev. 1 appendix G, Rev. 2 appendix C): who sanitized and certifies, each
medium (type, make, model, serial, the donor's asset tag), how it was sanitized and
verified, the second person's check where R2v3 sampling drew it, where the device goes,
date and signature. The signed envelope is attached to the PDF as canonical JSON, so that
`remise certificate verify` checks a printed-out or mailed copy without our server.
"""

from __future__ import annotations

import functools
import hashlib
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from pypdf.generic import ByteStringObject, NameObject, NumberObject, TextStringObject
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Spacer,
    Table,
)

from db import canonical
from db.errors import N_, Invalid, Message
from refurbish.erasure import certificate_media
from refurbish.erasure import certificate_sections as sections
from refurbish.erasure.certificate_style import (
    CONTENT_HEIGHT,
    CONTENT_WIDTH,
    FAINT,
    FONT,
    FOOTER_LEDGER_Y,
    FOOTER_LINE_Y,
    FOOTER_RULE_Y,
    KEEP_WITH_HEADING,
    MARGIN_BOTTOM,
    MARGIN_X,
    MUTED,
    RULE,
    SIGNATURE_STYLE,
    SIZE_FOOTER,
    SIZE_LEDGER,
    STYLE_BODY,
    STYLE_H2,
    STYLE_META,
    STYLE_NOTE,
    glyphs,
    printable,
)
from refurbish.erasure.certificate_table import MediaRows, MediaTable
from refurbish.erasure.certificate_words import Words
from remise import pdf

ATTACHMENT_NAME = "remise-certificate.json"
ATTACHMENT_TYPE = "/application/json"
DEFAULT_ZONE = "Europe/Paris"


class NoEmbeddedCertificate(Invalid):
    """The PDF carries no readable signed certificate; `reason` says what was found."""

    code = "no_embedded_certificate"
    message = N_("This PDF holds no signed certificate: %(reason)s")


def render(envelope: dict[str, Any], locale: str, *, timezone: str = DEFAULT_ZONE) -> bytes:
    """The certificate as a complete A4 PDF with the envelope attached.

    The same envelope, locale and zone always give the same bytes. Raises KeyError when
    the content lacks a required field (certificate, issued_at, issuer, devices, ledger,
    verify_url) and db.canonical.NotCanonical when it cannot be encoded."""
    content = envelope["content"]
    words = Words(locale, ZoneInfo(timezone))
    glyphs()
    buffer = BytesIO()
    title = words(N_("Certificate of Sanitization"))
    # invariant: no timestamp or random id in the file, so the same envelope gives the same bytes.
    document = BaseDocTemplate(
        buffer, pagesize=A4, title=f"{title} {content['certificate']}", lang=locale,
        author=content["issuer"].get("organisation") or "", creator="Remise", invariant=True,
    )  # fmt: skip
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_WIDTH, CONTENT_HEIGHT, 0, 0, 0, 0)
    document.addPageTemplates([PageTemplate("certificate", [frame])])
    story = [
        *sections.heading(content, words),
        *sections.notices(content, words),
        *sections.parties(content, words),
        *_media(content, words),
        *sections.legend(words),
        _signature(envelope, words),
    ]
    footer = functools.partial(_draw_footer, content=content, words=words)
    document.build(story, canvasmaker=functools.partial(pdf.NumberedCanvas, footer=footer))
    return _attach(buffer.getvalue(), canonical.dumps(envelope))


def embedded_envelope(pdf: bytes) -> dict[str, Any]:
    """The signed envelope attached to a certificate PDF (not verified: see signing.verify).

    Raises NoEmbeddedCertificate when the file is not a PDF, has no `remise-certificate.json`
    attached, or the attachment is not a JSON object."""
    if not pdf.startswith(b"%PDF-"):
        raise _no_certificate(N_("the file is not a readable PDF"))
    try:
        attached = PdfReader(BytesIO(pdf)).attachments.get(ATTACHMENT_NAME)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise _no_certificate(N_("the file is not a readable PDF")) from exc
    if not attached:
        raise _no_certificate(N_("it has no attached %(file)s"))
    try:
        envelope = orjson.loads(attached[0])
    except orjson.JSONDecodeError as exc:
        raise _no_certificate(N_("the attached %(file)s is not JSON")) from exc
    if not isinstance(envelope, dict):
        raise _no_certificate(N_("the attached %(file)s is not a JSON object"))
    return envelope


def _no_certificate(reason: str) -> NoEmbeddedCertificate:
    return NoEmbeddedCertificate(reason=Message(reason, {"file": ATTACHMENT_NAME}))


def _media(content: dict[str, Any], words: Words) -> list[Flowable]:
    devices = content["devices"]
    count = sum(len(device.get("media") or []) for device in devices)
    heading = words(
        N_("Storage media and their sanitization (%(devices)s, %(media)s)"),
        devices=words.devices(len(devices)),
        media=words.media(count),
    )
    story: list[Flowable] = [CondPageBreak(KEEP_WITH_HEADING), sections.para(heading, STYLE_H2)]
    if not devices:
        return [*story, sections.para(words(N_("No device is listed.")), STYLE_BODY)]
    blocks = [certificate_media.device_block(number, device, words) for number, device in enumerate(
        devices, start=1
    )]  # fmt: skip
    rows = MediaRows(certificate_media.media_header(words), blocks, words(N_("(continued)")))
    return [*story, MediaTable(rows)]


def _signature(envelope: dict[str, Any], words: Words) -> Flowable:
    content = envelope["content"]
    issuer = content["issuer"]
    signed = words(
        N_(
            "Electronic signature: the content of this certificate is signed (Ed25519, key "
            "%(key_id)s) and attached to this PDF as %(file)s. Anyone can check it without "
            "our server with `remise certificate verify`, or against our register at the "
            "address above."
        ),
        key_id=envelope.get("key_id", ""),
        file=ATTACHMENT_NAME,
    )
    person = ", ".join(part for part in (issuer.get("name"), issuer.get("title")) if part)
    box: list[Flowable] = [
        sections.para(words(N_("Issued on %(date)s"), date=words.long_day(content["issued_at"]))),
        sections.para(words(N_("For %(organisation)s"), organisation=issuer["organisation"])),
    ]
    if person:
        box.append(sections.para(person))
    box += [sections.para(words(N_("Signature:")), STYLE_META), Spacer(1, 20 * mm)]
    signature = Table([[box]], colWidths=[85 * mm], style=SIGNATURE_STYLE, hAlign="RIGHT")
    return KeepTogether([Spacer(1, 6), sections.para(signed, STYLE_NOTE), Spacer(1, 8), signature])


def _draw_footer(
    canvas: Canvas, number: int, total: int, *, content: dict[str, Any], words: Words
) -> None:
    left, right = MARGIN_X, A4[0] - MARGIN_X
    label = words(N_("Certificate of Sanitization %(code)s"), code=content["certificate"])
    page = words(N_("Page %(page)s / %(pages)s"), page=number, pages=total)
    ledger = content["ledger"]
    mention = words(N_("Ledger: entry %(seq)s, hash %(hash)s"), **ledger)
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(left, FOOTER_RULE_Y, right, FOOTER_RULE_Y)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, SIZE_FOOTER)
    canvas.drawString(left, FOOTER_LINE_Y, printable(label))
    canvas.drawRightString(right, FOOTER_LINE_Y, printable(page))
    canvas.setFillColor(FAINT)
    canvas.setFont(FONT, SIZE_LEDGER)
    canvas.drawString(left, FOOTER_LEDGER_Y, printable(mention))
    canvas.restoreState()


def _attach(pdf: bytes, data: bytes) -> bytes:
    """`pdf` with `data` attached as remise-certificate.json.

    The stream is left uncompressed: whoever opens the PDF in a text editor sees the JSON.
    The file is rewritten whole rather than updated incrementally: pypdf's incremental
    update drops the document information (title, author) from the trailer."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    attachment = writer.add_attachment(ATTACHMENT_NAME, data)
    attachment.subtype = NameObject(ATTACHMENT_TYPE)
    attachment.description = TextStringObject("Signed content of the certificate (Ed25519)")
    attachment.size = NumberObject(len(data))
    attachment.checksum = ByteStringObject(hashlib.md5(data, usedforsecurity=False).digest())
    attachment.associated_file_relationship = NameObject("/Data")
    output = BytesIO()
    writer.write(output)
    return output.getvalue()
