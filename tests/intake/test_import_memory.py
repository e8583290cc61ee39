"""Refused rows never pile up in memory: a real server given 268,000 bad rows stays small.

A 49 MB CSV of 268,000 invalid rows took the server to 1.38 GB, and 150 MB checked with
`skip_invalid=true&dry_run=true` to 3.8 GB: every refused row was kept in memory. Now
the answer lists the first 200 problems with the totals, the rows go to a file on disk,
and `refused.csv` streams them back. Peak RSS is read from outside (VmHWM).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from intake.importer import MAX_REPORTED
from tests.liveserver import LiveServer, live_server, multipart

ROWS = 268_000
PEAK_MIB = 300
# A real asset list has many columns: each extra one is kept with the device (or with
# its refused row). Twelve cells a row bring the file to about 49 MB.
EXTRAS = [
    "Site",
    "Bâtiment",
    "Étage",
    "Service",
    "Utilisateur",
    "Date d'achat",
    "Garantie",
    "Remarques",
]
EXTRA_CELLS = ["Nantes", "B-12", "3", "Comptabilité", "j.dupont", "12/03/2019", "2022", "x" * 104]


def write_invalid_csv(path: Path) -> None:
    """268,000 rows whose category is no category Remise knows, each a distinct serial."""
    tail = ";".join(EXTRA_CELLS)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(";".join(["N° de série", "Marque", "Modèle", "Catégorie", *EXTRAS]) + "\r\n")
        out.writelines(f"BAD{n:08d};=1+1;Frigo-X;Frigo;{tail}\r\n" for n in range(ROWS))


def _import(
    server: LiveServer, batch_id: int, body: bytes, boundary: str, query: str
) -> tuple[int, dict]:
    status, _headers, answer = server.request(
        "POST",
        f"/api/v1/batches/{batch_id}/import?{query}",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        token=server.token,
        timeout=900,
    )
    return status, orjson.loads(answer)


@pytest.mark.parametrize("query", ["", "skip_invalid=true&dry_run=true", "skip_invalid=true"])
def test_268000_refused_rows_stay_under_300_mib(
    tmp_path: Path, sqlite_template: Path, query: str
) -> None:
    database = tmp_path / "remise.db"
    database.write_bytes(sqlite_template.read_bytes())
    csv_path = tmp_path / "refus.csv"
    write_invalid_csv(csv_path)
    assert csv_path.stat().st_size > 48 * 1024 * 1024
    body, boundary = multipart(csv_path)
    env = {"REMISE_MAX_UPLOAD_MB": "200"}
    with live_server(f"sqlite:///{database}", tmp_path / "data", env=env) as server:
        batch_id = server.new_batch()
        status, report = _import(server, batch_id, body, boundary, query)
        refused = None
        if report.get("refused_csv_url"):
            got, _h, refused = server.request(
                "GET", report["refused_csv_url"], token=server.token, timeout=900
            )
            assert got == 200
        peak = server.peak_rss_mib()
    print(f"peak RSS {peak:.0f} MiB with {query or 'no option'}")
    assert peak < PEAK_MIB, f"peak RSS {peak:.0f} MiB"
    if not query:
        assert status == 422 and report["code"] == "import_refused"
        assert len(report["errors"]) == MAX_REPORTED
        assert (report["error_count"], report["refused_rows"]) == (ROWS, ROWS)
        return
    assert status == 200, report
    assert (report["rows"], report["skipped"], report["created"]) == (ROWS, ROWS, 0)
    assert report["problem_count"] == ROWS and len(report["skipped_rows"]) == MAX_REPORTED
    if "dry_run" in query:
        assert report["refused_csv_url"] is None
        return
    assert refused is not None
    lines = refused.decode("utf-8-sig").splitlines()
    assert len(lines) == ROWS + 1
    assert lines[1].startswith("BAD00000000;'=1+1;") and lines[-1].startswith("BAD00267999;")
