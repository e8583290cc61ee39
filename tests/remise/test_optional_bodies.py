"""A POST whose body is optional accepts no body at all: `POST /devices/{code}/runs`
without one answered 422 « body: Ce champ est obligatoire »."""

from __future__ import annotations

from fastapi import FastAPI, routing
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Status
from tests.factories import auth, make_device, make_token


def _body_models(app: FastAPI) -> list[tuple[str, type[BaseModel], bool]]:
    found = []
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, routing.APIRoute):
            continue
        for parameter in context.dependant.body_params:
            model = parameter.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                found.append((context.path, model, parameter.field_info.is_required()))
    return found


def test_a_body_whose_every_field_has_a_default_may_be_left_out(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    models = _body_models(app)
    assert len(models) > 10  # the walk sees the included routers' JSON bodies
    forced = [
        f"{path} ({model.__name__})"
        for path, model, required in models
        if required and not any(f.is_required() for f in model.model_fields.values())
    ]
    assert not forced, "give these bodies Body(default_factory=…): " + ", ".join(forced)


def test_a_run_starts_without_a_body(client: TestClient, engine: Engine) -> None:
    headers = auth(make_token(engine))
    with transaction(engine) as session:
        code = make_device(session, status=Status.LABELLED).code
    answer = client.post(f"/api/v1/devices/{code}/runs", headers=headers)  # no body
    assert answer.status_code == 201, answer.text
    assert answer.json()["device_code"].replace("-", "") == code and answer.json()["open"] is True
