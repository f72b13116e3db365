"""The child_change trigger dates a change by child.status_since whenever the application saved it
with the change (updated_at moves with every save the application makes), even when that day equals
the previous change's; a bare UPDATE from outside the application falls back to the database's date."""

SQLITE = """CREATE TRIGGER child_change_history AFTER UPDATE OF status, school_id, village_id ON child
    WHEN OLD.status IS NOT NEW.status OR OLD.school_id IS NOT NEW.school_id OR OLD.village_id IS NOT NEW.village_id
    BEGIN
        INSERT INTO child_change (child_id, changed_on, old_status, new_status, old_school_id, new_school_id,
                                  old_village_id, new_village_id, at)
        VALUES (NEW.id,
                CASE WHEN NEW.status_since IS NOT NULL AND (NEW.status_since IS NOT OLD.status_since
                                                            OR NEW.updated_at IS NOT OLD.updated_at)
                     THEN NEW.status_since ELSE date('now') END,
                OLD.status, NEW.status, OLD.school_id, NEW.school_id, OLD.village_id, NEW.village_id,
                datetime('now'));
    END"""

POSTGRES = """CREATE OR REPLACE FUNCTION child_change_history() RETURNS trigger AS $$
    BEGIN
        IF OLD.status IS DISTINCT FROM NEW.status OR OLD.school_id IS DISTINCT FROM NEW.school_id
           OR OLD.village_id IS DISTINCT FROM NEW.village_id THEN
            INSERT INTO child_change (child_id, changed_on, old_status, new_status, old_school_id, new_school_id,
                                      old_village_id, new_village_id, at)
            VALUES (NEW.id,
                    CASE WHEN NEW.status_since IS NOT NULL AND (NEW.status_since IS DISTINCT FROM OLD.status_since
                                                                OR NEW.updated_at IS DISTINCT FROM OLD.updated_at)
                         THEN NEW.status_since ELSE CURRENT_DATE END,
                    OLD.status, NEW.status, OLD.school_id, NEW.school_id, OLD.village_id, NEW.village_id,
                    timezone('utc', now()));
        END IF;
        RETURN NEW;
    END; $$ LANGUAGE plpgsql"""


def up(run, dialect):
    if dialect == "postgres":
        run(POSTGRES)
    else:
        run("DROP TRIGGER child_change_history")
        run(SQLITE)
