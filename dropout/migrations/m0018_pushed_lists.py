"""核查: the suspected-dropout lists the national platform pushes down, each row matched and verified."""


def up(run, dialect):
    run("""CREATE TABLE pushed_list (
        id {pk},
        title VARCHAR(255) NOT NULL,
        file_name VARCHAR(255) NOT NULL,
        sha256 VARCHAR(64) NOT NULL,
        headers TEXT NOT NULL,
        township_id INTEGER REFERENCES township (id) ON DELETE RESTRICT,
        due_on DATE NOT NULL,
        row_count INTEGER NOT NULL,
        uploaded_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        uploaded_at {ts} NOT NULL)""")
    run("CREATE UNIQUE INDEX pushed_list_sha256 ON pushed_list (sha256)")
    run("CREATE INDEX pushed_list_township_id ON pushed_list (township_id)")
    run("""CREATE TABLE pushed_row (
        id {pk},
        pushed_list_id INTEGER NOT NULL REFERENCES pushed_list (id) ON DELETE CASCADE,
        row_number INTEGER NOT NULL,
        cells TEXT NOT NULL,
        id_number VARCHAR(18),
        student_number VARCHAR(255),
        name VARCHAR(255) NOT NULL,
        birth_on DATE,
        child_id INTEGER REFERENCES child (id) ON DELETE SET NULL,
        matched_by VARCHAR(16),
        township_id INTEGER REFERENCES township (id) ON DELETE RESTRICT,
        result VARCHAR(16),
        transfer_to VARCHAR(255) NOT NULL,
        note TEXT NOT NULL,
        case_id INTEGER REFERENCES dropout_case (id) ON DELETE SET NULL,
        verified_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        verified_at {ts},
        carried_from_id INTEGER REFERENCES pushed_row (id) ON DELETE SET NULL)""")
    run("CREATE UNIQUE INDEX pushed_row_pushed_list_id_row_number ON pushed_row (pushed_list_id, row_number)")
    run("CREATE INDEX pushed_row_id_number ON pushed_row (id_number)")
    run("CREATE INDEX pushed_row_child_id ON pushed_row (child_id)")
    run("CREATE INDEX pushed_row_township_id ON pushed_row (township_id)")
