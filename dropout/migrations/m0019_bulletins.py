"""通报 and 督办函: the bureau's monthly bulletin from a locked month, and a numbered letter to each lagging unit,
tracked until its rectification is accepted."""


def up(run, dialect):
    run("""CREATE TABLE bulletin (
        id {pk},
        month VARCHAR(7) NOT NULL,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        number VARCHAR(255) NOT NULL,
        issued_on DATE NOT NULL,
        rectify_by DATE NOT NULL,
        data TEXT NOT NULL,
        pdf_path VARCHAR(255),
        sha256 VARCHAR(64) NOT NULL,
        issued_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        created_at {ts} NOT NULL)""")
    run("CREATE UNIQUE INDEX bulletin_month ON bulletin (month)")
    run("""CREATE TABLE supervision_letter (
        id {pk},
        bulletin_id INTEGER NOT NULL REFERENCES bulletin (id) ON DELETE RESTRICT,
        unit_kind VARCHAR(16) NOT NULL,
        unit_id INTEGER NOT NULL,
        township_id INTEGER NOT NULL REFERENCES township (id) ON DELETE RESTRICT,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        number VARCHAR(255) NOT NULL,
        issues TEXT NOT NULL,
        due_on DATE NOT NULL,
        status VARCHAR(16) NOT NULL,
        answer TEXT NOT NULL,
        answer_scan_path VARCHAR(255),
        answered_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        answered_at {ts},
        decided_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        decided_at {ts},
        return_reason TEXT NOT NULL,
        pdf_path VARCHAR(255),
        created_at {ts} NOT NULL)""")
    run("CREATE INDEX supervision_letter_bulletin_id ON supervision_letter (bulletin_id)")
    run(
        "CREATE UNIQUE INDEX supervision_letter_bulletin_id_unit_kind_unit_id "
        "ON supervision_letter (bulletin_id, unit_kind, unit_id)"
    )
    run("CREATE INDEX supervision_letter_township_id ON supervision_letter (township_id)")
    run("CREATE INDEX supervision_letter_status ON supervision_letter (status)")
