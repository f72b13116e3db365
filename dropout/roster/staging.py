"""The checked rows of a roster import, kept on disk between its preview and its commit, and the stamp of
the register they were checked against.

The preview writes, a chunk at a time, the rows ready to insert (children and guardians, ids given) and
the updates ready to apply; the commit reads them back a chunk at a time, so neither holds a whole file
in memory and the commit never reads the spreadsheet. The file is a run of pickled chunks, then the
pickled summary, then the summary's offset (8 bytes). It is written under a temporary name and renamed
when whole, so a half-written file is never read. Pickle, because the file is the server's own (beside
the upload, never sent or received) and dates and tuples go through it as they are, fast.

The stamp (stamp()) changes whenever what a check read may have changed: a child added, edited, moved
or removed (the count, the highest id, and the sum of every child's updated_at, which every write of a
child sets: an edit changes the sum whatever order writers commit in), a guardian added, a township,
village or school added, renamed or moved, the importing account's role or area, and the day.
"""

import hashlib
import os
import pickle
import struct
from pathlib import Path

from ..db import database, is_postgres

_OFFSET = struct.Struct("<Q")
_PROTOCOL = pickle.HIGHEST_PROTOCOL
# The sum of updated_at in milliseconds: exact integers, so a change of one row always changes it.
_CHILDREN_SQLITE = (
    "SELECT COUNT(*), MAX(id), SUM(CAST((julianday(updated_at) - 2440587.5) * 86400000 AS INTEGER)) FROM child"
)
_CHILDREN_POSTGRES = "SELECT COUNT(*), MAX(id), SUM(CAST(EXTRACT(EPOCH FROM updated_at) * 1000 AS BIGINT)) FROM child"
PLACES = ("township", "village", "school")


def stamp(user, today):
    """A fingerprint of the register, the places and the importing account, cheap to take (one pass over
    the child table's narrowest columns): equal before and after means a check would find the same."""
    children = database.execute_sql(_CHILDREN_POSTGRES if is_postgres() else _CHILDREN_SQLITE).fetchone()
    guardians = database.execute_sql("SELECT MAX(id) FROM guardian").fetchone()
    places = hashlib.sha256()
    for table in PLACES:  # a county has hundreds of places, not millions
        places.update(repr(database.execute_sql(f"SELECT * FROM {table} ORDER BY id").fetchall()).encode())
    account = tuple(getattr(user, name, None) for name in ("id", "role", "township_id", "school_id", "village_id"))
    return (*(int(value or 0) for value in (*children, *guardians)), places.hexdigest(), account, str(today))


class Writer:
    """Write the chunks of a preview, then close() with its summary (or discard() when nothing may be written)."""

    def __init__(self, path):
        self.path = Path(path)
        self.part = self.path.with_name(self.path.name + ".part")
        self.file = self.part.open("wb")

    def add(self, chunk):
        pickler = pickle.Pickler(self.file, protocol=_PROTOCOL)
        pickler.fast = True  # no memo: a chunk is lists of tuples and dicts, no object in it twice that matters
        pickler.dump(chunk)

    def close(self, summary):
        offset = self.file.tell()
        pickle.dump(summary, self.file, protocol=_PROTOCOL)
        self.file.write(_OFFSET.pack(offset))
        self.file.close()
        os.replace(self.part, self.path)

    def discard(self):
        self.file.close()
        self.part.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)


def summary(path):
    """The summary a preview closed its rows with, or None when there are no whole rows at `path`."""
    try:
        with open(path, "rb") as file:
            file.seek(-_OFFSET.size, os.SEEK_END)
            (offset,) = _OFFSET.unpack(file.read(_OFFSET.size))
            file.seek(offset)
            return pickle.load(file)
    except (OSError, EOFError, pickle.UnpicklingError, struct.error):
        return None


def chunks(path):
    """Yield the chunks a preview wrote, in order, one at a time."""
    with open(path, "rb") as file:
        file.seek(-_OFFSET.size, os.SEEK_END)
        (end,) = _OFFSET.unpack(file.read(_OFFSET.size))
        file.seek(0)
        while file.tell() < end:
            yield pickle.load(file)
