"""Golden vectors for the one canonical encoding: changing it breaks every chain."""

from __future__ import annotations

import hashlib

import pytest

from db import canonical

NESTED = {"zèbre": "élan", "a": {"b": [1, "ü", None, True], "A": -5}, "Ä": "x", "n": 12345678901234}
NESTED_BYTES = (
    '{"a":{"A":-5,"b":[1,"ü",null,true]},"n":12345678901234,"zèbre":"élan","Ä":"x"}'
).encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (NESTED, NESTED_BYTES),  # keys by code point at every depth, raw UTF-8
        ({"b": 1, "a": 2}, b'{"a":2,"b":1}'),
        ({}, b"{}"),
        (
            {"note": 'ligne 1\nligne "2"\t/ 😀', "vide": {}, "liste": []},
            '{"liste":[],"note":"ligne 1\\nligne \\"2\\"\\t/ 😀","vide":{}}'.encode(),
        ),
        ({"cents": -1999, "ok": False, "rien": None}, b'{"cents":-1999,"ok":false,"rien":null}'),
    ],
)
def test_canonical_json_golden_vectors(value: object, expected: bytes) -> None:
    assert canonical.dumps(value) == expected


GOLDEN_ROW = {
    "seq": 7,
    "at": "2026-11-23T09:30:00.000000Z",
    "actor": "bénévole",
    "device": 42,
    "type": "device.labelled",
    "payload": NESTED_BYTES.decode(),
    "prev": "ab" * 32,
}
GOLDEN_ROW_BYTES = (
    '{"actor":"bénévole","at":"2026-11-23T09:30:00.000000Z","device":42,"payload":'
    + NESTED_BYTES.decode()
    + ',"prev":"'
    + "ab" * 32
    + '","seq":7,"type":"device.labelled"}'
).encode()
GOLDEN_ROW_HASH = "087d20180e61d2c21a2cb327ee177bb897ec5a8e5bd1ae57c84873617d40f469"


def test_row_encoding_and_hash_golden_vector() -> None:
    row = canonical.row_bytes(**GOLDEN_ROW)  # type: ignore[arg-type]
    assert row == GOLDEN_ROW_BYTES
    assert hashlib.sha256(row).hexdigest() == GOLDEN_ROW_HASH
    assert canonical.row_hash(**GOLDEN_ROW) == GOLDEN_ROW_HASH  # type: ignore[arg-type]


def test_first_row_golden_vector() -> None:
    assert (
        canonical.row_hash(
            seq=1,
            at="2026-01-01T00:00:00.000000Z",
            actor="system",
            device=None,
            type="user.created",
            payload="{}",
            prev=canonical.GENESIS_HASH,
        )
        == "181c76d203a91dcc51868d115f7a0bbd23c672855a38d47494266f188a89e3ea"
    )


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"price": 12.5}, r"\$\.price: floats are not allowed"),
        ({"a": [1, {"b": 0.1}]}, r"\$\.a\[1\]\.b: floats"),
        ({1: "x"}, "keys must be text"),
        ({"s": {1, 2}}, "set has no canonical encoding"),
        ({"big": 2**70}, "Integer exceeds 64-bit range"),
    ],
)
def test_values_without_one_spelling_are_refused(value: object, where: str) -> None:
    with pytest.raises(canonical.NotCanonical, match=where):
        canonical.dumps(value)
