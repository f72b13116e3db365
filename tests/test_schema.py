"""The migrated schema is the models' schema: tables, columns (type, nullability), primary keys, indexes (with
their uniqueness), foreign keys (with ON DELETE) and the triggers the migrations create, on SQLite and on
PostgreSQL alike.

Two databases are compared: one built by the migrations, one built by peewee's create_tables() from every
model in dropout/models.py. Both are read back from the database's own catalogue (PRAGMAs, pg_catalog), so
each side is compared in the form that database gives it; only spellings that mean the same there are
normalised (on SQLite BOOLEAN and INTEGER, DOUBLE PRECISION and REAL). Not compared: column defaults (the
models' defaults live in Python; the migrations also give some columns SQL defaults), index and constraint
names, and SQLite's AUTOINCREMENT."""

from contextlib import contextmanager

import pytest
from conftest import on_postgres, postgres_database
from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField

from dropout import models
from dropout.db import database, open_database
from dropout.migrations import migrate

ALL_MODELS = sorted(
    (
        m
        for m in vars(models).values()
        if isinstance(m, type) and issubclass(m, models.BaseModel) and m is not models.BaseModel
    ),
    key=lambda m: m._meta.table_name,
)

# The triggers the migrations create and the app relies on (table, trigger): audit_log is append-only
# (migration 0002) and child_change keeps every change of a child's status, school or village (0005, 0007).
TRIGGERS = {
    "sqlite": {
        ("audit_log", "audit_log_no_UPDATE"),
        ("audit_log", "audit_log_no_DELETE"),
        ("child", "child_change_history"),
    },
    "postgres": {("audit_log", "audit_log_append_only"), ("child", "child_change_history")},
}

SQLITE_SAME_TYPES = {
    "BOOLEAN": "INTEGER",
    "BOOL": "INTEGER",
    "DOUBLE PRECISION": "REAL",
    "DOUBLE": "REAL",
    "FLOAT": "REAL",
}
SQLITE_ON_DELETE = {
    "NO ACTION": "NO ACTION",
    "RESTRICT": "RESTRICT",
    "CASCADE": "CASCADE",
    "SET NULL": "SET NULL",
    "SET DEFAULT": "SET DEFAULT",
}
POSTGRES_ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def dialect():
    return "postgres" if on_postgres() else "sqlite"


# -- reading a schema ------------------------------------------------------------------------------


def read_schema(db):
    """{table: {"columns": {name: (type, nullable)}, "primary_key": (...), "indexes": [(columns, unique)],
    "foreign_keys": [(columns, table, columns, on_delete)], "triggers": {name}}} of an open database."""
    return read_postgres(db) if on_postgres() else read_sqlite(db)


def _table(schema, name):
    return schema.setdefault(
        name, {"columns": {}, "primary_key": (), "indexes": [], "foreign_keys": [], "triggers": set()}
    )


