"""The erasure pages over HTTP, on SQLite and PostgreSQL: the storage media on the bench's
device page and their forms, the import of a real nwipe report and its question, the
re-verification queue, and the public check of a certificate.

Every form that works answers 303 (Back and F5 send nothing again); every refusal
comes back with its message beside the field it is about, what was typed kept and
nothing saved. The reports are real ones from ../shared/erasure-corpus.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from db import codes
from db.clock import utcnow
from db.engine import transaction
from db.enums import Category, Role, Status
from refurbish import page as device_page_view
from refurbish.erasure import sampling
from refurbish.erasure.certificates import CertificateNotFound
from remise.auth import system_actor
from tests.factories import auth, make_device, make_token
from tests.refurbish.test_certificates import make_batch
from tests.refurbish.test_runs_api import assert_ledger_sound, start
from tests.refurbish.walking import erase_every_medium, fill, history
from tests.web.test_device_page_view import fr, main_table, statements
from tests.web.test_pages import make_user, sign_in

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "erasure-corpus"
TWO_DISKS = CORPUS / "nwipe-0.42" / "nwipe-0.42-two-devices.log"
SYSTEM_PDF = (  # the same run's report of both disks, which names neither
    CORPUS
    / "nwipe-0.42"
    / "pdf"
    / "nwipe-0.42-two-devices"
    / "nwipe_system_report_2026-12-01-21-40-40_host-UUID-_host-SN-.pdf"
)
needs_erasure_corpus = pytest.mark.skipif(
    not TWO_DISKS.exists(), reason=f"no erasure corpus at {CORPUS}"
)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')
LOOP1, LOOP2 = 67108864, 33554432  # the two loop devices of the two-disk runs, in bytes


def shown(page: str) -> str:
    return html.unescape(page)


def labelled(engine: Engine, **fields: Any) -> str:
    with transaction(engine) as session:
        return codes.display(make_device(session, status=Status.LABELLED, **fields).code)


def bench_page(client: TestClient, engine: Engine, name: str = "lucie") -> None:
    make_user(engine, name, Role.BENCH)
    sign_in(client, name)


def form_of(client: TestClient, path: str) -> dict[str, str]:
    """The CSRF token and the one-time key (if it has forms that need one) of the page at
    `path`."""
    page = client.get(path).text
    token, key = CSRF.search(page), FORM_KEY.search(page)
    assert token is not None
    return {"csrf_token": token.group(1)} | ({"form_key": key.group(1)} if key else {})


def post(client: TestClient, path: str, page: str, data: dict[str, str], **kw: Any) -> Any:
    return client.post(path, data=form_of(client, page) | data, follow_redirects=False, **kw)


def between(page: str, start: str, end: str) -> str:
    found = page.index(start)
    return page[found : page.index(end, found)]


def section(page: str) -> str:
    """The device page's section of storage media, with its entities read."""
    return shown(between(page, 'id="erasure-title"', 'id="history-title"'))


def media(client: TestClient, headers: dict[str, str], code: str) -> list[dict[str, Any]]:
    return list(client.get(f"/api/v1/devices/{code}/erasures", headers=headers).json())


def loop_disks(client: TestClient, headers: dict[str, str], code: str) -> list[int]:
    """The two loop devices of the corpus's two-disk runs, entered by hand (no serial)."""
    ids = []
    for size in (LOOP1, LOOP2):
        disk = {"type": "other", "model": "Loopback device", "size_bytes": size}
        answer = client.post(f"/api/v1/devices/{code}/media", headers=headers, json=disk)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


SSD = {"type": "ssd", "model": "SSD 860 EVO 250GB", "serial": "S3Z1NB0K123456A"}


