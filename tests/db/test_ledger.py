"""The chain catches every kind of tampering, at the exact first bad event."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text

from db import canonical, ledger
from db.engine import transaction

EVENTS = 10
Tamper = Callable[[Engine], None]


def fill(engine: Engine, count: int = EVENTS) -> list[ledger.Appended]:
    appended = []
    for number in range(1, count + 1):
        with transaction(engine) as session:
            appended.append(
                ledger.append(
                    session,
                    actor="bénévole",
                    type="device.updated",
                    payload={
                        "n": number,
                        "note": "écran rayé",
                        "changes": {"location": [None, "B3"]},
                    },
                )
            )
    return appended


def verify(engine: Engine, head: ledger.Head | None = None) -> ledger.Verification:
    with transaction(engine, read_only=True) as session:
        return ledger.verify(session, expected_head=head)


def sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement), params)


def row(engine: Engine, seq: int) -> dict[str, object]:
    with engine.connect() as connection:
        found = connection.execute(text("SELECT * FROM ledger_event WHERE seq = :s"), {"s": seq})
        return dict(found.mappings().one())


def test_intact_chain_verifies(engine: Engine) -> None:
    appended = fill(engine)
    result = verify(engine)
    assert result.ok and result.checked == EVENTS
    assert result.head == ledger.Head(EVENTS, appended[-1].hash)
    assert [a.seq for a in appended] == list(range(1, EVENTS + 1))


def test_empty_ledger_verifies(engine: Engine) -> None:
    result = verify(engine)
    assert result.ok and result.checked == 0 and result.head.hash == canonical.GENESIS_HASH


def edit_payload_byte(engine: Engine) -> None:
    payload = str(row(engine, 5)["payload"]).replace("rayé", "rayè")
    sql(engine, "UPDATE ledger_event SET payload = :p WHERE seq = 5", p=payload)


def edit_prev_hash(engine: Engine) -> None:
    sql(engine, "UPDATE ledger_event SET prev_hash = :h WHERE seq = 5", h="f" * 64)


def edit_hash(engine: Engine) -> None:
    original = str(row(engine, 5)["hash"])
    flipped = "1" if original[-1] == "0" else "0"
    sql(engine, "UPDATE ledger_event SET hash = :h WHERE seq = 5", h=original[:-1] + flipped)


def edit_actor(engine: Engine) -> None:
    sql(engine, "UPDATE ledger_event SET actor = 'quelqu''un' WHERE seq = 5")


def delete_row(engine: Engine) -> None:
    sql(engine, "DELETE FROM ledger_event WHERE seq = 5")


def renumber_from(engine: Engine, seq: int, shift: int) -> None:
    # Two steps, so the primary key never sees a duplicate mid-statement.
    sql(engine, "UPDATE ledger_event SET seq = seq + 100000 WHERE seq >= :s", s=seq)
    sql(engine, "UPDATE ledger_event SET seq = seq - 100000 + :d WHERE seq >= 100000", d=shift)


def insert_forged_row(engine: Engine) -> None:
    """A forged event at 5 whose own hash is right: the old 5, now 6, no longer links."""
    renumber_from(engine, 5, 1)
    prev = str(row(engine, 4)["hash"])
    values = {
        "seq": 5,
        "at": "2026-11-23T10:00:00.000000Z",
        "actor": "faussaire",
        "device": None,
        "type": "device.updated",
        "payload": "{}",
        "prev": prev,
    }
    digest = canonical.row_hash(**values)  # type: ignore[arg-type]
    sql(
        engine,
        "INSERT INTO ledger_event (seq, at, actor, device_id, type, payload, prev_hash, hash)"
        " VALUES (:seq, :at, :actor, NULL, :type, :payload, :prev, :h)",
        **values,
        h=digest,
    )


def insert_naive_row(engine: Engine) -> None:
    renumber_from(engine, 5, 1)
    sql(
        engine,
        "INSERT INTO ledger_event (seq, at, actor, device_id, type, payload, prev_hash, hash)"
        " VALUES (5, '2026-11-23T10:00:00.000000Z', 'x', NULL, 't', '{}', :p, :h)",
        p="0" * 64,
        h="1" * 64,
    )


def swap_rows(engine: Engine) -> None:
    sql(engine, "UPDATE ledger_event SET seq = 100004 WHERE seq = 4")
    sql(engine, "UPDATE ledger_event SET seq = 4 WHERE seq = 5")
    sql(engine, "UPDATE ledger_event SET seq = 5 WHERE seq = 100004")


def delete_and_close_gap(engine: Engine) -> None:
    sql(engine, "DELETE FROM ledger_event WHERE seq = 5")
    renumber_from(engine, 6, -1)


@pytest.mark.parametrize(
    ("tamper", "first_bad", "reason"),
    [
        (edit_payload_byte, 5, "hash does not match its content"),
        (edit_actor, 5, "hash does not match its content"),
        (edit_prev_hash, 5, "previous hash"),
        (edit_hash, 5, "hash does not match its content"),
        (delete_row, 5, "row 5 is missing"),
        (delete_and_close_gap, 5, "previous hash"),
        (insert_forged_row, 6, "previous hash"),
        (insert_naive_row, 5, "previous hash"),
        (swap_rows, 4, "previous hash"),
    ],
)
def test_tampering_is_found_at_the_first_bad_event(
    engine: Engine, tamper: Tamper, first_bad: int, reason: str
) -> None:
    fill(engine)
    tamper(engine)
    result = verify(engine)
    assert not result.ok
    assert result.first_bad_seq == first_bad
    assert reason in (result.reason or "")


def test_truncated_tail_passes_alone_but_fails_against_the_published_head(engine: Engine) -> None:
    appended = fill(engine)
    published = ledger.Head(EVENTS, appended[-1].hash)
    sql(engine, "DELETE FROM ledger_event WHERE seq > 8")
    assert verify(engine).ok  # nothing inside the chain shows it
    result = verify(engine, published)
    assert not result.ok and result.first_bad_seq == 9
    assert "ends at 8" in (result.reason or "")


def test_rewritten_tail_fails_against_the_published_head(engine: Engine) -> None:
    appended = fill(engine)
    result = verify(engine, ledger.Head(7, "e" * 64))
    assert not result.ok and result.first_bad_seq == 7
    assert verify(engine, ledger.Head(7, appended[6].hash)).ok


def test_an_older_published_head_still_verifies(engine: Engine) -> None:
    appended = fill(engine)
    assert verify(engine, ledger.Head(3, appended[2].hash)).ok


def test_append_refuses_floats_and_writes_nothing(engine: Engine) -> None:
    fill(engine, 2)
    with pytest.raises(canonical.NotCanonical), transaction(engine) as session:
        ledger.append(session, actor="a", type="device.updated", payload={"price": 12.5})
    assert verify(engine).checked == 2


def test_append_many_chains_in_order(engine: Engine) -> None:
    fill(engine, 2)
    with transaction(engine) as session:
        new = [ledger.NewEvent("device.updated", {"i": i}) for i in range(5)]
        appended = ledger.append_many(session, actor="import", events=new)
    assert [a.seq for a in appended] == [3, 4, 5, 6, 7]
    assert verify(engine).checked == 7


def test_rolled_back_append_leaves_no_trace(engine: Engine) -> None:
    fill(engine, 3)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        ledger.append(session, actor="a", type="device.updated", payload={})
        raise RuntimeError("the change failed after its event")
    with transaction(engine) as session:
        assert ledger.append(session, actor="a", type="device.updated", payload={}).seq == 4
    assert verify(engine).ok


@pytest.mark.parametrize("text_", ["12", "12:abc", "x:" + "a" * 64, ":" + "a" * 64])
def test_head_parse_refuses_malformed_heads(text_: str) -> None:
    with pytest.raises(ValueError, match="SEQ:HASH"):
        ledger.Head.parse(text_)


def test_head_parse_reads_what_head_prints() -> None:
    head = ledger.Head(42, "A" * 64)
    assert ledger.Head.parse(str(head)) == ledger.Head(42, "a" * 64)


def test_job_cursor_reads_each_event_once(engine: Engine) -> None:
    fill(engine, 4)
    with transaction(engine) as session:
        first = ledger.events_after(session, "labels", types=["device.updated"], limit=3)
        ledger.advance(session, "labels", first[-1].seq)
    with transaction(engine) as session:
        rest = ledger.events_after(session, "labels", types=["device.updated"])
    assert [e.seq for e in first] == [1, 2, 3] and [e.seq for e in rest] == [4]


def test_verify_uses_the_canonical_encoding_of_the_golden_vector(engine: Engine) -> None:
    """verify() encodes rows inline for speed; this pins it to the published vector."""
    golden = "181c76d203a91dcc51868d115f7a0bbd23c672855a38d47494266f188a89e3ea"
    sql(
        engine,
        "INSERT INTO ledger_event (seq, at, actor, device_id, type, payload, prev_hash, hash)"
        " VALUES (1, '2026-01-01T00:00:00.000000Z', 'system', NULL, 'user.created', '{}', :p, :h)",
        p=canonical.GENESIS_HASH,
        h=golden,
    )
    result = verify(engine)
    assert result.ok and result.head == ledger.Head(1, golden)
    with transaction(engine) as session:
        assert ledger.append(session, actor="a", type="t", payload={}).seq == 2
    assert verify(engine).ok


def test_rolled_back_savepoint_forgets_its_appends(engine: Engine) -> None:
    """The head is kept while the lock is held; a savepoint rollback must not leave it stale."""
    with transaction(engine) as session:
        assert ledger.append(session, actor="a", type="t", payload={"n": 1}).seq == 1
        savepoint = session.begin_nested()
        assert ledger.append(session, actor="a", type="t", payload={"n": 2}).seq == 2
        savepoint.rollback()
        assert ledger.append(session, actor="a", type="t", payload={"n": 3}).seq == 2
    result = verify(engine)
    assert result.ok and result.checked == 2


def test_verifying_since_a_head_walks_only_the_rows_after_it(engine: Engine) -> None:
    appended = fill(engine)
    since = ledger.Head(5, appended[4].hash)
    with transaction(engine, read_only=True) as session:
        result = ledger.verify(session, since=since)
    assert result.ok and result.checked == EVENTS - 5
    assert result.head == ledger.Head(EVENTS, appended[-1].hash)
    sql(engine, "UPDATE ledger_event SET payload = :p WHERE seq = 7", p='{"n":70}')
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session, since=since).first_bad_seq == 7


def test_a_head_whose_row_changed_is_not_trusted_to_start_from(engine: Engine) -> None:
    appended = fill(engine)
    sql(engine, "UPDATE ledger_event SET payload = :p WHERE seq = 2", p='{"n":20}')
    sql(engine, "UPDATE ledger_event SET hash = :h WHERE seq = 5", h="f" * 64)
    with transaction(engine, read_only=True) as session:
        result = ledger.verify(session, since=ledger.Head(5, appended[4].hash))
    assert not result.ok and result.first_bad_seq == 2  # walked from the start