def read_sqlite(db):
    schema = {}
    rows = db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    for (name,) in rows.fetchall():
        table = _table(schema, name)
        keys = []
        for _, column, kind, notnull, _, pk in db.execute_sql(f'PRAGMA table_info("{name}")').fetchall():
            kind = kind.upper()
            table["columns"][column] = (SQLITE_SAME_TYPES.get(kind, kind), not notnull)
            if pk:
                keys.append((pk, column))
        table["primary_key"] = tuple(column for _, column in sorted(keys))
        for _, index, unique, origin, _ in db.execute_sql(f'PRAGMA index_list("{name}")').fetchall():
            if origin == "pk":
                continue
            columns = tuple(row[2] for row in sorted(db.execute_sql(f'PRAGMA index_info("{index}")').fetchall()))
            table["indexes"].append((columns, bool(unique)))
        references = {}
        for fk_id, seq, other, column, to, _, on_delete, _ in db.execute_sql(
            f'PRAGMA foreign_key_list("{name}")'
        ).fetchall():
            references.setdefault(fk_id, []).append((seq, column, other, to, SQLITE_ON_DELETE[on_delete.upper()]))
        for parts in references.values():
            parts.sort()
            other, on_delete = parts[0][2], parts[0][4]
            to = tuple(part[3] or "id" for part in parts)
            table["foreign_keys"].append((tuple(part[1] for part in parts), other, to, on_delete))
    for table, trigger in db.execute_sql("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        _table(schema, table)["triggers"].add(trigger)
    return schema


def read_postgres(db):
    schema = {}
    for (name,) in db.execute_sql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall():
        _table(schema, name)
    columns = db.execute_sql("""
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = current_schema() AND a.attnum > 0 AND NOT a.attisdropped""")
    for table, column, kind, notnull in columns.fetchall():
        _table(schema, table)["columns"][column] = (kind, not notnull)
    indexes = db.execute_sql("""
        SELECT t.relname, ix.indisprimary, ix.indisunique,
               array_agg(a.attname::text ORDER BY k.ord)
        FROM pg_index ix
        JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        CROSS JOIN LATERAL unnest(ix.indkey::smallint[]) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE n.nspname = current_schema()
        GROUP BY ix.indexrelid, t.relname, ix.indisprimary, ix.indisunique""")
    for table, primary, unique, names in indexes.fetchall():
        if primary:
            _table(schema, table)["primary_key"] = tuple(names)
        else:
            _table(schema, table)["indexes"].append((tuple(names), unique))
    keys = db.execute_sql("""
        SELECT t.relname, r.relname, con.confdeltype,
               ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o),
               ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)
        FROM pg_constraint con
        JOIN pg_class t ON t.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE con.contype = 'f' AND n.nspname = current_schema()""")
    for table, other, on_delete, columns, to in keys.fetchall():
        _table(schema, table)["foreign_keys"].append((tuple(columns), other, tuple(to), POSTGRES_ON_DELETE[on_delete]))
    triggers = db.execute_sql("""
        SELECT c.relname, tg.tgname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT tg.tgisinternal AND n.nspname = current_schema()""")
    for table, trigger in triggers.fetchall():
        _table(schema, table)["triggers"].add(trigger)
    return schema


# -- comparing two schemas -------------------------------------------------------------------------


def _show(items):
    return ", ".join(sorted(map(str, items))) or "none"


def differences(migrated, modelled, tables=None, triggers=None):
    """Readable differences between the migrated schema and the models' (limited to `tables` when given);
    `triggers` {(table, name)} are the triggers the migrated schema must have (the models declare none)."""
    found = []
    names = set(migrated) | set(modelled) if tables is None else set(tables)
    for name in sorted(names):
        if name not in modelled:
            found.append(f"table {name}: made by the migrations, no model has it")
            continue
        if name not in migrated:
            found.append(f"table {name}: a model has it, the migrations do not make it")
            continue
        ours, theirs = migrated[name], modelled[name]
        for column in sorted(set(ours["columns"]) | set(theirs["columns"])):
            if column not in theirs["columns"]:
                found.append(f"{name}.{column}: a column the migrations make, not in the model")
            elif column not in ours["columns"]:
                found.append(f"{name}.{column}: in the model, the migrations do not make it")
            else:
                (kind, null), (model_kind, model_null) = ours["columns"][column], theirs["columns"][column]
                if kind != model_kind:
                    found.append(f"{name}.{column}: type {kind} from the migrations, {model_kind} from the model")
                if null != model_null:
                    found.append(
                        f"{name}.{column}: {'NULL' if null else 'NOT NULL'} from the migrations, "
                        f"{'NULL' if model_null else 'NOT NULL'} from the model"
                    )
        if ours["primary_key"] != theirs["primary_key"]:
            found.append(
                f"{name}: primary key {ours['primary_key']} from the migrations, {theirs['primary_key']} from the model"
            )
        for what, label in (("indexes", "index (columns, unique)"), ("foreign_keys", "foreign key")):
            extra = sorted(set(ours[what]) - set(theirs[what]))
            missing = sorted(set(theirs[what]) - set(ours[what]))
            if extra:
                found.append(f"{name}: {label} only from the migrations: {_show(extra)}")
            if missing:
                found.append(f"{name}: {label} only from the model: {_show(missing)}")
    for table, trigger in sorted(triggers or ()):
        if trigger not in migrated.get(table, {}).get("triggers", ()):
            found.append(f"{table}: trigger {trigger} missing")
    for table in sorted(names & set(migrated)):
        for trigger in sorted(migrated[table]["triggers"] - {t for tb, t in triggers or () if tb == table}):
            found.append(f"{table}: trigger {trigger} made by the migrations, not listed in TRIGGERS")
    return found


# -- the two databases -----------------------------------------------------------------------------


@contextmanager
def empty_database(tmp_path, name):
    """A new, empty database's URL (a SQLite file, or a database on the test PostgreSQL server)."""
    if on_postgres():
        with postgres_database(name) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / (name + '.db')}"


