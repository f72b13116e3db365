"""Roster import: every row checked as the child form checks it, then all written in one transaction, or none.

Two steps, each one call: check() reads and checks the file (the preview) and keeps the checked rows on
disk (roster/staging.py); commit() writes those rows without reading the file again, and refuses when the
register changed in between. import_roster() does both, for the command line.

A row is a new child, an update of the child already registered under its ID number, unchanged, or
rejected, with the reason per column. One rejected row and nothing can be written: the preview lists
them to correct in the file. New children and their guardians go in as the check kept them, a chunk at a
time, with ids handed out by the check (one COPY per chunk and table on PostgreSQL, db.copy_rows; one
executemany on SQLite); updates go row by row with their audit. Memory stays bounded: the
rows are read, checked, kept and written a chunk at a time, and only eight bytes per ID number are held,
to find the same number twice in one file. The file is read by roster_read, each chunk by roster_cells
(a column at a time), and the place names are looked up in roster_places.
"""

import gc
import tempfile
from array import array
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from pathlib import Path

from flask_babel import gettext as _
from peewee import Case

from .. import clock
from ..children import columns
from ..children.records import child_snapshot, date_move, future_message, last_change_on, placement_of
from ..core import audit, scope
from ..core.errors import PermissionDenied, ValidationError
from ..db import copy_rows, database, is_postgres, next_id, reset_sequence
from ..models import Child, Guardian, utcnow
from ..rules import school_age
from ..rules.search_keys import KEYS, initials, reversed_id
from . import cells as roster_cells
from . import read as roster_read
from . import staging
from .places import RosterPlaces

IMPORT_ROLES = ("admin", "bureau", "township")
CHUNK = 5000
MAX_LISTED = 10000  # rejection lines kept for the preview and its download; all are counted
NEW, UPDATED, UNCHANGED, REJECTED = range(4)
KINDS = ("new", "updated", "unchanged", "rejected")
# The first guardian's columns a roster may have: field of the row -> Guardian field.
GUARDIAN_FIELDS = {column.key: column.field for column in columns.in_roster() if column.table == columns.GUARDIAN}
NEW_CHILD = columns.blanks()  # a new child before its row gives anything
NEW_GUARDIAN = columns.blanks(columns.GUARDIAN)
# A new child is kept as the columns of columns.child_row() but created_at and updated_at (set when the rows are
# written): its id, its register fields, then its search keys.
_STAMPED = columns.CHILD_ROW.index("created_at")
assert columns.CHILD_ROW[_STAMPED + 1] == "updated_at" and len(columns.CHILD_ROW) == _STAMPED + 2 + len(KEYS)
KEPT_CHILD = (*columns.CHILD_ROW[:_STAMPED], *columns.CHILD_ROW[_STAMPED + 2 :])
STAMPS = ("created_at", "updated_at")
_REGISTER = itemgetter(*(column.field for column in columns.of(columns.CHILD)))
_GUARDIAN_REGISTER = itemgetter(*(column.field for column in columns.of(columns.GUARDIAN)))
assert _STAMPED == 1 + len(columns.of(columns.CHILD)) and columns.GUARDIAN_ROW[-1] == "child_id"
_initials = lru_cache(maxsize=1 << 16)(initials)  # a county's rosters repeat the common names


class RegisterChanged(ValidationError):
    """The register (or the places, the account, the day) changed between a preview and its commit."""


def can_import(user):
    """County administrators, the bureau and township staff import rosters."""
    return user.role in IMPORT_ROLES


@dataclass
class Outcome:
    """What an import did, or would do: counts, rejected rows, columns and sheets left out."""

    file: str = ""
    counts: dict = field(default_factory=lambda: dict.fromkeys((*KINDS, "skipped"), 0))
    rejections: list = field(default_factory=list)  # [sheet, row, column, name, message], at most MAX_LISTED
    problems: int = 0  # rejection lines, listed or not
    ignored_columns: list = field(default_factory=list)  # [sheet, header]
    ignored_sheets: list = field(default_factory=list)
    committed: bool = False


