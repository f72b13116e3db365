"""The audit trail: who changed what, when, before and after. Written here, never edited."""
import json
from datetime import date, datetime

from playhouse.shortcuts import model_to_dict

from ..models import AuditLog, utcnow


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


def record(user, action, entity, entity_id, before=None, after=None, child_id=None, reason="", at=None):
    """Append one entry; call inside the transaction of the change it describes."""
    return AuditLog.create(
        at=at or utcnow(),
        user=user.id if user is not None else None,
        username=user.username if user is not None else "system",
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
    fields = sorted(set(before) | set(after))
    return [(f, before.get(f), after.get(f)) for f in fields if before.get(f) != after.get(f)]


def child_timeline(child_id):
    """Every audit entry about a child and its guardians, newest first."""
    return AuditLog.select().where(AuditLog.child_id == child_id).order_by(AuditLog.at.desc(), AuditLog.id.desc())
