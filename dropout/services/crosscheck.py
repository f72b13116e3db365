"""比对: uploaded 户籍 (household) and 学籍 (student registry) lists against the register.

An upload is kept as instance/uploads/registers/<token>.json (who uploaded it, which files)
beside the files themselves, so the result page, its exports and the flag action read the
same lists again; nothing of it travels in the session cookie.
"""
import csv
import io
import json
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import combinations, groupby
from pathlib import Path

from flask_babel import gettext as _
from peewee import JOIN, Tuple, fn
from python_calamine import CalamineError, CalamineWorkbook

from ..choices import OUT_OF_SCHOOL
from ..db import database
from ..models import Child, DropoutCase, Guardian, School, Village
from ..rules import case_status, school_age
from ..rules import id_number as idn
from ..rules.dates import parse_date
from ..rules.school_age import birth_range_for_ages
from . import PermissionDenied, ValidationError, scope
from .cases import open_case
from .children import id_number_message

ROLES = ("admin", "bureau", "township")
FLAG_ROLES = ("admin", "township")  # who may open cases from the findings (the bureau reads only)
KINDS = ("household", "enrolment")  # 户籍, 学籍
FOLDER = "registers"
KEEP_SECONDS = 7 * 24 * 3600  # uploads older than a week are removed at the next upload
HEADER_ROWS = 10  # the header is looked for among the first rows, below any title rows
CHUNK = 500  # ids per IN (...) query
# A register child counts as in education with one of these statuses (the list).
ENROLLED = ("enrolled", "returned", "home_taught", "special_school", "outside_county", "deferred")
# Accounted for without being enrolled: never a dropout candidate.
ACCOUNTED = ("completed", "deceased", "moved_out")
# Attending a school here: a 学籍 entry saying the child left contradicts these.
ATTENDING = ("enrolled", "returned", "home_taught", "special_school")
HEADERS = {
    "name": ("姓名", "学生姓名", "儿童姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证件号", "身份证件号码"),
    "birth_on": ("出生日期", "出生年月日"),
    "sex": ("性别",),
    "guardian": ("监护人", "监护人姓名", "户主", "户主姓名"),
    "village": ("村", "社区", "村(社区)", "所在村"),
    "school": ("学校", "就读学校", "学校名称"),
    "status": ("学籍状态", "在籍状态"),
}
_HEADER_KEYS = {name: key for key, names in HEADERS.items() for name in names}
LEFT_WORDS = ("休学", "辍学", "转出", "退学", "流失", "死亡", "毕业", "结业", "离校", "注销", "开除", "不在", "未在")
ENROLLED_WORDS = ("在校", "在籍", "在读", "正常")
SIGNATURES = {b"PK\x03\x04": ".xlsx", b"\xd0\xcf\x11\xe0": ".xls"}


@dataclass
class ListRow:
    """One usable row of an uploaded list; `line` is its row number in the sheet."""

    line: int
    name: str
    id_number: str | None
    birth_on: date
    sex: str = ""
    guardian: str = ""
    village: str = ""
    school: str = ""
    status: str = ""


@dataclass
class UploadedList:
    kind: str
    filename: str
    rows: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # [(line, message)]


@dataclass
class RegisterChild:
    id: int
    name: str
    id_number: str | None
    birth_on: date
    status: str
    village_id: int
    village: str
    school: str
    case_status: str | None = None
    guardians: tuple = ()

    @property
    def has_open_case(self):
        return self.case_status in case_status.OPEN_STATUSES


@dataclass
class Comparison:
    household: UploadedList | None
    enrolment: UploadedList | None
    candidates: list = field(default_factory=list)  # [(row, child)]: flag as suspected
    unregistered: list = field(default_factory=list)  # [row]: school-age, enrolled nowhere, not registered
    enrolled_but_out: list = field(default_factory=list)  # [(row, child)]: 学籍 enrolled, register out of school
    out_but_enrolled: list = field(default_factory=list)  # [(row, child)]: 学籍 left, register enrolled


def _require(user):
    if user.role not in ROLES:
        raise PermissionDenied()


# Reading ---------------------------------------------------------------------------------


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # A NUL (Excel's _x0000_, UTF-16 text) is invisible and PostgreSQL refuses it in a query: dropped.
    return unicodedata.normalize("NFKC", str(value)).replace("\x00", "").strip()


def _header_key(cell):
    return _HEADER_KEYS.get("".join(_text(cell).split()).strip("*"))


def _find_header(rows):
    """(index, {key: column}) of the first row naming 姓名 and an ID or birth-date column."""
    for index, row in enumerate(rows[:HEADER_ROWS]):
        columns = {}
        for column, cell in enumerate(row):
            key = _header_key(cell)
            if key and key not in columns:
                columns[key] = column
        if "name" in columns and ("id_number" in columns or "birth_on" in columns):
            return index, columns
    return None


def _sheets(path, suffix):
    """Each sheet's rows as lists of cells (CSV: one sheet); ValidationError when unreadable."""
    data = Path(path).read_bytes()
    if suffix == ".csv":
        return [_csv_rows(data)]
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [list(workbook.get_sheet_by_index(i).iter_rows()) for i in range(len(workbook.sheet_names))]
    except (CalamineError, ValueError, OSError):
        raise ValidationError({"file": _not_a_spreadsheet()}) from None


