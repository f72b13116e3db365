"""Each child carries its search keys (rules/search_keys.py): the pinyin initials of its name and its ID
number reversed, each indexed, so that a search by 'wzm' or by the last digits of an ID number reads
an index instead of every child. Existing children get theirs here, a batch at a time."""

from ..db import database
from ..rules.search_keys import search_keys

BATCH = 5000


def up(run, dialect):
    run("ALTER TABLE child ADD COLUMN name_initials VARCHAR(20) NOT NULL DEFAULT ''")
    run("ALTER TABLE child ADD COLUMN id_reversed VARCHAR(18)")
    last = 0
    while True:
        rows = database.execute_sql(
            f"SELECT id, name, id_number FROM child WHERE id > {int(last)} ORDER BY id LIMIT {BATCH}"
        ).fetchall()
        if not rows:
            break
        params = []
        for child_id, name, id_number in rows:
            keys = search_keys(name, id_number)
            params.append((keys["name_initials"], keys["id_reversed"], child_id))
        placeholder = "%s" if dialect == "postgres" else "?"
        cursor = database.cursor()
        cursor.executemany(
            f"UPDATE child SET name_initials = {placeholder}, id_reversed = {placeholder} WHERE id = {placeholder}",
            params,
        )
        last = rows[-1][0]
    run("CREATE INDEX child_name_initials ON child (name_initials)")
    run("CREATE INDEX child_id_reversed ON child (id_reversed)")