@contextmanager
def opened(url):
    db = open_database(url)
    db.connect()
    try:
        yield db
    finally:
        db.close()


def migrated_schema(url):
    database.initialize(open_database(url))
    with database.connection_context():
        migrate()
    with opened(url) as db:
        return read_schema(db)


def modelled_schema(url, model_list):
    with opened(url) as db:
        with db.bind_ctx(model_list):
            db.create_tables(model_list)
        return read_schema(db)


@pytest.fixture
def migrated(database_url):
    """The schema every migration makes, on an empty database."""
    return migrated_schema(database_url)


# -- the guard -------------------------------------------------------------------------------------


def test_the_migrations_make_the_models_schema(migrated, tmp_path):
    with empty_database(tmp_path, "models") as url:
        modelled = modelled_schema(url, ALL_MODELS)
    found = differences(migrated, modelled, triggers=TRIGGERS[dialect()])
    assert not found, f"{len(found)} differences between the migrations and dropout/models.py:\n" + "\n".join(found)


def test_every_model_is_compared():
    assert {models.SchemaMigration, models.ChildChange, models.JobClaim, models.User} <= set(ALL_MODELS)
    assert len({m._meta.table_name for m in ALL_MODELS}) == len(ALL_MODELS) > 25


def test_the_guard_sees_models_that_differ(migrated, tmp_path):
    """Throwaway township and village models that differ from the migrations: a nullable name, an extra column,
    a plain index for a unique one, a TEXT name, a foreign key that cascades, no (township, name) unique index.
    Each difference is reported."""

    class Township(Model):
        name = CharField(null=True, index=True)
        notice_prefix = CharField()
        created_at = DateTimeField()
        motto = TextField(null=True)

        class Meta:
            table_name = "township"

    class Village(Model):
        township = ForeignKeyField(Township, on_delete="CASCADE")
        name = TextField()
        created_at = DateTimeField()

        class Meta:
            table_name = "village"

    with empty_database(tmp_path, "altered") as url:
        modelled = modelled_schema(url, [Township, Village])
    found = differences(migrated, modelled, tables=["township", "village"])
    expected = [
        "township.name: NOT NULL from the migrations, NULL from the model",
        "township.motto: in the model, the migrations do not make it",
        "township: index (columns, unique) only from the migrations: (('name',), True)",
        "township: index (columns, unique) only from the model: (('name',), False)",
        "village: index (columns, unique) only from the migrations: (('township_id', 'name'), True)",
        "village: index (columns, unique) only from the model: (('township_id',), False)",
        "village: foreign key only from the migrations: (('township_id',), 'township', ('id',), 'RESTRICT')",
        "village: foreign key only from the model: (('township_id',), 'township', ('id',), 'CASCADE')",
    ]
    assert set(expected) <= set(found), found
    (text,) = [line for line in found if line not in expected]
    assert text.startswith("village.name: type ") and text.lower().endswith("text from the model"), text


def test_the_guard_sees_a_missing_trigger_and_table(migrated):
    """Against a schema without audit_log's triggers or the child_change table, both are reported."""
    stripped = {name: dict(table) for name, table in migrated.items() if name != "child_change"}
    stripped["audit_log"]["triggers"] = set()
    found = differences(stripped, migrated, triggers=TRIGGERS[dialect()])
    assert "table child_change: a model has it, the migrations do not make it" in found
    assert any(line.startswith("audit_log: trigger audit_log_") and line.endswith(" missing") for line in found)
