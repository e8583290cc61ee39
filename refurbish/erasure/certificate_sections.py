"""The certificate's sections as flowables, from the content's plain fields."""

from __future__ import annotations

from collections import Counter
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from db.errors import N_
from refurbish.erasure.certificate_style import (
    ALERT_BOX,
    CONTENT_WIDTH,
    HEADING_STYLE,
    INFO_STYLE,
    MUTED,
    NOTE_BOX,
    PENDING_WIDTHS,
    QR_SIZE,
    STYLE_ALERT,
    STYLE_BODY,
    STYLE_CODE,
    STYLE_CODE_LABEL,
    STYLE_H2,
    STYLE_META,
    STYLE_NOTE,
    STYLE_ORG,
    STYLE_SMALL,
    STYLE_TITLE,
    STYLE_URL,
    VERIFY_BOX_WIDTH,
    VERIFY_STYLE,
    printable,
)
from refurbish.erasure.certificate_words import DASH, STATUSES, Words

STATUS_ORDER = ("passed", "destroyed", "failed", "missing")


def heading(content: dict[str, Any], words: Words) -> list[Flowable]:
    """Organisation, title, code and date on the left; the verification box on the right."""
    issued = words(
        N_("Certificate %(code)s, issued on %(date)s"),
        code=content["certificate"],
        date=words.long_moment(content["issued_at"]),
    )
    left: list[Flowable] = [
        para(content["issuer"]["organisation"], STYLE_ORG),
        para(words(N_("Certificate of Sanitization")), STYLE_TITLE),
        para(words(N_("Storage media sanitized following NIST SP 800-88")), STYLE_META),
        Spacer(1, 4),
        para(issued, STYLE_BODY),
        para(_scope(content, words), STYLE_BODY),
    ]
    widths = [CONTENT_WIDTH - VERIFY_BOX_WIDTH, VERIFY_BOX_WIDTH]
    return [Table([[left, _verify_box(content, words)]], colWidths=widths, style=HEADING_STYLE)]


def _scope(content: dict[str, Any], words: Words) -> str:
    batch = content.get("batch") or {}
    if content.get("scope") == "batch" and batch.get("id") is not None:
        return words(N_("Scope: batch %(id)s, every device in it"), id=batch["id"])
    codes = ", ".join(device["code"] for device in content["devices"])
    return words(N_("Scope: device %(code)s"), code=codes)


