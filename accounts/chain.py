"""Checking the audit log's hash chain (sealed by the database: accounts/migrations/0008_audit_chain.py).

Each entry stores its place in the chain (`chain_seq`), the previous entry's hash and its own, SHA-256 over a
canonical form of its fields computed by `public.pos_audit_digest`, the same function the seal uses. Walking the
chain in order finds the first entry that was edited (its hash no longer matches its fields), removed (a gap, or
an entry whose `prev_hash` is not the hash before it), slipped in with the triggers off (not sealed), or cut from
the end (the chain head remembers more entries than there are).
"""

from dataclasses import dataclass

from django.db import connection

_WALK = """
SELECT id, chain_seq, prev_hash, hash,
       public.pos_audit_digest(prev_hash, chain_seq, id, created_at, actor_id, actor_username, action,
                               target_type, target_id, target_label, data, ip_address)
  FROM accounts_auditentry
 ORDER BY chain_seq NULLS FIRST, id
"""


@dataclass(frozen=True)
class ChainCheck:
    schema: str
    entries: int
    problem: str = ""
    entry_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


def audit_chain_check(*, batch: int = 2000) -> ChainCheck:
    """Walk the current schema's chain; the first problem found, or none. Entries of transactions still open are
    not visible here (they are sealed when they commit), so it is safe to run on a live system."""
    schema = connection.schema_name
    expected_seq, previous, seen = 1, "", 0
    with connection.cursor() as cursor:
        cursor.execute(_WALK)
        while rows := cursor.fetchmany(batch):
            for entry_id, seq, prev_hash, stored, digest in rows:
                seen += 1
                if seq is None:
                    return ChainCheck(schema, seen, f"entry {entry_id} is not sealed (written around the chain)",
                                      entry_id)  # fmt: skip
                if seq != expected_seq:
                    return ChainCheck(schema, seen, f"entry {expected_seq} of the chain is missing (removed); "
                                      f"the next is entry {entry_id} at {seq}", entry_id)  # fmt: skip
                if prev_hash != previous:
                    return ChainCheck(schema, seen, f"entry {entry_id} does not follow the entry before it "
                                      "(that one was removed or replaced)", entry_id)  # fmt: skip
                if stored != digest:
                    return ChainCheck(schema, seen, f"entry {entry_id} was changed after it was written", entry_id)
                expected_seq, previous = seq + 1, stored
        cursor.execute("SELECT seq, hash FROM accounts_auditchainhead WHERE id = 1")
        head = cursor.fetchone()
    if head is not None and (head[0], head[1]) != (expected_seq - 1, previous) and head[0] != 0:
        return ChainCheck(schema, seen, f"the chain ends at entry {expected_seq - 1} but its head says {head[0]}: "
                          "entries were removed from the end")  # fmt: skip
    return ChainCheck(schema, seen)
