"""销号 with sign-off: a closure is a request the case's two responsible persons sign and the township approves."""


def up(run, dialect):
    run("""CREATE TABLE closure_request (
        id {pk},
        case_id INTEGER NOT NULL REFERENCES dropout_case (id) ON DELETE CASCADE,
        closure VARCHAR(16) NOT NULL,
        closes_on DATE NOT NULL,
        proof TEXT NOT NULL,
        scan_path VARCHAR(255),
        status VARCHAR(16) NOT NULL,
        requested_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        requested_at {ts} NOT NULL,
        cadre_signed_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        cadre_signed_at {ts},
        teacher_signed_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        teacher_signed_at {ts},
        decided_by_id INTEGER REFERENCES app_user (id) ON DELETE RESTRICT,
        decided_at {ts},
        refusal TEXT NOT NULL)""")
    run("CREATE INDEX closure_request_case_id ON closure_request (case_id)")
    run("CREATE INDEX closure_request_status ON closure_request (status)")