def _not_a_spreadsheet():
    return _("This file is not a spreadsheet: upload an .xlsx, .xls or .csv file.")


def _decode(data):
    """Text of a CSV file: UTF-8, GB18030, or Excel's UTF-16 "Unicode text"; None for binary."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ("utf-16",)
    elif b"\x00" in data:
        return None
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _csv_rows(data):
    text = _decode(data)
    if text is None:
        raise ValidationError({"file": _not_a_spreadsheet()})
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _cell(row, columns, key):
    column = columns.get(key)
    return row[column] if column is not None and column < len(row) else ""


def _birth(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(_text(value))


def _row(line, row, columns, today):
    """A ListRow, or the reason the row cannot be used (a message)."""
    name = _text(_cell(row, columns, "name"))
    if not name:
        return _("No name.")
    raw_id = _cell(row, columns, "id_number")
    number = idn.normalise(_text(raw_id)) or None
    parsed, problem = None, None
    if isinstance(raw_id, (int, float)) and number:
        # Excel kept the ID as a number and lost its last digits: never guess it back.
        number, problem = None, _("The ID number was stored as a number and has lost digits.")
    elif number:
        try:
            parsed = idn.parse(number, today)
        except idn.IdNumberError as exc:
            number, problem = None, id_number_message(exc.code)
    try:
        birth_on = _birth(_cell(row, columns, "birth_on"))
    except ValueError:
        birth_on = None
    birth_on = parsed.birth_on if parsed is not None else birth_on
    if birth_on is None:
        return problem or _("No valid ID number and no birth date.")
    values = {key: _text(_cell(row, columns, key)) for key in ("sex", "guardian", "village", "school", "status")}
    return ListRow(line, name, number, birth_on, **values)


def read_list(path, kind, filename, today):
    """Read an uploaded register file; ValidationError for an empty or unrecognisable file."""
    suffix = Path(path).suffix
    sheets = _sheets(path, suffix)
    if not any(any(_text(cell) for cell in row) for rows in sheets for row in rows):
        raise ValidationError({"file": _("The file is empty.")})
    for rows in sheets:
        header = _find_header(rows)
        if header is not None:
            break
    else:
        raise ValidationError({"file": _(
            "No header row found in the first 10 rows: the list needs a 姓名 column "
            "and a 身份证号 or 出生日期 column."
        )})
    start, columns = header
    result = UploadedList(kind, filename)
    for index in range(start + 1, len(rows)):
        row = rows[index]
        if not any(_text(cell) for cell in row):
            continue
        parsed = _row(index + 1, row, columns, today)
        if isinstance(parsed, ListRow):
            result.rows.append(parsed)
        else:
            result.skipped.append((index + 1, parsed))
    return result


# Storing -----------------------------------------------------------------------------------


def _folder(uploads_dir):
    return Path(uploads_dir) / FOLDER


def _store(stream, folder, max_bytes):
    """Copy an upload to folder/<random><suffix> in chunks, refusing it past max_bytes."""
    head = stream.read(8)
    if not head:
        raise ValidationError({"file": _("The file is empty.")})
    suffix = next((s for magic, s in SIGNATURES.items() if head.startswith(magic)), ".csv")
    target = folder / f"{uuid.uuid4().hex}{suffix}"
    size = len(head)
    with target.open("wb") as out:
        out.write(head)
        while chunk := stream.read(1024 * 1024):
            size += len(chunk)
            if size > max_bytes:
                out.close()
                target.unlink()
                raise ValidationError({"file": _("The file is larger than %(n)d MB.", n=max_bytes // (1024 * 1024))})
            out.write(chunk)
    return target


def _purge(folder):
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def upload(user, files, uploads_dir, max_mb, today):
    """Store and check the uploaded lists ({kind: (stream, filename)}); return the upload's token."""
    _require(user)
    files = {kind: value for kind, value in files.items() if kind in KINDS and value is not None}
    if not files:
        raise ValidationError({"file": _("Upload a household (户籍) list, a student registry (学籍) list, or both.")})
    folder = _folder(uploads_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _purge(folder)
    stored = {}
    try:
        for kind, (stream, filename) in files.items():
            try:
                path = _store(stream, folder, max_mb * 1024 * 1024)
                stored[kind] = {"file": path.name, "name": Path(filename or "").name[:200]}
                read_list(path, kind, filename, today)
            except ValidationError as exc:
                raise ValidationError({kind: exc.errors["file"]}) from None
    except ValidationError:
        for entry in stored.values():
            (folder / entry["file"]).unlink(missing_ok=True)
        raise
    token = uuid.uuid4().hex
    manifest = {"user": user.id, "files": stored, "at": datetime.now().isoformat(timespec="seconds")}
    (folder / f"{token}.json").write_text(json.dumps(manifest, ensure_ascii=False))
    return token


def load(user, uploads_dir, token, today):
    """The lists of an upload by this user, {kind: UploadedList}; None when there is no such upload."""
    _require(user)
    folder = _folder(uploads_dir)
    manifest_path = folder / f"{token}.json"
    if not token.isalnum() or not manifest_path.is_file():
        return None
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("user") != user.id:
        return None  # someone else's upload: as if it did not exist
    lists = {}
    for kind, entry in manifest["files"].items():
        path = folder / entry["file"]
        if not path.is_file():
            return None
        lists[kind] = read_list(path, kind, entry["name"], today)
    return lists


# Matching ----------------------------------------------------------------------------------


def register_query(user):
    """The user's children with what the checks show of them, one row per child."""
    return (
        scope.children(user)
        .select(
            Child.id, Child.name, Child.id_number, Child.birth_on, Child.status, Child.village.alias("village_id"),
            Village.name.alias("village"), School.name.alias("school"), DropoutCase.status.alias("case_status"),
        )
        .join(Village)
        .switch(Child)
        .join(School, JOIN.LEFT_OUTER)
        .switch(Child)
        .join(DropoutCase, JOIN.LEFT_OUTER, on=(DropoutCase.child == Child.id))
        .dicts()
    )


def register_children(query):
    for row in query:
        row["school"] = row["school"] or ""
        yield RegisterChild(**row)


def _chunks(values):
    values = sorted(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


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
        for chunk in _chunks(numbers):
            by_id.update((c.id_number, c) for c in register_children(base.where(Child.id_number.in_(chunk))))
        wanted = {(row.name, row.birth_on) for row in rows if row.id_number not in by_id}
        by_pair = {}
        for names in _chunks({pair[0] for pair in wanted}):
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
    text = _text(status)
    if not text:
        return "enrolled"
    if any(word in text for word in LEFT_WORDS):
        return "left"
    if any(word in text for word in ENROLLED_WORDS):
        return "enrolled"
    return None


def compare(user, lists, today, start_age=6):
    """The findings of comparing the uploaded lists with the user's part of the register."""
    _require(user)
    household, enrolment = lists.get("household"), lists.get("enrolment")
    result = Comparison(household, enrolment)
    rows = (household.rows if household else []) + (enrolment.rows if enrolment else [])
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
    return result


def _enrolled_nowhere(result, household, enrolment, register, today, start_age):
    """School-age 户籍 children on no 学籍 roll and in no school by the register."""
    on_roll = _Index.of_rows([row for row in enrolment.rows if enrolment_state(row.status) == "enrolled"]) if enrolment else None
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
    for ids in _chunks(chosen):
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


# The register's own checks -----------------------------------------------------------------


def duplicates(user):
    """Children registered twice: [(reasons, [RegisterChild, ...])], by name.

    Two entries with one ID number cannot exist (a unique column), so a pair counts when it
    shares name and birth date and either one has no ID number, or the two live in different
    villages under a guardian of the same name.
    """
    _require(user)
    twice = (
        scope.children(user).select(Child.name, Child.birth_on)
        .group_by(Child.name, Child.birth_on).having(fn.COUNT(Child.id) > 1)
    )
    query = register_query(user).where(Tuple(Child.name, Child.birth_on).in_(twice))
    children = list(register_children(query.order_by(Child.name, Child.birth_on, Child.id)))
    guardians = {}
    for ids in _chunks({child.id for child in children}):
        for child_id, name in Guardian.select(Guardian.child, Guardian.name).where(Guardian.child.in_(ids)).tuples():
            guardians.setdefault(child_id, set()).add(name)
    groups = []
    for _key, members in groupby(children, key=lambda child: (child.name, child.birth_on)):
        members, involved, reasons = list(members), set(), set()
        for a, b in combinations(members, 2):
            if not (a.id_number and b.id_number):
                reason = "no_id"
            elif a.village_id != b.village_id and guardians.get(a.id, set()) & guardians.get(b.id, set()):
                reason = "guardian"
            else:
                continue
            involved |= {a.id, b.id}
            reasons.add(reason)
        if involved:
            chosen = [child for child in members if child.id in involved]
            for child in chosen:
                child.guardians = tuple(sorted(guardians.get(child.id, ())))
            groups.append((sorted(reasons), chosen))
    return groups


def past_school_age(user, today, start_age=6):
    """Children older than compulsory-school age still marked enrolled (a query of dicts)."""
    _require(user)
    earliest, _latest = birth_range_for_ages(None, school_age.last_school_age(start_age), today)
    return register_query(user).where((Child.status == "enrolled") & (Child.birth_on < earliest)).order_by(Child.birth_on, Child.id)


def without_school(user, today, start_age=6):
    """School-age children marked enrolled with no school (a query of dicts).

    Every child has a status, so the issue's "school-age children with no status" is read
    as children the register calls enrolled without naming their school.
    """
    _require(user)
    earliest, latest = birth_range_for_ages(start_age, school_age.last_school_age(start_age), today)
    condition = (Child.status == "enrolled") & Child.school.is_null() & Child.birth_on.between(earliest, latest)
    return register_query(user).where(condition).order_by(Child.village, Child.name, Child.id)
