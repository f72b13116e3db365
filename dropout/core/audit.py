"""The audit trail: who changed what, when, before and after. Written here, never edited."""

import json
from datetime import date, datetime

from peewee import JOIN
from playhouse.shortcuts import model_to_dict

from ..models import AuditLog, School, User, Village, utcnow

# Foreign keys a snapshot records as ids, shown by name in a child's history.
REFERENCES = {"village": Village, "school": School, "responsible_teacher": User}
# Snapshot keys that say nothing to a reader.
UNSHOWN = ("id", "child")


def snapshot(instance, exclude=()):
    """A model's columns as a JSON-ready dict (foreign keys as ids)."""
    data = model_to_dict(instance, recurse=False)
    return {key: value for key, value in data.items() if key not in exclude}


def _dump(data):
    if data is None:
        return None

    def default(value):
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        return str(value)

    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=default)


def record(user, action, entity, entity_id, before=None, after=None, child_id=None, reason="", at=None, username=None):
    """Append one entry; call inside the transaction of the change it describes. `username` overrides the
    acting account's name (a login attempt records the name as typed, even when no account has it)."""
    if username is None:
        username = user.username if user is not None else "system"
    return AuditLog.create(
        at=at or utcnow(),
        user=user.id if user is not None else None,
        username=username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        child_id=child_id,
        before=_dump(before),
        after=_dump(after),
        reason=reason,
    )


def changes(entry):
    """[(field, before, after)] for the fields an entry changed."""
    before = json.loads(entry.before) if entry.before else {}
    after = json.loads(entry.after) if entry.after else {}
    fields = sorted((set(before) | set(after)) - set(UNSHOWN))
    return [(f, before.get(f), after.get(f)) for f in fields if before.get(f) != after.get(f)]


def _names(entries_changes):
    """{field: {id: name}} for the referenced ids, one query per referenced table."""
    wanted = {field: set() for field in REFERENCES}
    for _, entry_changes in entries_changes:
        for field, before, after in entry_changes:
            if field in wanted:
                wanted[field].update(value for value in (before, after) if isinstance(value, int))
    names = {}
    for field, ids in wanted.items():
        model = REFERENCES[field]
        names[field] = {row.id: str(row) for row in model.select().where(model.id.in_(list(ids)))} if ids else {}
    return names


def child_timeline(child_id):
    """[(entry, [(field, before, after)])] about a child and its guardians, newest first, each entry with the
    account that acted (in the same query); referenced villages, schools and teachers are given by name."""
    query = (
        AuditLog.select(AuditLog, User)
        .join(User, JOIN.LEFT_OUTER)
        .where(AuditLog.child_id == child_id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
    )
    timeline = [(entry, changes(entry)) for entry in query]
    names = _names(timeline)
    return [
        (entry, [(f, names.get(f, {}).get(b, b), names.get(f, {}).get(a, a)) for f, b, a in entry_changes])
        for entry, entry_changes in timeline
    ]
