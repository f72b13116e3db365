"""Fixtures: an app on a fresh database per test, places and people as factories.

The migrations run once per session (once per xdist worker) into a template database; each test that uses
`app` gets a copy of it: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL."""

import itertools
import os
import re
import shutil
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
from werkzeug.security import generate_password_hash

from dropout import clock, create_app
from dropout.db import database
from dropout.migrations import migrate
from dropout.models import Child, Guardian, School, Township, User, Village
from dropout.rules import id_number
from dropout.rules.school_age import school_year

# The browser tests' fixtures (gunicorn serving a demo county, one Chromium): tests/browser.py.
pytest_plugins = ["browser"]

PASSWORD = "correct horse"
TODAY = date(2026, 11, 22)
# The indicators' thresholds (percentages) the indicator and summary tests hold a county to.
THRESHOLDS = {
    "enrolment": 99.0,
    "enrolment_primary": 99.0,
    "enrolment_junior": 95.0,
    "dropout_primary": 1.0,
    "dropout_primary_net": 1.0,
    "dropout_junior": 3.0,
    "dropout_junior_net": 3.0,
    "disabled": 97.0,
    "retention": 95.0,
}
# Hashing is slow on purpose; every test account shares one hash.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


POSTGRES = os.environ.get("DROPOUT_TEST_POSTGRES")  # set by scripts/with-postgres

# Under `coverage run` with patch = subprocess (./scripts/test's SQLite pass) every pytest process is measured:
# the controller and each xdist worker. The flask and gunicorn processes the tests start are not (their code is
# measured in-process elsewhere): tracing them made those tests more than half as slow again.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COVERAGE_PROCESS_CONFIG", None)


def on_postgres():
    return bool(POSTGRES)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (--dist loadgroup), the tests that share a module-scoped fixture (a big county loaded
    once, a server) run in one worker, so the fixture is built once, not once per worker."""
    if config.getoption("dist", "no") != "loadgroup":
        return
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        shared = sorted(
            f"{item.module.__name__}::{name}"
            for name, defs in (info.name2fixturedefs.items() if info else ())
            if defs and defs[-1].scope in ("module", "package", "class")
        )
        if shared:
            item.add_marker(pytest.mark.xdist_group(shared[0]))


@contextmanager
def postgres_database(prefix, template=None):
    """A new database on the test PostgreSQL server (a copy of `template`, if named), dropped afterwards; its URL."""
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(POSTGRES)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        if not database.is_closed():
            database.close()
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


def _migrate_into(url):
    """Apply every migration to the database at `url`, then close it (SQLite: with the WAL folded into the file)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "template", "DATABASE_URL": url})
    with app.app_context(), database.connection_context():
        migrate()
        if not POSTGRES:
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    if not database.is_closed():
        database.close()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """The migrated schema, built once per session (per xdist worker): a SQLite file, or a PostgreSQL database
    no one stays connected to (CREATE DATABASE ... TEMPLATE needs that); its URL."""
    if not POSTGRES:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
        _migrate_into(url)
        yield url
        return
    with postgres_database("template") as url:
        _migrate_into(url)
        yield url


@pytest.fixture
def database_url(request, tmp_path):
    """The test's database: a copy of the migrated template when the test uses `app` (directly or through
    another fixture), else an empty one (a SQLite file, or a new database on the test PostgreSQL server),
    for tests that run the migrations themselves."""
    template = request.getfixturevalue("migrated_template") if "app" in request.fixturenames else None
    if not POSTGRES:
        path = tmp_path / "test.db"
        if template:
            shutil.copyfile(template[len("sqlite:///") :], path)
        yield f"sqlite:///{path}"
        return
    with postgres_database("test", template=template and template.rsplit("/", 1)[1]) as url:
        yield url


def app_settings(tmp_path, database_url):
    """A test app's settings: the test's database, reports and uploads in the test's folder."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test secret",
        "DATABASE_URL": database_url,
        "REPORTS_DIR": str(tmp_path / "reports"),
        "UPLOADS_DIR": str(tmp_path / "uploads"),
        "TASKS_DIR": str(tmp_path / "tasks"),
        "TASK_IMMEDIATE": 1,  # background tasks run inside the request (tests/test_tasks.py runs a real worker)
    }


@pytest.fixture
def app(tmp_path, database_url):
    """The app on this test's database, a copy of the migrated template."""
    app = create_app(app_settings(tmp_path, database_url))
    yield app
    if not database.is_closed():
        database.close()


