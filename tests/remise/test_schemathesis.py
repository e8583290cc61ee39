"""Schemathesis against every API operation, with a token of each role, on the demo data.

Each operation is called with generated requests (valid ones, and invalid ones that
must be refused with a 4xx), and every answer is checked: never a 5xx, and always an
answer the OpenAPI document declares (its status, content type, body and headers).

Bounded so that the suite stays fast: a few fuzzed examples per operation and role; the
coverage phase (each parameter's boundaries and each type it must refuse, every method
an address does not take) for the coordinator only, whose requests reach the deepest
code, since it makes hundreds of requests per role (and one unexpected method per
address, whose 405 answer is checked too). A fixed seed and derandomised
generation make a failure show again on the next run and in CI.

Nothing is excluded. Each request carries a token made for it (a new user of the
role), so that a generated `DELETE /api/v1/me/tokens/{id}` cannot take the next
requests' credentials away.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup, as_reported_failure
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from db.engine import make_engine, transaction
from db.enums import Role
from remise import demo
from remise.app import create_app
from remise.settings import Settings
from tests.factories import auth, make_token

EXAMPLES = 5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
BOUNDS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
DEMO_STRUCTURE = "Centre social La Passerelle"


def _config(role: Role) -> SchemathesisConfig:
    # One unexpected method per address is enough to check the 405 answers.
    phases: dict[str, Any] = {
        "stateful": {"enabled": False},
        "coverage": {"enabled": role == Role.COORDINATOR, "unexpected-methods": ["PATCH"]},
    }
    return SchemathesisConfig.from_dict(
        {
            "seed": 13,
            "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True},
            "phases": phases,
        }
    )


@dataclass(frozen=True)
class Demo:
    engine: Engine
    app: FastAPI


@pytest.fixture(scope="module")
def demo_api(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Demo]:
    """The app on a SQLite copy of the demo data."""
    folder = tmp_path_factory.mktemp("schemathesis")
    shutil.copyfile(sqlite_template, folder / "remise.db")
    url = f"sqlite:///{folder / 'remise.db'}"
    engine = make_engine(url)
    with transaction(engine) as session:
        assert demo.seed(session) is not None
    settings_ = Settings(database_url=url, data_dir=folder / "data", scheduler_enabled=False)
    yield Demo(engine, create_app(settings_, engine=engine))
    engine.dispose()


def _reported(exc: Exception) -> str:
    return str(as_reported_failure(exc)) if isinstance(exc, FailureGroup) else repr(exc)


@pytest.mark.parametrize("role", list(Role))
def test_no_server_error_and_no_answer_outside_the_schema(demo_api: Demo, role: Role) -> None:
    """Every operation, each with the tests schemathesis's pytest plugin builds for it;
    all failures are listed at the end."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", demo_api.app, config=_config(role))
    structure = DEMO_STRUCTURE if role == Role.STRUCTURE else None

    def call(case: Case) -> None:
        token = make_token(demo_api.engine, role=role, structure=structure)
        case.call_and_validate(headers=auth(token), checks=CHECKS)

    # `get_all_tests` is what `schema.parametrize()` runs, one test per operation; called
    # here because the plugin's fixture-based form reads a node attribute pytest 9 removed.
    failures, operations = [], 0
    for result in get_all_tests(schema=schema, test_func=call, settings=BOUNDS, given_kwargs={}):
        operation, run = result.ok()  # an operation the document describes wrongly fails here
        operations += 1
        try:
            run()
        except Exception as exc:  # every operation's failure is reported, not just the first
            failures.append(f"{operation.label}: {_reported(exc)}")
    assert operations > 40
    assert not failures, "\n\n".join(failures)