def check(
    user, path, store=None, today=None, start_age=6, file_name="", as_of=None, limits=None, progress=None, chunk=CHUNK
):
    """Read and check a roster file, write nothing to the register; return the Outcome (the preview).

    When no row is rejected and `store` is a path, the checked rows are kept there for commit(); else
    nothing is kept there. `as_of` (default: today, county time) is the day the file's changes took
    effect: new children are on the roll from it (unless their row gives 在册日期), and moves of registered
    children are dated by it. `progress(done, total)` is called after each chunk with the rows read so far
    and the rows of the sheets read so far (None for a CSV file). Raises ValidationError for a file that
    is empty, not a spreadsheet or without a header, or a future `as_of`; PermissionDenied."""
    if not can_import(user):
        raise PermissionDenied()
    today = today or clock.today()
    as_of = as_of or today
    if as_of > today:
        raise ValidationError({"as_of": future_message(as_of, today)})
    run = _Check(user, today, start_age, file_name, as_of, limits, progress)
    writer = staging.Writer(store) if store is not None else None
    try:
        with _without_cycle_collection():
            run.read(path, chunk, writer)
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    if writer is not None:
        if run.outcome.counts["rejected"]:
            writer.discard()
        else:
            writer.close(run.summary())
    return run.outcome


def commit(user, store, today=None, progress=None):
    """Write the rows a clean check() kept at `store`, all in one transaction; return the Outcome.

    Never reads the spreadsheet. Raises RegisterChanged (nothing written) when the register, the places,
    the account or the day changed since the check, ValidationError when there are no checked rows at
    `store` (gone, or already written), PermissionDenied. `progress(done, total)` is called after each
    chunk with the rows written so far and the rows to write."""
    return _write_checked(user, store, today, progress)


def _write_checked(user, store, today, progress):
    if not can_import(user):
        raise PermissionDenied()
    kept = staging.summary(store)
    if kept is None:
        raise ValidationError({"file": _("The checked rows of this file are gone: check the file again.")})
    if kept["user"] != user.id:
        raise PermissionDenied()
    run = _Commit(user, kept, progress)
    with _without_cycle_collection(), _write_lock():
        if staging.stamp(user, today or clock.today()) != kept["stamp"]:
            raise RegisterChanged({"file": changed_message()})
        for chunk in staging.chunks(store):
            run.write(*chunk)
        run.finish()
    Path(store).unlink(missing_ok=True)  # written: the same rows can never be written twice
    return run.outcome


def no_child_message():
    return _(
        "The file holds no child: below the header, fill in one child a row, each with a name or an ID number "
        "(the template's example row, whose first cell starts with 示例, is not imported)."
    )


def changed_message():
    return _(
        "Nothing was imported: the register changed after the preview (or a day has passed). "
        "Check the file again to see it against the register as it is now."
    )


def import_roster(
    user, path, commit=False, today=None, start_age=6, file_name="", chunk=CHUNK, as_of=None, limits=None
):
    """check() a roster file and, with commit, then write it all or nothing (commit()); return the Outcome.

    The command line's import; the pages call the two steps apart, with the upload's own store."""
    options = dict(today=today, start_age=start_age, file_name=file_name, as_of=as_of, limits=limits, chunk=chunk)
    if not commit:
        return check(user, path, **options)
    with tempfile.TemporaryDirectory(prefix="dropout-import-") as folder:
        store = Path(folder) / "rows"
        outcome = check(user, path, store, **options)
        if outcome.counts["rejected"]:
            return outcome
        return _write_checked(user, store, today, None)


@contextmanager
def _write_lock():
    """One transaction that no other writer of children can interleave with, so the ids handed out stay free
    and the register stays as the stamp found it; the places are held still too."""
    if is_postgres():
        with database.atomic():
            database.execute_sql("LOCK TABLE child, guardian IN SHARE ROW EXCLUSIVE MODE")
            database.execute_sql(f"LOCK TABLE {', '.join(staging.PLACES)} IN SHARE MODE")
            yield
    else:
        with database.atomic("IMMEDIATE"):
            yield