@pytest.fixture
def db(app):
    """An open connection inside an app context, for tests that call services directly."""
    with app.test_request_context(), database.connection_context():
        yield database


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


@pytest.fixture
def make_township(app):
    def make(name=None, **kw):
        with database.connection_context():
            return Township.create(
                name=name or f"测试镇{next(_counter)}", notice_prefix=kw.pop("notice_prefix", "测"), **kw
            )

    return make


@pytest.fixture
def make_village(app, make_township):
    def make(township=None, name=None):
        with database.connection_context():
            return Village.create(township=township or make_township(), name=name or f"测试村{next(_counter)}")

    return make


@pytest.fixture
def make_school(app, make_township):
    def make(township=None, name=None, kind="primary"):
        with database.connection_context():
            return School.create(
                township=township or make_township(), name=name or f"测试学校{next(_counter)}", kind=kind
            )

    return make


@pytest.fixture
def make_user(app):
    def make(role="admin", username=None, **places):
        with database.connection_context():
            return User.create(
                username=username or f"{role}{next(_counter)}", password_hash=PASSWORD_HASH, role=role, **places
            )

    return make


def born_aged(age, month=3, day=14):
    """A birth date of a child whose school age is `age` this school year (for page tests on today's date)."""
    return date(school_year(clock.today()) - age, month, day)


def valid_id(birth_on=date(2015, 3, 14), sex="M", area="513401"):
    """A valid ID number, unique per call."""
    sequence = next(_counter) % 500 * 2 + (1 if sex == "M" else 0)
    return id_number.make(area, birth_on, sequence)


def roster_cells(born, **values):
    """A roster row as {field: cell}: a boy born on `born`, of 城关镇 东街社区 at 城关镇中心小学 in grade 5, his sex and
    birth date left to his ID number, unless told otherwise."""
    cells = dict(
        name="陈小明",
        sex="",
        id_number=valid_id(born, "M"),
        birth_on="",
        ethnicity="汉族",
        township="城关镇",
        village="东街社区",
        group="3组",
        address="东街12号",
        guardian="陈大海",
        relation="父亲",
        phone="13812345678",
        school="城关镇中心小学",
        grade="5",
        student_number="",
        poor="否",
        left_behind="否",
        migrant="否",
        disability="",
        disability_grade="",
        notes="",
    )
    return {**cells, **values}


@pytest.fixture
def make_child(app, make_village):
    def make(village=None, school=None, birth_on=date(2015, 3, 14), sex="M", with_id=True, **kw):
        with database.connection_context():
            child = Child.create(
                name=kw.pop("name", f"孩子{next(_counter)}"),
                sex=sex,
                birth_on=birth_on,
                id_number=valid_id(birth_on, sex) if with_id else None,
                village=village or make_village(),
                school=school,
                grade=kw.pop("grade", 6 if school else None),
                **kw,
            )
            Guardian.create(child=child, name="家长", relation="父亲", phone="13800000000")
            return child

    return make


def move(child, on, **fields):
    """Change a child's status, school or village from a given day, as the services do (dated history)."""
    child = Child.get_by_id(child.id)
    for name, value in fields.items():
        setattr(child, name, value)
    child.status_since = on
    child.save()


def csrf_token(client, url="/login"):
    """The CSRF token a page's form carries, as a browser would read it."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def run_task(client, url, data=None, form_url=None):
    """Start a background task as a browser does (POST `url` with the CSRF token of `form_url`, default `url`)
    and return its page's URL; the tests run tasks inside the request (TASK_IMMEDIATE), so it has ended."""
    token = csrf_token(client, form_url or url)
    response = client.post(url, data={**(data or {}), "csrf_token": token})
    assert response.status_code == 302 and "/tasks/" in response.location, response.get_data(as_text=True)[:500]
    return response.location


def task_result(client, url, data=None, form_url=None):
    """The download of the task `url` starts (see run_task), which must have finished with a file."""
    page = run_task(client, url, data, form_url)
    state = client.get(page + ".json").get_json()
    assert state["status"] == "done" and state["download"], state
    return client.get(state["download"])


def login(client, user, password=PASSWORD):
    response = client.post(
        "/login", data={"username": user.username, "password": password, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def child_form(child, **changes):
    """A child's values as its edit form sends them (every field as stored), with some changed."""
    from dropout.forms import CHILD_FIELDS

    data = {}
    for name in CHILD_FIELDS:
        value = child.__data__.get(name)
        data[name] = value if isinstance(value, bool) else "" if value is None else str(value)
    data.update(changes)
    return data
