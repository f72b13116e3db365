"""A fictional county for demonstrations and load tests: places, children, a year of history, accounts,
and the year's case work (一人一案 cases, home visits, exemptions: demo/cases.py; 限期复学通知书 in
every state, with the measures after missed deadlines: demo_notices).

`flask --app dropout demo-data` calls load(). Children and guardians go in through db.bulk_insert
in chunks, never one ORM save per row: a million children load in about a minute on SQLite.
Everything is drawn from random.Random(seed) and dated relative to `today`: one seed, one county.
"""

import itertools
import json
import random
import unicodedata
from datetime import date, datetime, time, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from .. import config as settings
from ..accounts.users import SECRET_FIELDS
from ..children import columns
from ..choices import CHILD_STATUSES, DISABILITY_CATEGORIES
from ..core import audit
from ..db import bulk_insert, database, next_id, reset_sequence
from ..models import School, Township, User, Village
from ..rules import id_number, school_age
from . import cases as demo_cases
from . import names

DEMO_PASSWORD = "Demo-2026-county"
# username (also the role), full name, what the login list calls the role
ACCOUNTS = (
    ("admin", "王建国", "county administrator"),
    ("bureau", "李秀英", "education bureau"),
    ("township", "张志强", "township staff"),
    ("teacher", "刘芳", "teacher"),
    ("village", "陈德明", "village cadre"),
)
# Invented area codes under Sichuan (51); the later ones only when a birth date runs out of sequences.
AREA_CODES = ("513499", "513498", "513497", "513496")
CHUNK = 5000
TEACHER_ASSIGNED = 30  # children of another township's schools the demo teacher is responsible for
DROPOUT_STATES = ("suspected", "dropped_out", "returned")
MINORITIES = ("彝族", "藏族", "回族")
CATEGORIES = tuple(DISABILITY_CATEGORIES)
STATUS_JSON = {status: json.dumps({"status": status}) for status in CHILD_STATUSES}
AUDIT_COLUMNS = (
    "at",
    "user_id",
    "username",
    "action",
    "entity",
    "entity_id",
    "child_id",
    '"before"',
    '"after"',
    "reason",
)


def has_data():
    """Whether the county already has places (demo data loads only into an empty database)."""
    return Township.select().exists()


