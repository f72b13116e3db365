"""Accounts: creation, passwords, and logins slowed down after repeated failures."""
import functools
from datetime import timedelta

from flask_babel import gettext as _
from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..choices import PLACE_KINDS, ROLE_PLACE, ROLES
from ..db import database
from ..models import LoginFailure, Township, User, Village, utcnow
from . import ValidationError, audit
from .places import MODELS as PLACE_MODELS

MIN_PASSWORD_LENGTH = 8
MAX_TEXT = 255  # VARCHAR(255): PostgreSQL refuses longer names
# One address may fail this many times more than one user name before it is slowed down too.
ADDRESS_FACTOR = 4
# Columns an audit entry of an account leaves out.
SECRET_FIELDS = ("password_hash", "session_version")


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
    query = model.select().where(model.name == name)
    if kind == "village" and "/" in name:
        # Village names repeat across townships: "城关镇/东街社区" says which one.
        township, village = (part.strip() for part in name.split("/", 1))
        query = model.select().join(Township).where((Township.name == township) & (Village.name == village))
    found = list(query.limit(2))
    if not found:
        raise ValidationError({kind: _("Unknown %(place)s: %(name)s", place=PLACE_KINDS[kind], name=name)})
    if len(found) > 1:
        raise ValidationError({kind: _("Several villages are called %(name)s; write it as township/village.", name=name)})
    return {kind: found[0]}


def listing():
    """Every account, by role and name, with its place."""
    return User.select().order_by(User.role, User.username)


def _check_password(password):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    return None


def create_user(actor, username, password, role, full_name="", **places):
    """Create an account; `places` names its township, school or village by name."""
    username = (username or "").strip()
    errors = {}
    if not username:
        errors["username"] = _("Enter a user name.")
    for field, value in (("username", username), ("full_name", full_name or "")):
        if len(value) > MAX_TEXT:
            errors[field] = _("Too long: at most %(n)d characters.", n=MAX_TEXT)
    if role not in ROLES:
        errors["role"] = _("Unknown role: %(role)s", role=role)
    if _check_password(password):
        errors["password"] = _check_password(password)
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
    if _check_password(password):
        raise ValidationError({"password": _check_password(password)})
    with database.atomic():
        user.password_hash = generate_password_hash(password)
        user.session_version += 1  # sessions opened with the old password end
        user.save()
        audit.record(actor, "update", "user", user.id, reason="password changed")


def end_sessions(user):
    """Every session of the account ends at its next request (logout: a copied cookie is useless)."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()


def throttle_wait(key, now, max_failures, lockout_seconds):
    """Seconds to wait before this key (a user name or an address) may try again; 0 when it may now.

    After `max_failures` failures within the hour, each further failure doubles the wait,
    up to 15 minutes. Counted in the database so every worker process agrees.
    """
    failures = (
        LoginFailure.select(LoginFailure.at)
        .where((LoginFailure.key == key.lower()) & (LoginFailure.at > now - timedelta(hours=1)))
        .order_by(LoginFailure.at.desc())
    )
    count = failures.count()
    if count < max_failures:
        return 0
    wait = min(lockout_seconds * 2 ** (count - max_failures), 15 * 60)
    remaining = wait - (now - failures.first().at).total_seconds()
    return max(0, int(remaining + 0.999))


def _record_failure(keys, now):
    """Count a failure against each key, and forget each key's failures older than the hour."""
    with database.atomic():
        for key in keys:
            LoginFailure.delete().where((LoginFailure.key == key) & (LoginFailure.at < now - timedelta(hours=1))).execute()
            LoginFailure.create(key=key, at=now)


def authenticate(username, password, address="", now=None, max_failures=5, lockout_seconds=60):
    """(user, None) on success, (None, message) otherwise; failures count per user name and per address."""
    now = now or utcnow()
    username = (username or "").strip()
    # Keys fit the column: a name longer than any account's is still counted, under its first characters.
    name_key, address_key = username.lower()[:MAX_TEXT], f"address {address}"[:MAX_TEXT]
    wait = max(
        throttle_wait(name_key, now, max_failures, lockout_seconds),
        throttle_wait(address_key, now, max_failures * ADDRESS_FACTOR, lockout_seconds),
    )
    if wait:
        return None, _("Too many failed attempts. Try again in %(s)d seconds.", s=wait)
    user = User.get_or_none(User.username == username)
    # Check a hash even for an unknown name, so timing does not reveal which names exist.
    stored = user.password_hash if user is not None else _dummy_hash()
    if not check_password_hash(stored, password or "") or user is None:
        _record_failure((name_key, address_key), now)
        return None, _("Wrong user name or password.")
    if not user.is_active:
        return None, _("This account is disabled.")
    with database.atomic():
        LoginFailure.delete().where(LoginFailure.key == name_key).execute()
        user.last_login_at = now
        user.save(only=[User.last_login_at])
    return user, None
