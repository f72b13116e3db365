"""Accounts: creation, passwords, and logins slowed down after repeated failures."""
import functools
from datetime import timedelta

from flask_babel import gettext as _
from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..choices import PLACE_KINDS, ROLE_PLACE, ROLES
from ..db import database
from ..models import LoginFailure, School, Township, User, Village, utcnow
from . import ValidationError, audit

MIN_PASSWORD_LENGTH = 8
PLACE_MODELS = {"township": Township, "school": School, "village": Village}
# Columns an audit entry of an account leaves out.
SECRET_FIELDS = ("password_hash",)


@functools.cache
def _dummy_hash():
    return generate_password_hash("not a password")


def _resolve_place(role, places):
    """The place an account of this role is bound to, looked up by name."""
    kind = ROLE_PLACE.get(role)
    if kind is None:
        return {}
    name = (places.get(kind) or "").strip()
    if not name:
        raise ValidationError({kind: _("A %(role)s account needs a %(place)s.", role=ROLES[role], place=PLACE_KINDS[kind])})
    model = PLACE_MODELS[kind]
    found = model.select().where(model.name == name).first()
    if found is None:
        raise ValidationError({kind: _("Unknown %(place)s: %(name)s", place=PLACE_KINDS[kind], name=name)})
    return {kind: found}


def create_user(actor, username, password, role, full_name="", **places):
    """Create an account; `places` names its township, school or village by name."""
    username = (username or "").strip()
    errors = {}
    if not username:
        errors["username"] = _("Enter a user name.")
    if role not in ROLES:
        errors["role"] = _("Unknown role: %(role)s", role=role)
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if errors:
        raise ValidationError(errors)
    bound = _resolve_place(role, places)
    try:
        with database.atomic():
            user = User.create(
                username=username,
                password_hash=generate_password_hash(password),
                full_name=full_name,
                role=role,
                **bound,
            )
            audit.record(actor, "create", "user", user.id, after=audit.snapshot(user, SECRET_FIELDS))
    except IntegrityError:
        raise ValidationError({"username": _("The user name %(name)s is taken.", name=username)}) from None
    return user


def set_active(actor, user, is_active):
    """Enable or disable an account; a disabled account loses access at its next request."""
    with database.atomic():
        before = audit.snapshot(user, SECRET_FIELDS)
        user.is_active = is_active
        user.save()
        audit.record(actor, "update", "user", user.id, before=before, after=audit.snapshot(user, SECRET_FIELDS))


def set_password(actor, user, password):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError({"password": _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)})
    with database.atomic():
        user.password_hash = generate_password_hash(password)
        user.save()
        audit.record(actor, "update", "user", user.id, reason="password changed")


def throttle_wait(username, now, max_failures, lockout_seconds):
    """Seconds to wait before this user name may try again (0 when it may now).

    After `max_failures` failures in a row, each further failure doubles the wait,
    up to 15 minutes. Counted in the database so every worker process agrees.
    """
    window_start = now - timedelta(hours=1)
    failures = (
        LoginFailure.select(LoginFailure.at)
        .where((LoginFailure.key == username.lower()) & (LoginFailure.at > window_start))
        .order_by(LoginFailure.at.desc())
    )
    count = failures.count()
    if count < max_failures:
        return 0
    wait = min(lockout_seconds * 2 ** (count - max_failures), 15 * 60)
    remaining = wait - (now - failures.first().at).total_seconds()
    return max(0, int(remaining + 0.999))


def authenticate(username, password, now=None, max_failures=5, lockout_seconds=60):
    """(user, None) on success, (None, message) otherwise; failures are counted."""
    now = now or utcnow()
    username = (username or "").strip()
    wait = throttle_wait(username, now, max_failures, lockout_seconds)
    if wait:
        return None, _("Too many failed attempts. Try again in %(s)d seconds.", s=wait)
    user = User.get_or_none(User.username == username)
    # Check a hash even for an unknown name, so timing does not reveal which names exist.
    stored = user.password_hash if user is not None else _dummy_hash()
    if not check_password_hash(stored, password or "") or user is None:
        LoginFailure.create(key=username.lower(), at=now)
        return None, _("Wrong user name or password.")
    if not user.is_active:
        return None, _("This account is disabled.")
    with database.atomic():
        LoginFailure.delete().where(LoginFailure.key == username.lower()).execute()
        user.last_login_at = now
        user.save(only=[User.last_login_at])
    return user, None
