"""A bare FastAPI app doing Remise's look-ups on Remise's database: the floor it is
measured against (`bench.http`).

Nothing of Remise's request path (no middleware, no token, no locale, no scope): a
device by its code, the devices with a serial (case-insensitive, on the same
`upper(serial)` index), and `SELECT 1`, in three flavours:

- `/sync/…`: a plain `def` route (run in Starlette's thread pool) and raw SQL on a
  connection kept per thread (sqlite3, or psycopg in autocommit);
- `/async/…`: an `async def` route whose query runs in one hop to a thread
  (`asyncio.to_thread`), on the same per-thread connections;
- `/sqlmodel/…`: a plain `def` route with a naive SQLModel session per request, on
  an engine with SQLAlchemy's default pool.

Served by uvicorn, one worker: `python -m uvicorn bench.request_path.bare:create_app
--factory`, with the database's SQLAlchemy URL in REMISE_DATABASE_URL, the variable
Remise reads, so that both servers are pointed at the same database the same way.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from fastapi import FastAPI, HTTPException
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine, select

from db.models import Device

COLUMNS = (
    "id, code, batch_id, category, brand, model, serial, imei, asset_tag, status, grade, "
    "price_cents, location, structure_id, attributes"
)
NAMES = tuple(name.strip() for name in COLUMNS.split(","))
SQLITE_BUSY_TIMEOUT_S = 5


def canonical_code(text: str) -> str:
    """A typed code as stored: upper case, without spaces or hyphens."""
    return "".join(ch for ch in text if ch not in " -").upper()


class RawLookups:
    """The look-ups in raw SQL, on one connection per thread."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        mark = "?" if self.sqlite else "%s"
        self.by_code = f"SELECT {COLUMNS} FROM device WHERE code = {mark}"
        self.by_serial = (
            f"SELECT {COLUMNS} FROM device"
            f" WHERE serial IS NOT NULL AND upper(serial) = {mark} ORDER BY id"
        )
        if self.sqlite:
            self.connect: Callable[[], Any] = lambda: self._sqlite(str(parsed.database))
        else:
            libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connect = lambda: psycopg.connect(libpq, autocommit=True)
        self.local = threading.local()

    @staticmethod
    def _sqlite(path: str) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _conn(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = self.connect()
        return conn

    def _rows(self, query: str, value: str) -> list[dict[str, Any]]:
        rows = self._conn().execute(query, (value,)).fetchall()
        found = [dict(zip(NAMES, row, strict=True)) for row in rows]
        if self.sqlite:
            for device in found:
                device["attributes"] = json.loads(device["attributes"] or "{}")
        return found

    def device(self, code: str) -> dict[str, Any]:
        found = self._rows(self.by_code, canonical_code(code))
        if not found:
            raise HTTPException(404, "no such device")
        return found[0]

    def scan(self, serial: str) -> dict[str, Any]:
        found = self._rows(self.by_serial, serial.strip().upper())
        if len(found) != 1:
            raise HTTPException(404 if not found else 409, f"{len(found)} devices")
        return found[0]

    def health(self) -> dict[str, Any]:
        self._conn().execute("SELECT 1").fetchone()
        return {"status": "ok"}


def create_app() -> FastAPI:
    url = os.environ["REMISE_DATABASE_URL"]
    raw = RawLookups(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed)
    app = FastAPI(openapi_url=None)

    @app.get("/sync/devices/{code}")
    def sync_device(code: str) -> dict[str, Any]:
        return raw.device(code)

    @app.get("/sync/scan/{serial}")
    def sync_scan(serial: str) -> dict[str, Any]:
        return raw.scan(serial)

    @app.get("/sync/health")
    def sync_health() -> dict[str, Any]:
        return raw.health()

    @app.get("/async/devices/{code}")
    async def async_device(code: str) -> dict[str, Any]:
        return await asyncio.to_thread(raw.device, code)

    @app.get("/sqlmodel/devices/{code}")
    def sqlmodel_device(code: str) -> dict[str, Any]:
        with Session(engine) as session:
            device = session.exec(select(Device).where(Device.code == canonical_code(code))).first()
            if device is None:
                raise HTTPException(404, "no such device")
            return device.model_dump()

    return app
