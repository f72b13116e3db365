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
        database.execute_sql(
            "INSERT INTO township (name, notice_prefix, created_at) VALUES ('老镇', '老', '2025-01-01 00:00:00')"
        )
        database.execute_sql(
            "INSERT INTO village (township_id, name, created_at) VALUES (1, '老村', '2025-01-01 00:00:00')"
        )
        database.execute_sql(
            "INSERT INTO child (name, sex, id_number, birth_on, village_id, status, created_at, updated_at) "
            "VALUES ('旧档案', 'F', '11010519491231002X', '2015-06-01', 1, 'dropped_out', "
            "'2024-12-31 20:00:00', '2025-01-01 00:00:00')"
        )
        database.execute_sql("INSERT INTO guardian (child_id, name) VALUES (1, '旧监护人')")

        applied = migrate()

        assert applied == [f"{v:04d}_{name}" for v, name, _ in available()[1:]]
        child = Child.get(Child.name == "旧档案")
        assert (child.id_number, child.status, str(child.birth_on)) == (
            "11010519491231002X",
            "dropped_out",
            "2015-06-01",
        )
        assert child.responsible_teacher_id is None  # the column version 2 added
        assert str(child.registered_on) == "2025-01-01"  # version 8: created at 04:00 on 1 January, county time
        assert (child.name_initials, child.id_reversed) == ("jda", "X20013219491501011")  # version 12
        assert [g.name for g in child.guardians] == ["旧监护人"]
        assert SchemaMigration.select().count() == len(available())


def test_notice_numbers_move_into_their_issuers_series(database_url):
    """Version 9 moves each township's notice counter into document_counter and gives each notice its series."""
    from dropout.models import DocumentCounter, ReturnNotice
    from dropout.notices import numbering

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url})
    with app.app_context(), database.connection_context():
        migrate(target=8)
        database.execute_sql(
            "INSERT INTO township (name, notice_prefix, created_at) VALUES ('老镇', '', '2025-01-01 00:00:00')"
        )
        database.execute_sql(
            "INSERT INTO village (township_id, name, created_at) VALUES (1, '老村', '2025-01-01 00:00:00')"
        )
        database.execute_sql(
            "INSERT INTO child (name, sex, birth_on, village_id, status, registered_on, created_at, updated_at) "
            "VALUES ('旧档案', 'F', '2015-06-01', 1, 'dropped_out', '2025-01-01', "
            "'2025-01-01 00:00:00', '2025-01-01 00:00:00')"
        )
        database.execute_sql(
            "INSERT INTO dropout_case (child_id, absent_since, opened_on, status, repeat_count, created_at, "
            "updated_at) VALUES (1, '2025-09-01', '2025-09-02', 'notice_running', 0, "
            "'2025-09-02 00:00:00', '2025-09-02 00:00:00')"
        )
        database.execute_sql("INSERT INTO notice_counter (township_id, year, last) VALUES (1, 2025, 3)")
        database.execute_sql(
            "INSERT INTO return_notice (case_id, township_id, year, seq, number, status, issued_on, deadline_days, "
            "data, verify_code, created_at) VALUES (1, 1, 2025, 3, '老镇控辍通〔2025〕3号', 'issued', "
            "'2025-09-20', 7, '{}', 'ABCD-EFGH', '2025-09-20 00:00:00')"
        )
        migrate()
        assert [(c.series, c.year, c.last) for c in DocumentCounter.select()] == [("notice:township:1", 2025, 3)]
        notice = ReturnNotice.get()
        assert (notice.issuer, notice.series, notice.number) == (
            "township",
            "notice:township:1",
            "老镇控辍通〔2025〕3号",
        )
        # The series goes on from the number it had reached.
        with database.atomic():
            assert numbering.next_number("notice:township:1", 2025) == 4


def test_running_twice_changes_nothing(app, runner):
    with database.connection_context():
        before = SchemaMigration.select().count()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert "up to date" in result.output
    with database.connection_context():
        assert SchemaMigration.select().count() == before
