"""The demo county: counts, valid identities, school ages, determinism, history and accounts."""
import json
from datetime import date, datetime, timedelta

import pytest

from dropout import create_app
from dropout.choices import SCHOOL_KINDS
from dropout.db import database
from dropout.migrations import migrate
from dropout.models import AuditLog, Child, Guardian, School, Township, User, Village
from dropout.rules import id_number, school_age
from dropout.services import accounts, demo

TODAY = date(2026, 11, 22)
N = 2000
DROPOUT_STATES = ("suspected", "dropped_out", "returned")


@pytest.fixture
def county(app):
    """The conftest's freshly migrated database, holding the demo county of 2,000 children (seed 7)."""
    with app.app_context(), database.connection_context():
        yield demo.load(N, seed=7, today=TODAY)


def _load_rows(app, seed):
    with app.app_context(), database.connection_context():
        demo.load(N, seed=seed, today=TODAY)
        return (list(Child.select().order_by(Child.id).tuples()),
                list(Guardian.select().order_by(Guardian.id).tuples()))


def _another_app(tmp_path, name):
    """A second fresh database (create_app rebinds the shared database, so use one app at a time)."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / name}", "SECRET_KEY": "x", "TESTING": True})
    with app.app_context(), database.connection_context():
        migrate()
    return app


def test_counts(county):
    assert list(county) == ["townships", "villages", "schools", "children", "guardians", "accounts"]
    assert county == {
        "townships": 12, "villages": 100, "schools": 40, "children": N,
        "guardians": Guardian.select().count(), "accounts": 5,
    }
    assert (Township.select().count(), Village.select().count(), School.select().count()) == (12, 100, 40)
    assert Child.select().count() == N
    assert N <= county["guardians"] <= 2 * N


def test_places(county):
    first = Township.select().order_by(Township.id).first()
    assert first.name == "城关镇" and first.notice_prefix == "城关镇控辍通"
    assert all(t.notice_prefix.startswith(t.name) for t in Township.select())
    kinds = {school.kind for school in School.select()}
    assert kinds == set(SCHOOL_KINDS)
    special = School.get(School.kind == "special")
    assert special.name == "示例县特殊教育学校" and special.township_id == first.id
    for township in Township.select():
        names = [school.name for school in township.schools]
        assert f"{township.name}中心小学" in names
        assert any(s.kind in ("junior", "nine_year") for s in township.schools)
    for village in Village.select().where(Village.township == first.id):
        assert village.name.endswith("社区")
    for village in Village.select().where(Village.township != first.id):
        assert village.name.endswith("村")


def test_identity_numbers_agree_with_birth_and_sex(county):
    numbers = []
    for child in Child.select():
        if child.id_number is None:
            assert child.student_number is None or child.student_number.startswith("L")
            continue
        parsed = id_number.parse(child.id_number, TODAY)
        assert (parsed.birth_on, parsed.sex) == (child.birth_on, child.sex)
        assert child.student_number in (None, "G" + child.id_number)
        numbers.append(child.id_number)
    assert len(numbers) == len(set(numbers))
    assert 0 < N - len(numbers) < N * 0.03  # about 1% without an ID number
    guardian_numbers = [g.id_number for g in Guardian.select()]
    for number in guardian_numbers:
        assert id_number.parse(number, TODAY)
    assert len(set(guardian_numbers + numbers)) == len(guardian_numbers) + len(numbers)


def test_guardians_are_plausible(county):
    children = {child.id: child for child in Child.select()}
    for guardian in Guardian.select():
        child = children[guardian.child_id]
        parsed = id_number.parse(guardian.id_number, TODAY)
        years = school_age.age_on(parsed.birth_on, child.birth_on)
        assert 25 <= years <= 68
        if guardian.relation in ("父亲", "母亲"):
            assert years <= 45
            assert parsed.sex == ("M" if guardian.relation == "父亲" else "F")
        if guardian.relation == "父亲" and child.ethnicity != "藏族":
            assert guardian.name[0] == child.name[0]
        assert guardian.phone.isdigit() and len(guardian.phone) == 11 and guardian.phone[0] == "1"
    per_child = Guardian.select(Guardian.child).distinct().count()
    assert per_child == N


def test_children_are_of_school_age_in_fitting_schools(county):
    fits = {
        "primary": range(1, 7), "junior": range(7, 10), "nine_year": range(1, 10),
        "teaching_point": range(1, 4), "special": range(1, 10),
    }
    schools = {school.id: school for school in School.select()}
    villages = {village.id: village for village in Village.select()}
    for child in Child.select():
        assert school_age.is_school_age(child.birth_on, TODAY, 6)
        assert len(child.name) >= 2 and child.sex in ("M", "F")
        if child.school_id is None:
            assert child.status == "home_taught" and child.grade is None
            continue
        school = schools[child.school_id]
        assert child.grade in fits[school.kind]
        expected = min(max(school_age.expected_grade(child.birth_on, TODAY, 6), 1), 9)
        assert child.grade in (expected, expected - 1)
        if school.kind != "special":
            assert school.township_id == villages[child.village_id].township_id
        assert child.address.startswith(villages[child.village_id].township.name)


def test_ids_are_unique_and_sequences_continue(county):
    child_ids = [c.id for c in Child.select(Child.id)]
    assert len(child_ids) == len(set(child_ids)) == N
    guardian_ids = [g.id for g in Guardian.select(Guardian.id)]
    assert len(guardian_ids) == len(set(guardian_ids))
    added = Guardian.create(child=child_ids[0], name="王芳", relation="母亲")
    assert added.id == max(guardian_ids) + 1


def test_statuses_flags_and_history(county):
    by_status = {status: Child.select().where(Child.status == status).count() for status in
                 ("enrolled", *DROPOUT_STATES)}
    assert all(by_status.values()), by_status
    assert by_status["enrolled"] > N * 0.93
    assert Child.select().where(Child.is_poor).count() > N * 0.04
    assert Child.select().where(Child.disability_category.is_null(False)).count() > 0
    since = datetime.combine(TODAY - timedelta(days=366), datetime.min.time())
    for child in Child.select().where(Child.status.in_(DROPOUT_STATES)):
        rows = list(AuditLog.select().where(AuditLog.child_id == child.id).order_by(AuditLog.at))
        assert rows, child.id
        assert all(row.entity == "child" and row.entity_id == child.id and since < row.at < datetime.combine(
            TODAY, datetime.min.time()) for row in rows)
        assert json.loads(rows[0].before) == {"status": "enrolled"}
        assert json.loads(rows[-1].after) == {"status": child.status}
        assert child.school_id is not None
        if child.status == "returned":
            assert [json.loads(row.after)["status"] for row in rows] == ["dropped_out", "returned"]
    summary = AuditLog.get(AuditLog.entity == "county")
    assert summary.action == "create" and json.loads(summary.after) == county


def test_accounts_one_per_role(county):
    home = Township.get(Township.name == "城关镇")
    users = {user.role: user for user in User.select()}
    assert set(users) == {"admin", "bureau", "township", "teacher", "village"}
    assert all(user.username == role for role, user in users.items())
    assert users["township"].township_id == home.id
    teacher = users["teacher"]
    assert teacher.school.name == "城关镇中心小学" and teacher.school.kind == "primary"
    assert users["village"].village.township_id == home.id
    for user in users.values():
        logged_in, message = accounts.authenticate(user.username, demo.DEMO_PASSWORD)
        assert logged_in is not None, message
    assigned = list(Child.select().where(Child.responsible_teacher == teacher.id))
    assert 20 <= len(assigned) <= 30
    assert all(c.school_id != teacher.school_id and c.school.township_id != home.id for c in assigned)


def test_logins_text(county):
    text = demo.logins_text()
    lines = text.splitlines()
    assert lines[0] == "Demo logins:" and len(lines) == 6
    assert all(f"password {demo.DEMO_PASSWORD}" in line for line in lines[1:])
    assert "城关镇中心小学" in text
    accounts.set_password(None, User.get(User.username == "admin"), "changed-password")
    assert "admin " not in demo.logins_text()


def test_second_load_is_refused(county):
    assert demo.has_data()
    with pytest.raises(RuntimeError):
        demo.load(10, seed=1, today=TODAY)
    assert Child.select().count() == N and User.select().count() == 5


def test_empty_database(app):
    with app.app_context(), database.connection_context():
        assert not demo.has_data()
        assert demo.logins_text() == ""


def test_same_seed_same_county(app, tmp_path):
    first = _load_rows(app, 7)
    assert len(first[0]) == N
    assert _load_rows(_another_app(tmp_path, "b.db"), 7) == first
    assert _load_rows(_another_app(tmp_path, "c.db"), 8)[0] != first[0]
