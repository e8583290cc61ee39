"""The error answers, declared in the OpenAPI document where a route can give them.

FastAPI documents each route's success and its own validation error, which is not
the body `remise.errors` sends. This module rewrites the generated document once,
in one pass over every operation, from what the operation is made of:

- every operation: a `default` answer, the `Error` body (`{"detail", "code", …}`);
- a bearer token (its `security`): 401; a permission check (`remise.deps.require`): 403;
- a path parameter (something loaded by id or code): 404;
- any parameter or body: 422 with `InvalidRequest` (the fields named), or `Error` when
  the data breaks a rule of the domain (a file's rows, a checklist's values);
- a body: 400 (it cannot be read) and 413 (too large);
- a write (any method but GET and HEAD, or a GET that records, `get_write_session`):
  409 (the state changed) and 503 with `Retry-After` (the database is busy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant

from remise.deps import get_write_session

REF = "#/components/schemas/"
_READS = frozenset({"get", "head"})

_OBJECTS = {"type": "array", "items": {"type": "object", "additionalProperties": True}}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "title": "Error",
        "description": "Every error: what went wrong and what to do, in the request's "
        "language (`Accept-Language`, French by default), and a stable code. Some errors "
        "carry more, named below.",
        "type": "object",
        "required": ["detail", "code"],
        "properties": {
            "detail": {"type": "string", "description": "for a person to read and act on"},
            "code": {
                "type": "string",
                "description": "stable, for programs",
                "examples": ["batch_not_found"],
            },
            "errors": {
                "description": "each problem: a list (a file's rows, a request's fields) or an "
                "object keyed by field",
                "anyOf": [_OBJECTS, {"type": "object", "additionalProperties": True}],
            },
            "error_count": {
                "type": "integer",
                "description": "problems in all, if more than listed",
            },
            "matches": _OBJECTS | {"description": "the devices a scanned text could mean"},
            "current": {"type": "string", "description": "the device's status"},
            "allowed": {
                "type": "array",
                "items": {"type": "string"},
                "description": "statuses it may move to",
            },
            "blocking": _OBJECTS | {"description": "the steps that keep a run from finishing"},
        },
        "additionalProperties": True,
    },
    "FieldProblem": {
        "title": "FieldProblem",
        "type": "object",
        "required": ["field", "message"],
        "properties": {
            "field": {"type": "string", "description": "dotted path: `offset`, `parts.0.kind`"},
            "message": {"type": "string"},
        },
        "additionalProperties": False,
    },
    "InvalidRequest": {
        "title": "InvalidRequest",
        "description": "A parameter or a body field is missing or malformed; each is named.",
        "type": "object",
        "required": ["detail", "code", "errors"],
        "properties": {
            "detail": {"type": "string"},
            "code": {"type": "string", "const": "invalid_request"},
            "errors": {"type": "array", "items": {"$ref": REF + "FieldProblem"}},
        },
        "additionalProperties": False,
    },
}
_UNUSED_DEFAULTS = ("HTTPValidationError", "ValidationError")  # FastAPI's, never sent


def _error(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body = schema or {"$ref": REF + "Error"}
    return {"description": description, "content": {"application/json": {"schema": body}}}


_INVALID = _error(
    "The request is not valid (InvalidRequest), or its data breaks a rule (Error)",
    {"anyOf": [{"$ref": REF + "InvalidRequest"}, {"$ref": REF + "Error"}]},
)
_BUSY = _error("The database is busy: nothing was saved, try again") | {
    "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
}


@dataclass(frozen=True)
class _Facts:
    """What an operation depends on, read from its route."""

    permission: bool = False
    writes: bool = False


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call is not None:
            yield current.call
        pending.extend(current.dependencies)


def _facts(app: FastAPI) -> dict[tuple[str, str], _Facts]:
    facts = {}
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, routing.APIRoute):
            continue
        calls = list(_calls(context.dependant))
        for method in context.methods or ():
            fact = _Facts(
                permission=any(hasattr(call, "permission") for call in calls),
                writes=method.lower() not in _READS or get_write_session in calls,
            )
            facts[(context.path_format, method.lower())] = fact
    return facts


def _errors_of(operation: dict[str, Any], facts: _Facts) -> dict[str, dict[str, Any]]:
    """The error answers `operation` can give, by status."""
    errors = {"default": _error("Any other error (500: a bug, logged)")}
    in_path = any(p.get("in") == "path" for p in operation.get("parameters", []))
    has_body = "requestBody" in operation
    if operation.get("security"):
        errors["401"] = _error("No token, or a token unknown, expired or revoked")
    if facts.permission:
        errors["403"] = _error("This user's role may not do this")
    if in_path:
        errors["404"] = _error("Nothing has this id or code (or this user may not see it)")
    if has_body:
        errors["400"] = _error("The body cannot be read")
        errors["413"] = _error("The body is larger than this route accepts")
    if operation.get("parameters") or has_body:
        errors["422"] = _INVALID
    if facts.writes:
        errors["409"] = _error("This conflicts with the current state (the message says how)")
        errors["503"] = _BUSY
    return errors


def declare_errors(schema: dict[str, Any], facts: dict[tuple[str, str], _Facts]) -> None:
    """Add the error answers to every operation of `schema`, in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in _UNUSED_DEFAULTS:
        components.pop(name, None)
    components.update(SCHEMAS)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's HTTPValidationError
            responses.update(_errors_of(operation, facts.get((path, method), _Facts())))


def install(app: FastAPI) -> None:
    """Serve `app`'s OpenAPI document with its error answers declared."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # cached by FastAPI until routes change
        if "InvalidRequest" not in schema.get("components", {}).get("schemas", {}):
            declare_errors(schema, _facts(app))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
