"""Numbered migrations upgrade a database that already holds children, and run twice safely."""
from dropout import create_app
from dropout.db import database
from dropout.migrations import available, migrate
from dropout.models import Child, SchemaMigration


def test_migrations_are_numbered_without_gaps():
    versions = [version for version, _, _ in available()]
    assert versions == list(range(1, len(versions) + 1))


def test_upgrading_a_database_that_holds_children_keeps_them(database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url})
    with app.app_context(), database.connection_context():
        assert migrate(target=1) == ["0001_places_children"]
        # Rows written the way the version-1 schema knew them, before the accounts existed.
        database.execute_sql("INSERT INTO township (name, notice_prefix, created_at) VALUES ('老镇', '老', '2025-01-01 00:00:00')")
        database.execute_sql("INSERT INTO village (township_id, name, created_at) VALUES (1, '老村', '2025-01-01 00:00:00')")
        database.execute_sql(
            "INSERT INTO child (name, sex, id_number, birth_on, village_id, status, created_at, updated_at) "
            "VALUES ('旧档案', 'F', '11010519491231002X', '2015-06-01', 1, 'dropped_out', '2024-12-31 20:00:00', '2025-01-01 00:00:00')"
        )
        database.execute_sql("INSERT INTO guardian (child_id, name) VALUES (1, '旧监护人')")

        applied = migrate()

        assert applied == [f"{v:04d}_{name}" for v, name, _ in available()[1:]]
        child = Child.get(Child.name == "旧档案")
        assert (child.id_number, child.status, str(child.birth_on)) == ("11010519491231002X", "dropped_out", "2015-06-01")
        assert child.responsible_teacher_id is None  # the column version 2 added
        assert str(child.registered_on) == "2025-01-01"  # version 8: created at 04:00 on 1 January, county time
        assert [g.name for g in child.guardians] == ["旧监护人"]
        assert SchemaMigration.select().count() == len(available())


def test_running_twice_changes_nothing(app, runner):
    with database.connection_context():
        before = SchemaMigration.select().count()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "up to date" in result.output
    with database.connection_context():
        assert SchemaMigration.select().count() == before
