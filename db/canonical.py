"""The one canonical encoding that ledger hashes are computed over.

Canonical JSON is UTF-8 without escapes for non-ASCII text, keys sorted by code
point at every depth, no insignificant white space, and no floats (amounts are
cents, measures integers or decimal strings): a float has several spellings, so it
would let two encoders disagree about a hash. The encoder is orjson, whose sorted
output is about five times faster than `json.dumps(sort_keys=True)`: the encoding,
not SHA-256, decides how fast the ledger verifies.

A ledger row is hashed as the canonical JSON object
`{"actor", "at", "device", "payload", "prev", "seq", "type"}`, where `payload` is
embedded as the canonical bytes stored in the row. Golden vectors in
`tests/db/test_canonical.py` pin this; changing it breaks every existing chain.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

GENESIS_HASH = "0" * 64
_SORTED = orjson.OPT_SORT_KEYS
# What a payload may hold, for validators at the edge (`db.jsonvalue`) to refuse the rest
# before it gets here: orjson encodes integers of 64 bits and nests at most 254 levels
# (signed 64 bits, as the database's BIGINT, is the range kept).
MIN_INT = -(2**63)
MAX_INT = 2**63 - 1
MAX_NESTING = 254


class NotCanonical(ValueError):
    """The value holds something the canonical encoding refuses (a float, a set…)."""


_SCALARS = frozenset({str, int, bool, type(None)})


def _plainly_canonical(value: Any) -> bool:
    """Fast scan, no strings built: True when the tree holds only JSON's exact types."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            for key, child in item.items():
                if type(key) is not str:
                    return False
                if type(child) not in _SCALARS:
                    pending.append(child)
        elif kind is list or kind is tuple:
            pending.extend(child for child in item if type(child) not in _SCALARS)
        elif kind not in _SCALARS:
            return False
    return True


def _check(value: Any, path: str) -> None:
    """The slow walk, run only when the scan found something: says where, and why."""
    if isinstance(value, float):
        raise NotCanonical(f"{path}: floats are not allowed (use cents or a decimal string)")
    if isinstance(value, bool | int | str) or value is None:  # enum members, other subclasses
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical(f"{path}: keys must be text, not {type(key).__name__}")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    raise NotCanonical(f"{path}: {type(value).__name__} has no canonical encoding")


def dumps(value: Any) -> bytes:
    """Canonical JSON bytes of `value`; raises NotCanonical for floats and non-JSON types."""
    if not _plainly_canonical(value):
        _check(value, "$")
    try:
        return orjson.dumps(value, option=_SORTED)
    except orjson.JSONEncodeError as exc:  # integers beyond 64 bits
        raise NotCanonical(str(exc)) from exc


def dumps_plain(value: Any) -> bytes:
    """`dumps` for a value its caller built from text, integers and None only.

    The same bytes as `dumps`, without its scan for floats: bulk imports encode one
    payload a row from validated cells, and the scan cost as much as the encoding.
    """
    return orjson.dumps(value, option=_SORTED)


def row_bytes(
    *, seq: int, at: str, actor: str, device: int | None, type: str, payload: str, prev: str
) -> bytes:
    """Canonical bytes of one ledger row; `payload` is the row's canonical JSON text."""
    return orjson.dumps(
        {
            "actor": actor,
            "at": at,
            "device": device,
            "payload": orjson.Fragment(payload),
            "prev": prev,
            "seq": seq,
            "type": type,
        },
        option=_SORTED,
    )


def row_hash(
    *, seq: int, at: str, actor: str, device: int | None, type: str, payload: str, prev: str
) -> str:
    """SHA-256 (hex) of the row's canonical bytes."""
    data = row_bytes(
        seq=seq, at=at, actor=actor, device=device, type=type, payload=payload, prev=prev
    )
    return hashlib.sha256(data).hexdigest()
