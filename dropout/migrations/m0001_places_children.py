"""Townships, villages, schools, children and their guardians."""


def up(run, dialect):
    run("""CREATE TABLE township (
        id {pk},
        name VARCHAR(255) NOT NULL UNIQUE,
        notice_prefix VARCHAR(255) NOT NULL DEFAULT '',
        created_at {ts} NOT NULL)""")
    run("""CREATE TABLE village (
        id {pk},
        township_id INTEGER NOT NULL REFERENCES township (id) ON DELETE RESTRICT,
        name VARCHAR(255) NOT NULL,
        created_at {ts} NOT NULL)""")
    run("CREATE UNIQUE INDEX village_township_id_name ON village (township_id, name)")
    run("""CREATE TABLE school (
        id {pk},
        township_id INTEGER NOT NULL REFERENCES township (id) ON DELETE RESTRICT,
        name VARCHAR(255) NOT NULL UNIQUE,
        kind VARCHAR(255) NOT NULL,
        created_at {ts} NOT NULL)""")
    run("CREATE INDEX school_township_id ON school (township_id)")
    run("""CREATE TABLE child (
        id {pk},
        name VARCHAR(255) NOT NULL,
        sex VARCHAR(1) NOT NULL,
        id_number VARCHAR(18) UNIQUE,
        birth_on DATE NOT NULL,
        ethnicity VARCHAR(255) NOT NULL DEFAULT '',
        village_id INTEGER NOT NULL REFERENCES village (id) ON DELETE RESTRICT,
        village_group VARCHAR(255) NOT NULL DEFAULT '',
        address VARCHAR(255) NOT NULL DEFAULT '',
        school_id INTEGER REFERENCES school (id) ON DELETE RESTRICT,
        grade INTEGER,
        student_number VARCHAR(255),
        status VARCHAR(255) NOT NULL DEFAULT 'enrolled',
        is_poor BOOLEAN NOT NULL DEFAULT FALSE,
        is_left_behind BOOLEAN NOT NULL DEFAULT FALSE,
        is_migrant BOOLEAN NOT NULL DEFAULT FALSE,
        disability_category VARCHAR(255),
        disability_grade INTEGER,
        is_orphan BOOLEAN NOT NULL DEFAULT FALSE,
        notes TEXT NOT NULL DEFAULT '',
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL)""")
    for column in ("name", "birth_on", "village_id", "school_id", "student_number", "status"):
        run(f"CREATE INDEX child_{column} ON child ({column})")
    run("""CREATE TABLE guardian (
        id {pk},
        child_id INTEGER NOT NULL REFERENCES child (id) ON DELETE CASCADE,
        name VARCHAR(255) NOT NULL,
        relation VARCHAR(255) NOT NULL DEFAULT '',
        phone VARCHAR(255) NOT NULL DEFAULT '',
        id_number VARCHAR(18))""")
    run("CREATE INDEX guardian_child_id ON guardian (child_id)")
