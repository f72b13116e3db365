"""When a notice was first printed (return_notice.printed_at, UTC), so that the notices in force not yet printed
are one click away and each notice's page says when its copy was printed.

A notice already served was printed before it was served: it takes the time it was issued, the earliest it can
have been printed (its page shows the day only). A notice not yet served stays unprinted, so it is offered for
printing again rather than missed."""


def up(run, dialect):
    run("ALTER TABLE return_notice ADD COLUMN printed_at {ts}")
    run("UPDATE return_notice SET printed_at = created_at WHERE served_on IS NOT NULL")
