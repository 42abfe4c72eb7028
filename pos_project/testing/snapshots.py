"""What a whole schema holds, to prove that a request changed nothing.

`schema_snapshot(schema)` returns {table: (row count, md5 of all its rows)} for every table of the schema, read
in one SQL round trip: PostgreSQL's `query_to_xml` runs the count-and-hash query of each table listed by
information_schema, so no table list is fetched first and no table added by a later migration is missed.
Rows are hashed as their text form in sorted order, so the same content always hashes the same.
"""

from django.db import connection

_SNAPSHOT_SQL = """
SELECT t.table_name,
       (xpath('/row/n/text()', x.xml))[1]::text::bigint,
       (xpath('/row/h/text()', x.xml))[1]::text
FROM information_schema.tables AS t
CROSS JOIN LATERAL query_to_xml(
    format(
        'SELECT count(*) AS n, md5(coalesce(string_agg(r::text, '','' ORDER BY r::text), '''')) AS h FROM %%I.%%I AS r',
        t.table_schema, t.table_name
    ),
    false, true, ''
) AS x(xml)
WHERE t.table_schema = %s AND t.table_type = 'BASE TABLE'
ORDER BY t.table_name
"""


def schema_snapshot(schema: str, *, using=connection) -> dict[str, tuple[int, str]]:
    """Row count and content hash of every table in `schema` (one query, on the test's own connection, so it
    sees the test's uncommitted rows)."""
    with using.cursor() as cursor:
        cursor.execute(_SNAPSHOT_SQL, [schema])
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}
