"""A stable return now closes only by an approved closure request (销号 with sign-off): the last follow-up visit
no longer closes the case by itself. A case closed that way before keeps its closure: it gets the 'closed' step
the rules now read, on its last follow-up's day, recorded by the same person at the same time, so that its
status, closure date and figures stay as they were."""

# Braces doubled: run() fills in the dialect's types with str.format.
LEGACY = '{{"closure": "stable_return", "after": "last follow-up"}}'


def up(run, dialect):
    last_visit = (
        "(SELECT e.{column} FROM case_event e WHERE e.case_id = c.id AND e.kind = 'visit' "
        "ORDER BY e.happened_on DESC, e.id DESC LIMIT 1)"
    )
    run(
        "INSERT INTO case_event (case_id, kind, happened_on, at, user_id, visit_id, data, notes) "
        f"SELECT c.id, 'closed', {last_visit.format(column='happened_on')}, {last_visit.format(column='at')}, "
        f"{last_visit.format(column='user_id')}, NULL, '{LEGACY}', '' "
        "FROM dropout_case c WHERE c.status = 'closed' AND c.closed_kind = 'stable_return' "
        "AND EXISTS (SELECT 1 FROM case_event v WHERE v.case_id = c.id AND v.kind = 'visit')"
    )
