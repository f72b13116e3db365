"""比对: uploaded 户籍 (household), 学籍 (student registry) and 残联 (disability federation) lists against
the register.

An upload is kept as instance/uploads/registers/<token>.json (who uploaded it, which files)
beside the files themselves, so the result page, its exports and the flag action read the
same lists again; nothing of it travels in the session cookie. The lists are read by
register_lists; the register's side of the match, and the register's own checks, live in
register_checks, the 残联 list's findings in register_disability, and the registers pages reach them
through this module too.
"""

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from flask_babel import gettext as _

from .. import clock
from ..casework.cases import open_case
from ..choices import OUT_OF_SCHOOL
from ..core import scope
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import Child, DropoutCase
from ..rules import case_status, school_age
from . import disability as register_disability
from . import files as register_files
from . import limits as workbook_limits
from .checks import (
    ACCOUNTED,
    ENROLLED,
    FLAG_ROLES,
    ROLES,
    chunks,
    duplicates,
    past_school_age,
    register_children,
    register_query,
    require,
    without_school,
)
from .lists import ListRow, UploadedList, cell_text, not_a_spreadsheet, read_list

# What the registers pages use, register_checks' part included.
__all__ = [
    "ENROLLED",
    "FLAG_ROLES",
    "KINDS",
    "ROLES",
    "Comparison",
    "compare",
    "duplicates",
    "enrolment_state",
    "flag",
    "load",
    "past_school_age",
    "register_children",
    "register_query",
    "take_categories",
    "upload",
    "without_school",
]
take_categories = register_disability.take_categories
KINDS = ("household", "enrolment", "disability")  # 户籍, 学籍, 残联
FOLDER = "registers"
KEEP_SECONDS = 7 * 24 * 3600  # uploads older than a week are removed at the next upload
# Attending a school here: a 学籍 entry saying the child left contradicts these.
ATTENDING = ("enrolled", "returned", "home_taught", "special_school")
LEFT_WORDS = ("休学", "辍学", "转出", "退学", "流失", "死亡", "毕业", "结业", "离校", "注销", "开除", "不在", "未在")
ENROLLED_WORDS = ("在校", "在籍", "在读", "正常")


@dataclass
class Comparison:
    """The findings of compare(): each kind of finding with the list row and the register child."""

    household: UploadedList | None
    enrolment: UploadedList | None
    disability: UploadedList | None = None
    candidates: list = field(default_factory=list)  # [(row, child)]: flag as suspected
    unregistered: list = field(default_factory=list)  # [row]: school-age, enrolled nowhere, not registered
    enrolled_but_out: list = field(default_factory=list)  # [(row, child)]: 学籍 enrolled, register out of school
    out_but_enrolled: list = field(default_factory=list)  # [(row, child)]: 学籍 left, register enrolled
    disabled_unregistered: list = field(default_factory=list)  # [row]: school-age on the 残联 list, not registered
    disabled_out_of_school: list = field(default_factory=list)  # [(row, child)]: on the 残联 list, out of school
    disability_mismatch: list = field(default_factory=list)  # [(row, child)]: category missing or different


# Storing -----------------------------------------------------------------------------------


def _folder(uploads_dir):
    return Path(uploads_dir) / FOLDER