def _verify_box(content: dict[str, Any], words: Words) -> Table:
    url = content["verify_url"]
    widget = QrCodeWidget(url, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    qr = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    qr.add(widget)
    rows = [
        [para(words(N_("Verification code")), STYLE_CODE_LABEL)],
        [para(content["certificate"], STYLE_CODE)],
        [qr],
        [para(url, STYLE_URL)],
        [para(words(N_("Scan the code or open the address to check it")), STYLE_URL)],
    ]
    return Table(rows, colWidths=[VERIFY_BOX_WIDTH - 8], style=VERIFY_STYLE, hAlign="RIGHT")


def notices(content: dict[str, Any], words: Words) -> list[Flowable]:
    """What supersedes, and the devices still waiting for erasure, in boxes that stand out."""
    story: list[Flowable] = []
    if content.get("supersedes"):
        text = words(
            N_(
                "This certificate supersedes certificate %(code)s, which stays valid for "
                "what it stated on its date."
            ),
            code=content["supersedes"],
        )
        story += [Spacer(1, 8), Table([[para(text)]], colWidths=[CONTENT_WIDTH], style=NOTE_BOX)]
    pending = content.get("pending") or []
    if pending:
        story += [Spacer(1, 8), _pending_box(pending, words)]
    return story


def _pending_box(pending: list[dict[str, Any]], words: Words) -> Table:
    if len(pending) == 1:
        title = words(N_("1 device of this batch still waits for erasure"))
    else:
        title = words(
            N_("%(count)s devices of this batch still wait for erasure"),
            count=words.number(len(pending)),
        )
    note = words(
        N_(
            "This certificate does not cover them: a later certificate will, once their "
            "media are erased or destroyed."
        )
    )
    rows: list[list[Any]] = [[[para(title, STYLE_ALERT), para(note, STYLE_SMALL)], ""]]
    for item in pending:
        reason = words(item["reason"]) if item.get("reason") else DASH
        rows.append([para(item["code"], STYLE_SMALL), para(reason, STYLE_SMALL)])
    style = TableStyle([*ALERT_BOX, ("SPAN", (0, 0), (-1, 0)), ("TOPPADDING", (0, 1), (-1, -1), 1)])
    return Table(rows, colWidths=PENDING_WIDTHS, style=style, repeatRows=1)


def parties(content: dict[str, Any], words: Words) -> list[Flowable]:
    """Who sanitized and certifies; whose media they were; what the certificate counts."""
    issuer = content["issuer"]
    by = [para(issuer["organisation"], STYLE_ORG)]
    if issuer.get("name"):
        by.append(labelled(words(N_("Person")), issuer["name"], words))
    if issuer.get("title"):
        by.append(labelled(words(N_("Title")), issuer["title"], words))
    donor = (content.get("donor") or {}).get("name")
    source = [para(donor or DASH, STYLE_ORG)]
    batch = content.get("batch") or {}
    if batch.get("id") is not None:
        source.append(labelled(words(N_("Batch")), str(batch["id"]), words))
    if batch.get("pickup_date"):
        picked = words.long_day(batch["pickup_date"])
        source.append(labelled(words(N_("Picked up on")), picked, words))
    if batch.get("site"):
        source.append(labelled(words(N_("Site")), batch["site"], words))
    heads = [
        para(words(N_("Sanitized and certified by")), STYLE_H2),
        para(words(N_("Donor")), STYLE_H2),
    ]
    info = Table([heads, [by, source]], colWidths=[CONTENT_WIDTH / 2] * 2, style=INFO_STYLE)
    return [Spacer(1, 8), info, Spacer(1, 6), _statement(content, words)]


def _statement(content: dict[str, Any], words: Words) -> Flowable:
    counts = Counter(
        medium.get("status")
        for device in content["devices"]
        for medium in device.get("media") or []
    )
    tally = ", ".join(
        words(N_("%(label)s: %(count)s"), label=words.term(STATUSES, status), count=counts[status])
        for status in STATUS_ORDER
        if counts[status]
    )
    text = words(
        N_(
            "%(organisation)s certifies that the storage media listed below were sanitized "
            "as stated for each, at the NIST SP 800-88 level given. Only the media whose "
            "result is “%(erased)s” or “%(destroyed)s” are certified; the verification "
            "column says how each result was checked."
        ),
        organisation=content["issuer"]["organisation"],
        erased=words.term(STATUSES, "passed"),
        destroyed=words.term(STATUSES, "destroyed"),
    )
    story = [para(text)]
    if tally:
        story.append(para(tally, STYLE_META))
    return Table(
        [[story]],
        colWidths=[CONTENT_WIDTH],
        style=TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]),
    )


def legend(words: Words) -> list[Flowable]:
    """What the levels mean, and who the check column names."""
    levels = words(
        N_(
            "Clear: logical techniques that protect against simple, non-invasive recovery. "
            "Purge: physical or logical techniques that make recovery infeasible even with "
            "state-of-the-art laboratory techniques. Destroy: the medium can no longer be "
            "used to store data."
        )
    )
    share = "5\u00a0%" if words.locale == "fr" else "5%"
    check = words(
        N_(
            "Check: R2v3 asks that at least %(share)s of the media erased be verified again "
            "by a competent person other than the one who erased them; the column names that "
            "person for the media drawn."
        ),
        share=share,
    )
    return [Spacer(1, 4), para(levels, STYLE_NOTE), para(check, STYLE_NOTE)]


def para(text: str, style: ParagraphStyle = STYLE_BODY) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


def labelled(label: str, value: str, words: Words) -> Paragraph:
    colon = "\u00a0:" if words.locale == "fr" else ":"  # French puts a space before a colon
    markup = f'<font color="#{MUTED.hexval()[2:]}">{escape(printable(label))}{colon}</font> '
    return Paragraph(markup + escape(printable(" ".join(value.split()))), STYLE_BODY)