@contextmanager
def _without_cycle_collection():
    """Rows make millions of short-lived lists and dicts, and no reference cycles: without this the cyclic
    collector runs thousands of times over the whole heap, a tenth of an import's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Check:
    """One check of a file: its rows read, checked and counted; with a Writer, the checked rows kept."""

    def __init__(self, user, today, start_age, file_name, as_of, limits, progress):
        self.user, self.today, self.start_age, self.as_of = user, today, start_age, as_of
        self.limits, self.progress = limits, progress
        self.user_id = user.id
        self.outcome = Outcome(file=file_name)
        self.at = str(utcnow())
        self.convert = roster_cells.converters(today)
        last_age = school_age.last_school_age(start_age)
        self.born_from, self.born_until = school_age.birth_range_for_ages(start_age, last_age, today)
        self.places = RosterPlaces(user)
        # Each valid ID number as an integer, with where it was: duplicates are found at the end.
        self.keys, self.rows, self.sheet_of, self.kinds = array("q"), array("l"), array("H"), array("b")
        self.sheet_names, self.id_headers = [], {}
        self.done, self.total = 0, 0

    def read(self, path, chunk, writer):
        # The stamp comes before anything is read: a change after it, even one this check sees, shows at commit.
        self.stamp = staging.stamp(self.user, self.today) if writer is not None else None
        self.first_child = self.next_child = next_id("child")
        self.first_guardian = self.next_guardian = next_id("guardian")
        empty, found = True, False
        sheets = roster_read.sheets(path, csv_name=self.outcome.file or "CSV", limits=self.limits)
        for name, sheet, has_content in sheets:
            empty = empty and not has_content
            if sheet is None:
                if has_content:
                    self.outcome.ignored_sheets.append(name)
                continue
            found = True
            sheet.index = len(self.sheet_names)
            self.sheet_names.append(name)
            self.id_headers[name] = sheet.headers.get("id_number")
            self.outcome.ignored_columns += [[name, header] for header in sheet.ignored]
            self.total = None if sheet.size is None or self.total is None else self.total + sheet.size
            plan = [(f, column, self.convert[f]) for f, column in sheet.columns.items()]
            rows = iter(sheet.rows)
            while batch := list(islice(rows, chunk)):
                checked = self._chunk(sheet, plan, batch)
                if writer is not None and not self.outcome.counts["rejected"]:
                    writer.add(checked)  # once a row is rejected nothing will be written: keep no more
                self.done += len(batch)
                if self.progress is not None:
                    self.progress(self.done, self.total if self.total is None else max(self.total, self.done))
        if not found:
            raise ValidationError({"file": _("The file is empty.") if empty else roster_read.no_header_message()})
        if not any(self.outcome.counts[kind] for kind in KINDS):  # a header alone, or the untouched template
            raise ValidationError({"file": no_child_message()})
        self._duplicates()
        self.outcome.rejections.sort(key=lambda line: (self.sheet_names.index(line[0]), line[1]))

    def summary(self):
        """What commit() needs besides the rows: who, against what register, the counts and ids."""
        counts = self.outcome.counts
        return {
            "user": self.user_id,
            "stamp": self.stamp,
            "as_of": self.as_of,
            "outcome": asdict(self.outcome),
            "first_child": self.first_child,
            "next_child": self.next_child,
            "rows": counts["new"] + counts["updated"],
        }

    def _chunk(self, sheet, plan, batch):
        """Check a chunk of rows: (children, guardians) ready to insert and the updates ready to apply."""
        key_columns = [sheet.columns[f] for f in ("name", "id_number") if f in sheet.columns]
        kept = []
        for number, cells in batch:
            for column in key_columns:
                cell = cells[column] if column < len(cells) else None
                if cell is not None and (cell.__class__ is not str or cell.strip()):
                    break
            else:  # no name, no ID number: a blank row, or a footer, a sum, a signature line
                self.outcome.counts["skipped"] += any(str(cell).strip() for cell in cells if cell is not None)
                continue
            kept.append((number, cells))
        read = roster_cells.read_rows(plan, sheet.flags, [cells for _number, cells in kept])
        parsed = [(number, given, errors) for (number, _cells), (given, errors) in zip(kept, read, strict=True)]
        numbers = [given["id_number"].number for _, given, _ in parsed if "id_number" in given]
        existing = self._existing(numbers)
        wanted = [c.id for c in existing.values() if c.in_scope]
        guardians = {}
        if wanted and "guardian_name" in sheet.columns:
            for guardian in Guardian.select().where(Guardian.child.in_(wanted)):
                guardians.setdefault(guardian.child_id, []).append(guardian)
        checked = ([], [], [])
        for number, given, errors in parsed:
            self._row(sheet, number, given, errors, existing, guardians, checked)
        return checked

    def _existing(self, numbers):
        """{ID number: child} registered before this import, each with in_scope for the importing user."""
        if not numbers:
            return {}
        # Most rows of a roster are new: first find the few numbers registered, in one plain query.
        marks = ", ".join([database.param] * len(numbers))
        sql = f"SELECT id_number FROM child WHERE id_number IN ({marks}) AND id < {database.param}"
        numbers = [row[0] for row in database.execute_sql(sql, [*numbers, self.first_child])]
        if not numbers:
            return {}
        visible = Case(None, [(scope.child_condition(self.user), 1)], 0).alias("in_scope")
        query = Child.select(Child, visible).where(Child.id_number.in_(numbers) & (Child.id < self.first_child))
        return {child.id_number: child for child in query}

    def _row(self, sheet, number, given, errors, existing, guardians, checked):
        parsed = given.pop("id_number", None)
        child = existing.get(parsed.number) if parsed else None
        outside = child is not None and not child.in_scope
        if outside:
            errors["id_number"] = _("This ID number belongs to a child outside your area.")
            child = None
        self.places.resolve(given, errors)
        guardian = {GUARDIAN_FIELDS[f]: given.pop(f) for f in GUARDIAN_FIELDS if f in given}
        before = child_snapshot(child) if child is not None else None
        registered_on = given.pop("registered_on", None)  # only a new child takes it: a registration stays
        record = {**(before or NEW_CHILD), **given}
        if child is None:
            record["registered_on"] = registered_on or self.as_of
        if child is None and parsed:
            record["id_number"] = parsed.number
        self._check(record, given, parsed, child, guardian, errors)
        village = record["village"]
        if not outside and village is not None and not self.places.in_scope(village, record["school"]):
            errors.setdefault("village", _("This village and school are outside your area."))
        if errors:
            kind = REJECTED
            self._reject(sheet, number, given.get("name", ""), errors)
        elif child is None:
            kind = NEW
            self._new(record, guardian, *checked[:2])
        else:
            kind = self._update(child, before, record, guardian, guardians.get(child.id, []), checked[2])
        if kind != REJECTED:
            self.outcome.counts[KINDS[kind]] += 1
        if parsed:
            self._remember(parsed.number, sheet.index, number, kind)

    def _check(self, record, given, parsed, child, guardian, errors):
        """The child form's checks on the row merged into what is registered."""
        if parsed:
            if "birth_on" in given and given["birth_on"] != parsed.birth_on:
                errors.setdefault(
                    "birth_on", _("The birth date does not match the ID number (%(date)s).", date=parsed.birth_on)
                )
            if "sex" in given and given["sex"] != parsed.sex:
                errors.setdefault("sex", _("The sex does not match the ID number."))
            record["birth_on"] = record["birth_on"] or parsed.birth_on
            record["sex"] = record["sex"] or parsed.sex
        id_given = parsed is not None or "id_number" in errors
        if not record["name"] and "name" not in errors:
            errors["name"] = _("Enter the name.")
        if record["village"] is None and not errors.keys() & {"village", "township"}:
            errors["village"] = _("Fill in the village.")
        birth_on = record["birth_on"]
        if "birth_on" not in errors:
            if birth_on is None and not id_given:
                errors["birth_on"] = _("Enter the birth date (required when there is no ID number).")
            elif birth_on is not None and birth_on > self.today:
                errors["birth_on"] = _("The birth date is in the future.")
            elif (
                birth_on is not None
                and (child is None or birth_on != child.birth_on)
                and not (
                    self.born_from <= birth_on <= self.born_until  # school_age.is_school_age, worked out once
                )
            ):
                errors["birth_on"] = _(
                    "Not of compulsory-school age: aged %(age)d on 31 August (ages %(low)d–%(high)d).",
                    age=school_age.school_age(birth_on, self.today),
                    low=self.start_age,
                    high=school_age.last_school_age(self.start_age),
                )
        if record["sex"] is None and not id_given and "sex" not in errors:
            errors["sex"] = roster_cells.sex_message()
        if record["disability_grade"] is not None and record["disability_category"] is None:
            errors.setdefault("disability_grade", _("Choose the disability category first."))
        if guardian and not guardian.get("name") and "guardian_name" not in errors:
            errors["guardian_name"] = _("Enter the guardian's name.")
        self._check_dates(record, child, errors)

    def _check_dates(self, record, child, errors):
        """A new child's 在册日期 is neither in the future nor before its birth; a move of a registered child
        (dated by the file's day) may not come before the child's registration or its last recorded change
        (the history the child form and the case steps check too)."""
        if child is None:
            registered_on = record["registered_on"]
            if registered_on > self.today:
                errors.setdefault("registered_on", future_message(registered_on, self.today))
            elif record["birth_on"] is not None and registered_on < record["birth_on"]:
                errors.setdefault("registered_on", _("The child cannot be on the roll before it was born."))
            return
        moved = [
            name
            for name, now in (("village", child.village_id), ("school", child.school_id), ("status", child.status))
            if record[name] != now
        ]
        if not moved:
            return
        last = max(day for day in (child.registered_on, last_change_on(child)) if day is not None)
        if self.as_of < last:
            errors.setdefault(
                moved[0],
                _(
                    "This change is dated %(date)s, before the child's last recorded change or "
                    "registration (%(last)s).",
                    date=self.as_of,
                    last=last,
                ),
            )

    def _new(self, record, guardian, children, guardians):
        child_id = self.next_child
        self.next_child += 1
        record["birth_on"] = record["birth_on"].isoformat()
        record["registered_on"] = record["registered_on"].isoformat()
        children.append(
            (child_id, *_REGISTER(record), _initials(record["name"]), reversed_id(record["id_number"]))
        )  # KEPT_CHILD, as columns.child_row() gives them but the stamps
        if guardian:
            guardians.append((self.next_guardian, *_GUARDIAN_REGISTER({**NEW_GUARDIAN, **guardian}), child_id))
            self.next_guardian += 1

    def _update(self, child, before, record, guardian, guardians, updates):
        """UPDATED or UNCHANGED; an update is kept as (child id, changed fields, guardian id or None, guardian
        fields), written (and audited) by the commit."""
        changed = {name: value for name, value in record.items() if before[name] != value}
        same = next((g for g in guardians if g.name == guardian.get("name")), None)
        if guardian and same is not None:
            guardian = {name: value for name, value in guardian.items() if getattr(same, name) != value}
        if not changed and not guardian:
            return UNCHANGED
        updates.append((child.id, changed, same.id if same is not None else None, guardian))
        return UPDATED

    def _reject(self, sheet, number, name, errors):
        """List a row's problems left to right, under the headers as the file spells them."""
        self.outcome.counts["rejected"] += 1
        position = dict(sheet.columns, **{f: flag_columns[0] for f, flag_columns in sheet.flags.items()})
        for field_ in sorted(errors, key=lambda f: position.get(f, len(position) + 1000)):
            header = sheet.headers.get(field_) or roster_read.HEADERS[field_][0]
            self._line(sheet.name, number, header, name, errors[field_])

    def _line(self, sheet, number, column, name, message):
        self.outcome.problems += 1
        if len(self.outcome.rejections) < MAX_LISTED:
            self.outcome.rejections.append([sheet, number, column, str(name), str(message)])

    def _remember(self, number, sheet_index, row, kind):
        self.keys.append(int(number[:17]) * 11 + "0123456789X".index(number[17]))
        self.rows.append(row)
        self.sheet_of.append(sheet_index)
        self.kinds.append(kind)

    def _duplicates(self):
        """Reject every row whose ID number is on another row of the file too, naming that row."""
        keys = self.keys
        order = sorted(range(len(keys)), key=keys.__getitem__)
        start = 0
        for end in range(1, len(order) + 1):
            if end < len(order) and keys[order[end]] == keys[order[start]]:
                continue
            same = order[start:end]
            start = end
            if len(same) < 2:
                continue
            for index in same:
                other = same[0] if index != same[0] else same[1]
                self._duplicate(index, other)

    def _duplicate(self, index, other):
        sheet, other_sheet = self.sheet_names[self.sheet_of[index]], self.sheet_names[self.sheet_of[other]]
        if sheet == other_sheet:
            message = _("The same ID number is on row %(row)d too.", row=self.rows[other])
        else:
            message = _(
                "The same ID number is on row %(row)d of sheet %(sheet)s too.", row=self.rows[other], sheet=other_sheet
            )
        self._line(sheet, self.rows[index], self.id_headers[sheet], "", message)
        if self.kinds[index] != REJECTED:
            self.outcome.counts[KINDS[self.kinds[index]]] -= 1
            self.outcome.counts["rejected"] += 1
            self.kinds[index] = REJECTED