def _store(stream, folder, max_bytes):
    """Copy an upload to folder/<random>.xlsx, .xls or .csv (as its first bytes say), refusing it past
    max_bytes or empty."""
    partial = folder / f"{uuid.uuid4().hex}.part"
    register_files.receive(
        stream, partial, max_bytes, lambda: _("The file is larger than %(n)d MB.", n=max_bytes // (1024 * 1024))
    )
    with partial.open("rb") as file:
        head = file.read(8)
    if not head:
        partial.unlink()
        raise ValidationError({"file": _("The file is empty.")})
    return partial.rename(partial.with_suffix("." + (register_files.signature(head) or "csv")))


def upload(user, files, uploads_dir, max_mb, today, limits=None):
    """Store and read the uploaded lists ({kind: (stream, filename)}) at once; return the upload's token."""
    token = store(user, files, uploads_dir, max_mb, limits)
    read(user, uploads_dir, token, today, limits)
    return token


def store(user, files, uploads_dir, max_mb, limits=None):
    """Store the uploaded lists ({kind: (stream, filename)}), each refused when empty, too large or past what a
    workbook may hold (a zip bomb is refused here, before any reader sees it), to be read by read(); return the
    upload's token."""
    require(user)
    files = {kind: value for kind, value in files.items() if kind in KINDS and value is not None}
    if not files:
        raise ValidationError(
            {
                "file": _(
                    "Upload a household (户籍) list, a student registry (学籍) list "
                    "or a disability federation (残联) list."
                )
            }
        )
    folder = _folder(uploads_dir)
    folder.mkdir(parents=True, exist_ok=True)
    register_files.remove_stale(folder, KEEP_SECONDS)
    stored = {}
    try:
        for kind, (stream, filename) in files.items():
            try:
                path = _store(stream, folder, max_mb * 1024 * 1024)
                stored[kind] = {"file": path.name, "name": Path(filename or "").name[:200]}
                workbook_limits.check(path, limits, unreadable=not_a_spreadsheet)
            except ValidationError as exc:
                raise ValidationError({kind: exc.errors["file"]}) from None
    except ValidationError:
        _discard(folder, stored)
        raise
    token = uuid.uuid4().hex
    manifest = {"user": user.id, "files": stored, "at": clock.now().isoformat(timespec="seconds")}
    register_files.save_note(folder, token, manifest)
    return token


def read(user, uploads_dir, token, today, limits=None, progress=None):
    """Read each stored list of an upload and keep what was read (its rows, as data) for the result page, which
    then never parses the files again. A list that cannot be read removes the whole upload: ValidationError
    naming its kind. `progress(done, total)` hears of each list read."""
    require(user)
    folder = _folder(uploads_dir)
    manifest = register_files.load_note(folder, token, user.id)
    if manifest is None:
        raise ValidationError({"file": _("The uploaded file is gone: upload it again.")})
    lists = {}
    for done, (kind, entry) in enumerate(manifest["files"].items()):
        if progress is not None:
            progress(done, len(manifest["files"]))
        try:
            lists[kind] = read_list(folder / entry["file"], kind, entry["name"], today, limits)
        except ValidationError as exc:
            _discard(folder, manifest["files"])
            (folder / f"{token}.json").unlink(missing_ok=True)
            raise ValidationError({kind: exc.errors["file"]}) from None
    _cache_path(folder, token).write_text(json.dumps({kind: _as_data(listed) for kind, listed in lists.items()}))
    return lists


def _discard(folder, stored):
    for entry in stored.values():
        (folder / entry["file"]).unlink(missing_ok=True)


def _cache_path(folder, token):
    return folder / f"{token}.lists.json"


def _as_data(listed):
    rows = [{**asdict(row), "birth_on": row.birth_on and row.birth_on.isoformat()} for row in listed.rows]
    return {**asdict(listed), "rows": rows}


def _from_data(data):
    rows = [
        ListRow(**{**row, "birth_on": row["birth_on"] and date.fromisoformat(row["birth_on"])}) for row in data["rows"]
    ]
    skipped = [tuple(item) for item in data["skipped"]]
    notes = [tuple(item) for item in data["notes"]]
    return UploadedList(data["kind"], data["filename"], rows, skipped, notes)


def load(user, uploads_dir, token):
    """The lists of an upload by this user, {kind: UploadedList}, as read() kept them; None when there is no such
    upload (or one kept before read() kept its lists), or its lists have not been read yet."""
    require(user)
    folder = _folder(uploads_dir)
    manifest = register_files.load_note(folder, token, user.id)
    if manifest is None:
        return None  # no such upload, or someone else's: as if it did not exist
    if any(not (folder / entry["file"]).is_file() for entry in manifest["files"].values()):
        return None
    cache = _cache_path(folder, token)
    if not cache.is_file():
        return None
    return {kind: _from_data(data) for kind, data in json.loads(cache.read_text()).items()}


# Matching ----------------------------------------------------------------------------------


class _Index:
    """Match a row on its ID number, then on name + birth date where an ID is missing on either side."""

    def __init__(self, by_id, by_pair):
        self.by_id, self.by_pair = by_id, by_pair  # by_pair: {(name, birth): [items]}

    def match(self, row):
        if row.id_number:
            found = self.by_id.get(row.id_number)
            if found is not None:
                return found
        for item in self.by_pair.get((row.name, row.birth_on), ()):
            if not (row.id_number and item.id_number):
                return item
        return None

    @classmethod
    def of_rows(cls, rows):
        by_id, by_pair = {}, {}
        for row in rows:
            if row.id_number:
                by_id.setdefault(row.id_number, row)
            by_pair.setdefault((row.name, row.birth_on), []).append(row)
        return cls(by_id, by_pair)

    @classmethod
    def of_register(cls, user, rows):
        """The register children the rows may match: one query per chunk of ID numbers or names."""
        base = register_query(user)
        numbers = {row.id_number for row in rows if row.id_number}
        by_id = {}
        for chunk in chunks(numbers):
            by_id.update((c.id_number, c) for c in register_children(base.where(Child.id_number.in_(chunk))))
        wanted = {(row.name, row.birth_on) for row in rows if row.id_number not in by_id}
        by_pair = {}
        for names in chunks({pair[0] for pair in wanted}):
            chunk = set(names)
            births = sorted({birth for name, birth in wanted if name in chunk})
            query = base.where(Child.name.in_(names) & Child.birth_on.in_(births)).order_by(Child.id)
            for child in register_children(query):
                if (child.name, child.birth_on) in wanted:
                    by_pair.setdefault((child.name, child.birth_on), []).append(child)
        return cls(by_id, by_pair)


def enrolment_state(status):
    """'enrolled' or 'left' as a 学籍 status says, None when it says neither.

    A blank status counts as enrolled: a 学籍 export lists the students on the roll.
    """
    text = cell_text(status)
    if not text:
        return "enrolled"
    if any(word in text for word in LEFT_WORDS):
        return "left"
    if any(word in text for word in ENROLLED_WORDS):
        return "enrolled"
    return None


def compare(user, lists, today, start_age=6):
    """The findings of comparing the uploaded lists with the user's part of the register."""
    require(user)
    household, enrolment, disability = (lists.get(kind) for kind in KINDS)
    result = Comparison(household, enrolment, disability)
    rows = [row for listed in (household, enrolment, disability) if listed for row in listed.rows]
    register = _Index.of_register(user, rows)
    if household is not None:
        _enrolled_nowhere(result, household, enrolment, register, today, start_age)
    if enrolment is not None:
        for row in enrolment.rows:
            child, state = register.match(row), enrolment_state(row.status)
            if child is None:
                continue
            if state == "enrolled" and child.status in OUT_OF_SCHOOL:
                result.enrolled_but_out.append((row, child))
            elif state == "left" and child.status in ATTENDING:
                result.out_but_enrolled.append((row, child))
    if disability is not None:
        register_disability.compare(result, disability, register, today, start_age)
    return result


def _enrolled_nowhere(result, household, enrolment, register, today, start_age):
    """School-age 户籍 children on no 学籍 roll and in no school by the register."""
    on_roll = (
        _Index.of_rows([row for row in enrolment.rows if enrolment_state(row.status) == "enrolled"])
        if enrolment
        else None
    )
    seen = set()  # a child listed twice in the file is reported once
    for row in household.rows:
        if not school_age.is_school_age(row.birth_on, today, start_age):
            continue
        if on_roll is not None and on_roll.match(row) is not None:
            continue
        child = register.match(row)
        key = child.id if child is not None else (row.id_number or (row.name, row.birth_on))
        if key in seen:
            continue
        seen.add(key)
        if child is None:
            result.unregistered.append(row)
        elif child.status not in ENROLLED + ACCOUNTED:
            result.candidates.append((row, child))


def flag(user, comparison, child_ids, settings, today):
    """Open a suspected case for each chosen candidate, all in one transaction.

    Returns (flagged, skipped): children flagged, and chosen children skipped because
    they already have an open case. Only the comparison's candidates can be flagged.
    """
    if user.role not in FLAG_ROLES:
        raise PermissionDenied()
    candidates = {child.id for _, child in comparison.candidates}
    chosen = candidates & set(child_ids)
    if not chosen:
        raise ValidationError({"child": _("Tick at least one child.")})
    already, children = set(), []
    for ids in chunks(chosen):
        open_cases = DropoutCase.select(DropoutCase.child).where(
            DropoutCase.child.in_(ids) & DropoutCase.status.in_(case_status.OPEN_STATUSES)
        )
        already.update(child_id for (child_id,) in open_cases.tuples())
        children.extend(scope.children(user).where(Child.id.in_(ids)))
    children.sort(key=lambda child: (child.name, child.id))
    flagged = [child for child in children if child.id not in already]
    # All or nothing: a refused child leaves none of the others half-flagged.
    with database.atomic():
        for child in flagged:
            open_case(user, child, today, settings, today, notes=_("Found by the register cross-check."))
    return flagged, [child for child in children if child.id in already]