class _IdNumbers:
    """Valid ID numbers, never the same twice: sequences are handed out per birth date and sex."""

    def __init__(self):
        self.issued = {}

    def make(self, birth_on, male):
        key = birth_on.toordinal() * 2 + male
        count = self.issued.get(key, 0)
        self.issued[key] = count + 1
        # A step coprime to 500 visits all 500 sequences of one parity before an area code repeats.
        half = (key * 7919 + count * 37) % 500
        return id_number.make(AREA_CODES[count // 500], birth_on, half * 2 + male)


def _places(rng, county):
    """Townships, villages and schools; the townships as dicts the child generator draws from."""
    stems = list(names.VILLAGE_STEMS)
    rng.shuffle(stems)
    towns, special = [], None
    for (name, weight, secondary, share, minority), count in zip(names.TOWNSHIPS, names.VILLAGE_COUNTS, strict=True):
        township = Township.create(name=name, notice_prefix=f"{name}控辍通")
        labels = names.COMMUNITIES[:count] if name == "城关镇" else [stems.pop() + "村" for _ in range(count)]
        villages = [
            {
                "id": Village.create(township=township, name=label).id,
                "name": label,
                "point": None,
                "groups": [f"{g}组" for g in range(1, rng.randint(4, 12) + 1)],
            }
            for label in labels
        ]

        def school(label, kind, township=township):
            return School.create(township=township, name=label, kind=kind).id

        if name == "城关镇":
            primary = [school(label, "primary") for label in names.PRIMARY_SCHOOLS_CHENGGUAN]
            junior = [school("城关镇初级中学", "junior")]
            both = school(f"{county}实验学校", "nine_year")
            primary.append(both)
            junior.append(both)
            special = school(f"{county}特殊教育学校", "special")
        else:
            primary = [school(f"{name}中心小学", "primary")]
            if secondary == "junior":
                junior = [school(f"{name}初级中学", "junior")]
            else:
                junior = [school(f"{name}九年一贯制学校", "nine_year")]
                primary.append(junior[0])
        others = [m for m in MINORITIES if m != minority]
        towns.append(
            {
                "id": township.id,
                "name": name,
                "weight": weight,
                "share": share,
                "minorities": [minority] * 14 + others * 3,
                "villages": villages,
                "primary": primary,
                "junior": junior,
            }
        )
    rural = [(town, village) for town in towns[1:] for village in town["villages"]]
    for town, village in sorted(rng.sample(rural, names.TEACHING_POINTS), key=lambda pair: pair[1]["id"]):
        village["point"] = School.create(
            township=town["id"], name=f"{town['name']}{village['name']}教学点", kind="teaching_point"
        ).id
    return towns, special


def _accounts(towns):
    """One account per role, all with the demo password; existing user names are left alone."""
    password_hash = generate_password_hash(DEMO_PASSWORD)
    home = towns[0]
    places = {
        "township": {"township": home["id"]},
        "teacher": {"school": home["primary"][0]},
        "village": {"village": home["villages"][0]["id"]},
    }
    created = {}
    for username, full_name, _label in ACCOUNTS:
        if User.select().where(User.username == username).exists():
            continue
        user = User.create(
            username=username,
            password_hash=password_hash,
            full_name=full_name,
            role=username,
            **places.get(username, {}),
        )
        audit.record(None, "create", "user", user.id, after=audit.snapshot(user, SECRET_FIELDS))
        created[username] = user.id
    return created


def _history(rng, rows, child_id, status, actors, today):
    """Audit rows for the status changes that led to `status`; returns the last change's time."""
    if status == "dropped_out" and rng.random() < 0.5:
        path = ("enrolled", "suspected", "dropped_out")
    elif status == "returned":
        path = ("enrolled", "dropped_out", "returned")
    elif status == "enrolled":  # a suspicion that proved false
        path = ("enrolled", "suspected", "enrolled")
    else:
        path = ("enrolled", status)
    at = None
    days_ago = sorted(rng.sample(range(1, 366), len(path) - 1), reverse=True)
    for (before, after), ago in zip(itertools.pairwise(path), days_ago, strict=True):
        # Office hours in Beijing, stored in UTC like every audit time.
        at = datetime.combine(today - timedelta(days=ago), time()) + timedelta(seconds=rng.randint(1800, 36000))
        user_id, username = rng.choice(actors)
        reason = rng.choice(names.REASONS.get((before, after), ("",)))
        rows.append(
            (
                at,
                user_id,
                username,
                "update",
                "child",
                child_id,
                child_id,
                STATUS_JSON[before],
                STATUS_JSON[after],
                reason,
            )
        )
    return at


def _status_changes(history):
    """The child_change rows (migration 0005) of the status changes in the audit rows."""
    rows = [
        (row[5], row[0].date(), json.loads(row[7])["status"], json.loads(row[8])["status"], row[0])
        for row in history
        if row[4] == "child"
    ]
    bulk_insert("child_change", ("child_id", "changed_on", "old_status", "new_status", "at"), rows)
    database.execute_sql(
        "UPDATE child_change SET old_school_id = child.school_id, new_school_id = child.school_id, "
        "old_village_id = child.village_id, new_village_id = child.village_id FROM child "
        "WHERE child.id = child_change.child_id"
    )


def _children(rng, n, towns, special, users, today, start_age, work):
    """Generate and insert children and guardians chunk by chunk; return (guardians, audit rows).

    Children with a case or an exemption get it planned by `work`, which sets their status history."""
    # Ages 6-14: a child of 15 on 31 August has normally finished grade 9.
    earliest, latest = school_age.birth_range_for_ages(start_age, school_age.last_school_age(start_age) - 1, today)
    births = {}  # ordinal -> (date, grade by age)
    for ordinal in range(earliest.toordinal(), latest.toordinal() + 1):
        born = date.fromordinal(ordinal)
        births[ordinal] = (born, min(max(school_age.expected_grade(born, today, start_age), 1), 9))
    low, high = earliest.toordinal(), latest.toordinal()
    places = [(town, village) for town in towns for village in town["villages"]]
    cum_places = list(itertools.accumulate(town["weight"] / len(town["villages"]) for town, _v in places))
    cum_han = list(itertools.accumulate(1 / (rank + 8) for rank in range(len(names.HAN_SURNAMES))))
    imported = datetime.combine(today - timedelta(days=400), time(1, 30))
    home, away = towns[0], towns[1]
    teacher, teacher_school = users.get("teacher"), home["primary"][0]
    expected_away = n * away["weight"] / sum(town["weight"] for town in towns)
    assign_p = min(1.0, 1.5 * TEACHER_ASSIGNED / max(expected_away, 1.0))
    assigned = 0
    ids = _IdNumbers()
    history = []
    child_id, guardian_id = next_id("child"), next_id("guardian")
    first_guardian = guardian_id
    rand, randint, choice = rng.random, rng.randint, rng.choice
    for start in range(0, n, CHUNK):
        child_rows, guardian_rows = [], []
        for town, village in rng.choices(places, cum_weights=cum_places, k=min(CHUNK, n - start)):
            male = rand() < 0.515
            birth_ordinal = randint(low, high)
            birth_on, grade = births[birth_ordinal]
            if grade > 1 and rand() < 0.04:
                grade -= 1  # started late or repeated a year
            ethnicity = choice(town["minorities"]) if rand() < town["share"] else "汉族"
            family = names.surname(rng, ethnicity, cum_han)
            name = family + names.given(rng, family, male, True)
            poor, left_behind, migrant, orphan = rand() < 0.08, rand() < 0.12, rand() < 0.05, rand() < 0.005
            category = disability_grade = None
            status = "enrolled"
            if rand() < 0.015:
                category, disability_grade = choice(CATEGORIES), randint(1, 4)
                r = rand()
                status = "special_school" if r < 0.25 else "home_taught" if r < 0.45 else "enrolled"
            if status == "enrolled":
                r, p = rand(), (0.03 if grade >= 7 else 0.006) * (2 if poor else 1)
                if r < p:
                    status = rng.choices(DROPOUT_STATES, cum_weights=(35, 70, 100))[0]
                elif r < p + 0.016:
                    status = "deferred" if r < p + 0.003 else "outside_county" if r < p + 0.011 else "moved_out"
            if status == "special_school":
                school = special
            elif status == "home_taught":
                school = special if rand() < 0.5 else None
            elif grade <= 3 and village["point"] and rand() < 0.65:
                school = village["point"]
            else:
                school = choice(town["primary"] if grade <= 6 else town["junior"])
            forced = None
            if town is home and status == "enrolled" and category is None:
                forced = work.force(school == teacher_school)
                status = demo_cases.FORCED_STATUS.get(forced, status)
            number = None if rand() < 0.01 else ids.make(birth_on, male)
            if school is None:
                grade = student_number = None
            else:
                student_number = "G" + number if number else f"L{rng.randrange(10**17):017d}"
            group = choice(village["groups"])
            address = f"{town['name']}{village['name']}{group}{randint(1, 180)}号"
            teacher_id = None
            if (
                town is away
                and teacher
                and school
                and school != special
                and assigned < TEACHER_ASSIGNED
                and rand() < assign_p
            ):
                teacher_id, assigned = teacher, assigned + 1
            notes, updated = "", imported
            if status in demo_cases.STATUSES or forced or rand() < 0.005:
                planned = work.plan(
                    history, child_id, status, town is home, school, grade, teacher_id, forced, township=town["id"]
                )
                if planned is None:
                    # Whoever could have made the change: the system, the admin, the local accounts.
                    local = {
                        "admin": True,
                        "township": town is home,
                        "village": village is home["villages"][0],
                        "teacher": school == teacher_school or teacher_id is not None,
                    }
                    actors = [(None, "system")] + [(users[u], u) for u, near in local.items() if near and u in users]
                    updated = _history(rng, history, child_id, status, actors, today)
                else:
                    status, updated = planned[0], planned[1] or imported
                if status in DROPOUT_STATES and rand() < 0.5:
                    notes = choice(names.NOTES)
            child_rows.append(
                columns.child_row(
                    {
                        "id": child_id,
                        "name": name,
                        "sex": "M" if male else "F",
                        "id_number": number,
                        "birth_on": birth_on,
                        "ethnicity": ethnicity,
                        "village": village["id"],
                        "group": group,
                        "address": address,
                        "school": school,
                        "grade": grade,
                        "student_number": student_number,
                        "status": status,
                        "is_poor": poor,
                        "is_left_behind": left_behind,
                        "is_migrant": migrant,
                        "is_orphan": orphan,
                        "disability_category": category,
                        "disability_grade": disability_grade,
                        "responsible_teacher": teacher_id,
                        "notes": notes,
                        "registered_on": imported.date(),
                        "created_at": imported,
                        "updated_at": updated,
                    }
                )
            )
            for relation in names.guardian_relations(rng, orphan, left_behind):
                guardian_male = names.MALE_RELATIONS.get(relation)
                if guardian_male is None:
                    guardian_male = rand() < 0.5
                surname = family if relation in ("父亲", "祖父") else names.surname(rng, ethnicity, cum_han)
                # Days older than the child: 48-68 years for a grandparent, 25-45 for anyone else.
                days = randint(17533, 24837) if relation in names.GRANDPARENTS else randint(9132, 16436)
                guardian_born = date.fromordinal(birth_ordinal - days)
                guardian_rows.append(
                    columns.guardian_row(
                        {
                            "id": guardian_id,
                            "child": child_id,
                            "name": surname + names.given(rng, surname, guardian_male, False),
                            "relation": relation,
                            "phone": choice(names.PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}",
                            "id_number": ids.make(guardian_born, guardian_male),
                        }
                    )
                )
                guardian_id += 1
            child_id += 1
        bulk_insert("child", columns.CHILD_ROW, child_rows)
        bulk_insert("guardian", columns.GUARDIAN_ROW, guardian_rows)
    return guardian_id - first_guardian, history


def load(n_children=20000, seed=2026, today=None, county="示例县", start_age=6, config=None):
    """Fill an empty database with a fictional county; return what was made, by kind.

    `config` (the app's, from the demo-data command; default: the settings' defaults) gives the notices their
    deadline, template, regulation and public URL, and `today` its default (the county's today)."""
    if config is None:
        config = {name: default for name, (default, _kind) in settings.SETTINGS.items()}
    today = today or clock.today(config)
    rng = random.Random(seed)
    with database.atomic():
        if has_data():
            raise RuntimeError("the database already holds a county; demo data loads into an empty one")
        towns, special = _places(rng, county)
        users = _accounts(towns)
        anyone = User.select(User.id).order_by(User.id).scalar()
        work = demo_cases.CaseWork(rng, today, users, anyone, towns[0]["primary"][0], config)
        n_guardians, history = _children(rng, n_children, towns, special, users, today, start_age, work)
        n_cases, n_visits, n_exemptions, n_notices, n_measures = work.insert()
        bulk_insert("audit_log", AUDIT_COLUMNS, history)
        _status_changes(history)
        for table in (
            "child",
            "guardian",
            "dropout_case",
            "home_visit",
            "case_event",
            "exemption",
            "return_notice",
            "escalation",
            "closure_request",
        ):
            reset_sequence(table)
        counts = {
            "townships": len(towns),
            "villages": sum(len(town["villages"]) for town in towns),
            "schools": School.select().count(),
            "children": n_children,
            "guardians": n_guardians,
            "accounts": len(users),
            "cases": n_cases,
            "visits": n_visits,
            "exemptions": n_exemptions,
            "notices": n_notices,
            "measures": n_measures,
        }
        audit.record(None, "create", "county", None, after=counts, reason=f"demo data, seed {seed}")
    return counts


def _pad(text, width):
    """Pad to a display width, counting a Chinese character as two columns."""
    shown = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(1, width - shown)


def logins_text():
    """The demo accounts still usable with the demo password, one line each; '' when there are none."""
    users = {user.username: user for user in User.select().where(User.username.in_([a[0] for a in ACCOUNTS]))}
    lines = []
    for username, _name, label in ACCOUNTS:
        user = users.get(username)
        if user is None or user.role != username or not user.is_active:
            continue
        if not check_password_hash(user.password_hash, DEMO_PASSWORD):
            continue  # the password was changed: not a demo login any more
        place = user.place
        role = f"{label}, {place.name}" if place else label
        lines.append(f"  {_pad(username, 10)} {_pad(role, 34)} password {DEMO_PASSWORD}")
    return "\n".join(["Demo logins:", *lines]) if lines else ""


def past_months(today, start_age=6, due_day=5, months=11):
    """Generate the summaries of the `months` months before last month, their reports filed on time,
    so the demo dashboard has a trend; last month is left to the scheduler."""
    from ..models import MonthlyReport
    from ..reporting import summaries
    from ..reporting.figures import Month

    month = Month.of(today).previous()
    done = []
    for _ in range(months):
        month = month.previous()
        summaries.generate_month(month, start_age=start_age, due_day=due_day)
        done.append(str(month))
    for report in MonthlyReport.select().where(MonthlyReport.month.in_(done)):
        filed = datetime.combine(report.due_on - timedelta(days=2), time(2, 0))
        MonthlyReport.update(status="approved", submitted_at=filed, approved_at=filed + timedelta(days=1)).where(
            MonthlyReport.id == report.id
        ).execute()
    return done