def _insert(table, names, rows, constants=None):
    """Insert rows (tuples in the order of names) as they are, constants ({column: text}) the same on every row:
    one COPY on PostgreSQL, one executemany on SQLite (the constants written into the statement)."""
    if not rows:
        return
    if is_postgres():
        copy_rows(table, names, rows, constants)
        return
    constants = constants or {}
    marks = ", ".join(["?"] * len(names) + ["'" + str(value).replace("'", "''") + "'" for value in constants.values()])
    database.cursor().executemany(f"INSERT INTO {table} ({', '.join((*names, *constants))}) VALUES ({marks})", rows)


class _Commit:
    """The writing of a check's kept rows, inside the caller's write lock."""

    def __init__(self, user, kept, progress):
        self.user, self.kept, self.progress = user, kept, progress
        self.outcome = Outcome(**kept["outcome"])
        self.reason = _("Roster import: %(file)s", file=self.outcome.file)
        self.as_of = kept["as_of"]
        self.now = utcnow()
        self.at = str(self.now)
        self.done, self.total = 0, kept["rows"]

    def write(self, children, guardians, updates):
        """One chunk: its new children and their guardians in bulk, then its updates one by one."""
        if children:
            _insert("child", KEPT_CHILD, children, dict.fromkeys(STAMPS, self.at))
            _insert("guardian", columns.GUARDIAN_ROW, guardians)
        if updates:
            self._update(updates)
        self.done += len(children) + len(updates)
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _update(self, updates):
        found = {child.id: child for child in Child.select().where(Child.id.in_([u[0] for u in updates]))}
        wanted = [guardian_id for _child, _changed, guardian_id, _values in updates if guardian_id is not None]
        kept_guardians = {g.id: g for g in Guardian.select().where(Guardian.id.in_(wanted))} if wanted else {}
        for child_id, changed, guardian_id, guardian in updates:
            child = found[child_id]
            if changed:
                before, placed = child_snapshot(child), placement_of(child)
                for name, value in changed.items():
                    setattr(child, name, value)
                date_move(child, placed, self.as_of)
                child.updated_at = self.now
                child.save()
                audit.record(
                    self.user, "update", "child", child.id, before, child_snapshot(child), child.id, self.reason
                )
            if guardian:
                self._save_guardian(child, kept_guardians.get(guardian_id), guardian)

    def _save_guardian(self, child, same, values):
        if same is None:
            same = Guardian.create(child=child.id, **values)
            audit.record(
                self.user,
                "create",
                "guardian",
                same.id,
                after=audit.snapshot(same),
                child_id=child.id,
                reason=self.reason,
            )
            return
        before = audit.snapshot(same)
        for name, value in values.items():
            setattr(same, name, value)
        same.save()
        audit.record(self.user, "update", "guardian", same.id, before, audit.snapshot(same), child.id, self.reason)

    def finish(self):
        """After the rows: move the id sequences past the new rows, and audit the import.

        New children are audited together, by their ids, in the import's entry (as demo data is):
        one entry per child would double the time of a county's import. Updates are audited per child."""
        reset_sequence("child")
        reset_sequence("guardian")
        first, after_last = self.kept["first_child"], self.kept["next_child"]
        created = [first, after_last - 1] if after_last > first else None
        after = {"file": self.outcome.file, **self.outcome.counts, "new_child_ids": created}
        audit.record(self.user, "create", "import", None, after=after, reason=self.reason)
        self.outcome.committed = True