def ssd_at_the_bench(
    client: TestClient, engine: Engine
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A labelled device with one SSD entered through the API, and a volunteer signed in
    to the bench pages: the device's code, the API's headers and the medium."""
    code = labelled(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    medium = client.post(f"/api/v1/devices/{code}/media", headers=bench, json=SSD).json()
    bench_page(client, engine)
    return code, bench, medium


def test_each_medium_shows_its_state_its_newest_record_and_the_earlier_ones_folded(
    client: TestClient, engine: Engine
) -> None:
    code = labelled(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    disk = {
        "type": "ssd",
        "manufacturer": "Samsung",
        "model": "SSD 860 EVO 250GB",
        "serial": "S3Z1NB0K123456A",
        "size_bytes": 250059350016,
    }
    medium = client.post(f"/api/v1/devices/{code}/media", headers=bench, json=disk).json()
    for passed in (False, True):
        body = {
            "medium_id": medium["id"],
            "level": "clear",
            "method": "overwrite",
            "pattern": "zero",
            "passes": 1,
            "tool": "nwipe",
            "tool_version": "0.33",
            "verification": {"method": "full", "passed": passed},
        }
        answer = client.post(f"/api/v1/devices/{code}/erasures", headers=bench, json=body)
        assert answer.status_code == 201, answer.text
    phone = labelled(engine, category=Category.SMARTPHONE, model="Galaxy A52")
    start(client, bench, phone)  # its internal storage becomes a medium
    bench_page(client, engine)

    page = section(client.get(f"/bench/devices/{code}").text)
    assert "SSD Samsung SSD 860 EVO 250GB (S/N S3Z1NB0K123456A)" in page
    assert "✔</span> <strong>Effacé</strong>" in page
    assert "<dd>250,1 Go</dd>" in page and "<dd>saisi à la main</dd>" in page
    newest = between(page, "Dernier enregistrement", "</details>")
    assert "<dd>Clear (nettoyage)</dd>" in newest and "<dd>Écrasement</dd>" in newest
    assert "<dd>zéros</dd>" in newest and "<dd>nwipe 0.33</dd>" in newest
    assert "<dd>relecture complète</dd>" in newest and "<dd>réussie</dd>" in newest
    assert "<summary>Enregistrements précédents (1)</summary>" in page
    earlier = between(page, "Enregistrements précédents (1)", "</details>")
    assert "✖</span> <strong>Échec</strong>" in earlier and "<dd>échouée</dd>" in earlier
    assert "Chaque support de stockage est effacé ou détruit." in page

    page = section(client.get(f"/bench/devices/{phone}").text)
    assert "Stockage interne Galaxy A52" in page and "<dd>intégré</dd>" in page
    assert "○</span> <strong>En attente de son effacement</strong>" in page
    assert "Encore à faire avant « reconditionné »" in page


def test_a_laptop_without_any_medium_says_that_nobody_looked(
    client: TestClient, engine: Engine
) -> None:
    code = labelled(engine)
    bench_page(client, engine)
    page = section(client.get(f"/bench/devices/{code}").text)
    assert fr("no storage medium is known: probe the device or enter its disks") in page
    assert '<details id="add-medium" open>' in page  # the form to enter one, open


def test_a_medium_added_by_hand_leads_back_303_once_however_often_it_is_sent(
    client: TestClient, engine: Engine
) -> None:
    code = labelled(engine)
    bench_page(client, engine)
    typed = {
        "type": "hdd",
        "manufacturer": "Seagate",
        "model": "ST500LM030",
        "serial": "WBA1XYZ9",
        "size": "500",
    }
    sent = form_of(client, f"/bench/devices/{code}") | typed
    answer = client.post(f"/bench/devices/{code}/media", data=sent, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["location"] == f"/bench/devices/{code}?erasure=1"
    page = section(client.get(answer.headers["location"]).text)
    assert (
        "Support ajouté : Disque dur (HDD) Seagate ST500LM030 (S/N WBA1XYZ9). "
        "Son effacement reste à enregistrer." in page
    )
    assert 'id="erasure-message"' in page and "data-feedback" in page
    again = client.post(f"/bench/devices/{code}/media", data=sent, follow_redirects=False)
    assert again.status_code == 303  # Back, then the same form sent again: its first result
    bench = auth(make_token(engine, role=Role.BENCH))
    [added] = media(client, bench, code)
    assert added["medium"]["size_bytes"] == 500 * 10**9
    assert added["medium"]["source"] == "manual" and added["medium"]["state"] == "missing"
    assert [t for t, _ in history(engine, codes.parse(code))].count("device.medium_added") == 1


def test_a_refused_medium_comes_back_with_each_problem_beside_its_field(
    client: TestClient, engine: Engine
) -> None:
    code = labelled(engine)
    bench_page(client, engine)
    typed = {"type": "", "model": "Crucial MX500", "serial": "2023E6B1", "size": "beaucoup"}
    answer = post(client, f"/bench/devices/{code}/media", f"/bench/devices/{code}", typed)
    assert answer.status_code == 422
    page = section(answer.text)
    assert '<details id="add-medium" open>' in page
    assert (
        '<p class="field-error" id="medium-error-type">Choisissez le type de support.</p>' in page
    )
    assert "Écrivez la taille en Go, comme sur l'étiquette du disque" in page
    assert 'aria-describedby="medium-error-type"' in page
    assert re.search(r'id="medium-type"[^>]*autofocus', page)  # the first problem
    assert 'value="Crucial MX500"' in page and 'value="beaucoup"' in page
    assert "autofocus" not in between(answer.text, "<form", 'id="erasure-title"')
    bench = auth(make_token(engine, role=Role.BENCH))
    assert media(client, bench, code) == []

    disk = {"type": "ssd", "serial": "2023E6B1"}
    assert client.post(f"/api/v1/devices/{code}/media", headers=bench, json=disk).status_code == 201
    typed = {"type": "ssd", "serial": "2023e6b1", "size": "0,5"}
    again = post(client, f"/bench/devices/{code}/media", f"/bench/devices/{code}", typed)
    assert again.status_code == 422
    assert (
        '<p class="field-error" id="medium-error-serial">Cet appareil a déjà un support de '
        "n° de série 2023e6b1.</p>" in shown(again.text)
    )
    assert len(media(client, bench, code)) == 1


def test_an_erasure_recorded_by_hand_takes_the_only_level_its_method_reaches(
    client: TestClient, engine: Engine
) -> None:
    code, bench, medium = ssd_at_the_bench(client, engine)
    typed = {
        "medium_id": str(medium["id"]),
        "method": "overwrite",
        "level": "",
        "pattern": "zero",
        "passes": "1",
        "tool": "nwipe",
        "tool_version": "0.33",
        "verification": "full",
        "result": "passed",
        "comment": "Disque relu en entier",
    }
    answer = post(client, f"/bench/devices/{code}/erasures", f"/bench/devices/{code}", typed)
    assert answer.status_code == 303, answer.text[:500]
    page = section(client.get(answer.headers["location"]).text)
    assert (
        "SSD SSD 860 EVO 250GB (S/N S3Z1NB0K123456A) : effacé et vérifié, il vaut preuve." in page
    )
    [found] = media(client, bench, code)
    [record] = found["erasures"]
    assert (record["level"], record["method"], record["source"]) == ("clear", "overwrite", "page")
    assert record["verification"] == {"method": "full", "passed": True} and record["passed"]
    assert record["comment"] == "Disque relu en entier"
    assert_ledger_sound(engine)


def test_a_level_the_method_cannot_reach_is_refused_beside_the_level(
    client: TestClient, engine: Engine
) -> None:
    code = labelled(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    disk = {"type": "hdd", "serial": "WBA1XYZ9"}
    medium = client.post(f"/api/v1/devices/{code}/media", headers=bench, json=disk).json()
    bench_page(client, engine)
    typed = {
        "medium_id": str(medium["id"]),
        "method": "overwrite",
        "level": "purge",
        "passes": "3",
        "verification": "full",
        "result": "",
    }
    answer = post(client, f"/bench/devices/{code}/erasures", f"/bench/devices/{code}", typed)
    assert answer.status_code == 422
    page = section(answer.text)
    assert '<details id="record-erasure" open>' in page
    assert (
        '<p class="field-error" id="record-error-level">« Écrasement » atteint Clear (nettoyage), '
        "pas Purge (NIST SP 800-88) : choisissez le niveau que la méthode a vraiment atteint.</p>"
    ) in page
    assert 'id="record-error-result">Dites si la vérification a réussi.</p>' in page
    assert re.search(r'id="record-level"[^>]*autofocus', page)
    assert '<option value="purge" selected>' in page and 'value="3"' in page
    assert f'<option value="{medium["id"]}" selected>' in page

    typed |= {"method": "ata_secure_erase", "level": "", "result": "passed"}
    again = post(client, f"/bench/devices/{code}/erasures", f"/bench/devices/{code}", typed)
    assert again.status_code == 422  # it reaches two levels: the person says which
    assert "« ATA Secure Erase » peut atteindre Clear (nettoyage) / Purge" in shown(again.text)
    typed |= {"verification": "none", "result": "passed"}
    third = post(client, f"/bench/devices/{code}/erasures", f"/bench/devices/{code}", typed)
    assert "Sans vérification, il n'y a pas de résultat" in shown(third.text)
    assert media(client, bench, code)[0]["erasures"] == []


def test_finishing_while_a_disk_is_not_erased_is_refused_beside_the_finish_button(
    client: TestClient, engine: Engine
) -> None:
    code = labelled(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    run = start(client, bench, code)
    fill(client, bench, run["id"])
    disk = SSD
    client.post(f"/api/v1/devices/{code}/media", headers=bench, json=disk)
    bench_page(client, engine)
    page = shown(client.get(f"/bench/devices/{code}").text)
    finish_form = between(page, 'id="finish-form"', "</form>")
    assert "L'effacement des données l'empêche encore d'être « reconditionné » :" in finish_form
    assert "SSD SSD 860 EVO 250GB (S/N S3Z1NB0K123456A) : aucun effacement enregistré" in (
        finish_form
    )
    assert 'aria-describedby="finish-erasure"' in finish_form

    answer = post(
        client,
        f"/bench/runs/{run['id']}/finish",
        f"/bench/devices/{code}",
        {"outcome": "refurbished"},
    )
    assert answer.status_code == 409
    finish_form = between(shown(answer.text), 'id="finish-form"', "</form>")
    assert 'id="problem"' in finish_form  # the refusal, beside the button
    assert "S3Z1NB0K123456A" in between(finish_form, 'id="problem"', "</div>")
    erase_every_medium(client, bench, code)
    page = shown(client.get(f"/bench/devices/{code}").text)
    assert 'id="finish-erasure"' not in page


def test_a_device_with_media_costs_one_statement_more(client: TestClient, engine: Engine) -> None:
    code = labelled(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    loop_disks(client, bench, code)
    erase_every_medium(client, bench, code)
    with engine.connect() as connection, statements(engine) as seen:
        view = device_page_view.device_page(connection, code, "fr", fr)
    assert [main_table(s) for s in seen] == ["device", "storage_medium"], seen
    assert [m.state for m in view.erasure.media] == ["erased", "erased"]
    assert view.erasure.still_to_do == []


@needs_erasure_corpus
@pytest.mark.parametrize(
    ("path", "drives"),
    [(TWO_DISKS, ("loop1", "loop2")), (SYSTEM_PDF, ("1", "2"))],
    ids=["log", "system-pdf"],
)
def test_a_report_without_serials_asks_which_disk_is_which_then_imports_it(
    client: TestClient, engine: Engine, settings: Any, path: Path, drives: tuple[str, str]
) -> None:
    """nwipe's log names its disks (loop1…); its system PDF only lists them, in order."""
    one, two = drives
    code = labelled(engine, category=Category.DESKTOP)
    bench = auth(make_token(engine, role=Role.BENCH))
    first, second = loop_disks(client, bench, code)
    bench_page(client, engine)
    report = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    answer = post(
        client, f"/bench/devices/{code}/erasures/import", f"/bench/devices/{code}", {}, files=report
    )
    assert answer.status_code == 303, answer.text[:500]
    question = answer.headers["location"]
    assert question.startswith(f"/bench/devices/{code}/erasures/import/")
    sha256 = question.rpartition("/")[2].partition("?")[0]
    assert (settings.data_dir / "uploads" / sha256).read_bytes() == path.read_bytes()
    assert media(client, bench, code)[0]["erasures"] == []  # nothing before the answer

    page = shown(client.get(question).text)
    assert "<h1>Quel disque est lequel ?</h1>" in page
    assert f"Disque {one} du rapport" in page and f"Disque {two} du rapport" in page
    assert "67 Mo (67\u202f108\u202f864 octets)" in page  # French groups digits with a thin space
    assert "34 Mo (33\u202f554\u202f432 octets)" in page
    printed = "" if path.suffix == ".log" else " (<code>Unknown</code>)"  # as nwipe wrote it
    assert f"<dd>imprimé vide{printed}</dd>" in page
    assert f'name="medium.{one}"' in page and f'name="medium.{two}"' in page
    assert client.get(question).status_code == 200  # F5 reads it again, sends nothing

    swapped = {"name": path.name, f"medium.{one}": str(second), f"medium.{two}": str(first)}
    refused = post(client, question.partition("?")[0], question, swapped)
    assert refused.status_code == 422
    page = shown(refused.text)
    assert (
        "Ce disque contient 67 Mo (67\u202f108\u202f864 octets) et le support choisi 34 Mo" in page
    )
    assert re.search(
        rf'<option value="{second}" selected>', between(page, f"Disque {one} ", f"Disque {two} ")
    )
    twice = {"name": path.name, f"medium.{one}": str(first), f"medium.{two}": str(first)}
    refused = post(client, question.partition("?")[0], question, twice)
    assert f"Ce support est déjà choisi pour le disque {one}" in shown(refused.text)
    assert media(client, bench, code)[0]["erasures"] == []

    right = {"name": path.name, f"medium.{one}": str(first), f"medium.{two}": str(second)}
    done = post(client, question.partition("?")[0], question, right)
    assert (
        done.status_code == 303 and done.headers["location"] == f"/bench/devices/{code}?erasure=1"
    )
    page = section(client.get(done.headers["location"]).text)
    assert (
        f"Rapport « {path.name} » importé. Effacements enregistrés : 2 ; valant preuve : 2." in page
    )
    assert f"Autre support Loopback device (n° {first}) : effacé et vérifié" in page
    assert not (settings.data_dir / "uploads" / sha256).exists()
    records = [m["erasures"] for m in media(client, bench, code)]
    assert [r[0]["medium_id"] for r in records] == [first, second]
    assert {r[0]["source"] for r in records} == {"import"}

    back = client.get(question, follow_redirects=False)  # Back to the question, or F5
    assert back.status_code == 303 and back.headers["location"].endswith("?erasure=1")
    again = post(
        client, f"/bench/devices/{code}/erasures/import", f"/bench/devices/{code}", {}, files=report
    )
    assert again.status_code == 303
    said = section(client.get(again.headers["location"]).text)
    assert "avait déjà été importé : rien de nouveau n'a été enregistré." in said
    assert_ledger_sound(engine)


@needs_erasure_corpus
@pytest.mark.parametrize(
    ("path", "with_media", "said"),
    [
        (
            "nwipe-0.42/pdf/nwipe-0.42-two-devices/"
            "nwipe_system_report_2026-12-01-21-40-40_host-UUID-_host-SN-.txt",
            True,
            "n'est pas un rapport d'effacement que Remise sait lire",
        ),
        ("nwipe-0.42/nwipe-0.42-verify-zero-pass.log", True, "n'a rien effacé"),
        (
            "nwipe-0.33/nwipe-0.33-zero-verify-last.log",
            False,
            "n'a encore aucun support de stockage : ajoutez ses disques",
        ),
    ],
    ids=["not-a-report", "verify-only", "no-medium-yet"],
)
def test_a_report_refused_says_why_beside_the_file_field(
    client: TestClient, engine: Engine, path: str, with_media: bool, said: str
) -> None:
    code = labelled(engine, category=Category.DESKTOP)
    bench = auth(make_token(engine, role=Role.BENCH))
    if with_media:
        loop_disks(client, bench, code)
    bench_page(client, engine)
    file = CORPUS / path
    report = {"file": (file.name, file.read_bytes(), "application/octet-stream")}
    answer = post(
        client, f"/bench/devices/{code}/erasures/import", f"/bench/devices/{code}", {}, files=report
    )
    assert answer.status_code in (409, 422), answer.status_code
    page = section(answer.text)
    beside = between(page, 'id="import-error-file"', "</p>")
    assert said in beside, beside
    assert re.search(
        r'id="import-file"[^>]*aria-describedby="import-error-file[^>]*autofocus', page
    )
    assert all(m["erasures"] == [] for m in media(client, bench, code))


def sampled(client: TestClient, engine: Engine) -> tuple[str, int]:
    """A device whose disk lucie erased by hand, drawn for re-verification this week."""
    code, _bench, medium = ssd_at_the_bench(client, engine)
    typed = {
        "medium_id": str(medium["id"]),
        "method": "overwrite",
        "pattern": "zero",
        "verification": "full",
        "result": "passed",
    }
    post(client, f"/bench/devices/{code}/erasures", f"/bench/devices/{code}", typed)
    with transaction(engine) as session:
        week = sampling.week_of(utcnow().date())
        drawn = sampling.draw(session, system_actor("tests"), percent=5, week=week, seed=7)
    [erasure_id] = drawn.drawn
    return code, erasure_id


def test_the_person_who_erased_a_sampled_disk_is_refused_beside_its_form(
    client: TestClient, engine: Engine
) -> None:
    code, erasure_id = sampled(client, engine)
    page = shown(client.get("/erasures/sampling").text)
    item = between(page, f'id="sample-{erasure_id}"', "</article>")
    assert f'href="/bench/devices/{code}"' in item and "lucie" in item
    assert "Vous l'avez effacé : une autre personne le contre-vérifie." in item
    typed = {"verification": "full", "result": "passed", "tool": "remise verify-wipe"}
    refused = post(client, f"/erasures/sampling/{erasure_id}/reverify", "/erasures/sampling", typed)
    assert refused.status_code == 409
    item = between(shown(refused.text), f'id="sample-{erasure_id}"', "</article>")
    assert f'id="sample-{erasure_id}-problem"' in item and "lucie" in item
    assert 'value="full" checked' in item and 'value="remise verify-wipe"' in item

    make_user(engine, "marc", Role.BENCH)
    sign_in(client, "marc")
    typed = {"verification": "sampled", "result": "failed", "comment": "secteurs non nuls"}
    done = post(client, f"/erasures/sampling/{erasure_id}/reverify", "/erasures/sampling", typed)
    assert done.status_code == 303 and done.headers["location"] == "/erasures/sampling?state=queued"
    page = shown(client.get(done.headers["location"]).text)
    assert f"L'appareil {code} est bloqué jusqu'à ce que le support soit effacé de nouveau" in page
    failed = shown(client.get("/erasures/sampling?state=failed").text)
    assert f'class="sample failed" id="sample-{erasure_id}"' in failed
    assert 'id="failed-checks"' not in failed  # the banner is for coordinators
    assert "En attente" not in section(client.get(f"/bench/devices/{code}").text)
    assert "Échec — à effacer de nouveau ou à détruire" in section(
        client.get(f"/bench/devices/{code}").text
    )


def test_a_coordinator_sees_failures_first_and_draws_last_weeks_sample_once(
    client: TestClient, engine: Engine
) -> None:
    code, erasure_id = sampled(client, engine)
    make_user(engine, "marc", Role.BENCH)
    sign_in(client, "marc")
    typed = {"verification": "full", "result": "failed"}
    post(client, f"/erasures/sampling/{erasure_id}/reverify", "/erasures/sampling", typed)
    make_user(engine, "claire", Role.COORDINATOR)
    sign_in(client, "claire")
    page = shown(client.get("/erasures/sampling").text)
    banner = between(page, 'id="failed-checks"', "</div>")
    assert f'href="/bench/devices/{code}"' in banner
    week = sampling.week_of(utcnow().date() - timedelta(days=7))
    assert f"Tirer l'échantillon de la semaine {week}" in page
    drawn = post(client, "/erasures/sampling/draw", "/erasures/sampling", {})
    assert drawn.status_code == 303
    page = shown(client.get("/erasures/sampling").text)
    assert f"Échantillon de la semaine {week} : 0 effacements tirés sur 0." in page
    assert f"Tirer l'échantillon de la semaine {week}" not in page and "Tiré le" in page


def certificate_of(client: TestClient, engine: Engine) -> dict[str, Any]:
    """A batch of one laptop with its disk erased, and its certificate."""
    batch = make_batch(client, engine)
    code = labelled(engine, batch_id=batch)
    bench = auth(make_token(engine, role=Role.BENCH))
    disk = SSD
    client.post(f"/api/v1/devices/{code}/media", headers=bench, json=disk)
    erase_every_medium(client, bench, code)
    coordinator = auth(make_token(engine, role=Role.COORDINATOR))
    issued = client.get(f"/api/v1/batches/{batch}/certificate", headers=coordinator)
    assert issued.status_code == 200, issued.text
    return {"code": code, **issued.json()}


def test_the_public_page_confirms_a_certificate_without_signing_in(
    client: TestClient, engine: Engine
) -> None:
    issued = certificate_of(client, engine)
    number = issued["certificate"]
    typed = client.get(f"/verify?code={number.lower().replace('-', ' ')}", follow_redirects=False)
    assert typed.status_code == 303 and typed.headers["location"] == f"/verify/{number}"
    answer = client.get(f"/verify/{number}")
    assert answer.status_code == 200
    page = shown(answer.text)
    assert "✔</span> Certificat valide</h1>" in page
    assert issued["code"] in page and "S3Z1NB0K123456A" in page and "Effacé" in page
    content = issued["envelope"]["content"]
    for private in (content["donor"]["name"], content["issuer"]["name"], "Martin"):
        assert private not in page
    switch = {"locale": "en", "next": f"/verify/{number}"} | form_of(client, f"/verify/{number}")
    switched = client.post("/language", data=switch, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == f"/verify/{number}"
    english = client.get(f"/verify/{number}").text
    assert "Valid certificate" in english and "Certificat valide" not in english


def test_a_certificate_whose_ledger_row_was_edited_says_which_medium_fails(
    client: TestClient, engine: Engine
) -> None:
    issued = certificate_of(client, engine)
    [device] = issued["envelope"]["content"]["devices"]
    seq = device["media"][0]["evidence"]["seq"]
    with transaction(engine) as session:
        payload = session.execute(
            text("SELECT payload FROM ledger_event WHERE seq = :seq"), {"seq": seq}
        ).scalar_one()
        forged = payload.replace('"passed":true', '"passed":false', 1)
        session.execute(
            text("UPDATE ledger_event SET payload = :p WHERE seq = :seq"), {"p": forged, "seq": seq}
        )
    page = shown(client.get(f"/verify/{issued['certificate']}").text)
    assert "✖</span> Ce certificat ne correspond plus au registre</h1>" in page
    problems = between(page, 'id="problems"', "</ul>")
    assert issued["code"] in problems and "S3Z1NB0K123456A" in problems
    assert str(seq) in between(page, 'id="chain-problem"', "</p>")


def test_a_mistyped_or_unknown_code_is_said_beside_the_field(client: TestClient) -> None:
    page = client.get("/verify")
    assert page.status_code == 200 and 'id="verify-code"' in page.text
    mistyped = client.get("/verify?code=7K3Q0-MX2RZ")
    assert mistyped.status_code == 422
    said = shown(mistyped.text)
    assert '<p class="field-error" id="verify-error" role="alert">Ce n\'est pas un code' in said
    assert 'value="7K3Q0-MX2RZ"' in said
    unknown = "".join(["7K3Q0MX2R", codes.check_symbol("7K3Q0MX2R")])
    answer = client.get(f"/verify/{unknown[:5]}-{unknown[5:]}")
    assert answer.status_code == 404
    assert fr(CertificateNotFound.message, code=f"{unknown[:5]}-{unknown[5:]}") in shown(
        answer.text
    )
    assert f'value="{unknown[:5]}-{unknown[5:]}"' in answer.text
