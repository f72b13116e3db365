"""Accounts: creation, passwords, and logins slowed down after repeated failures, each login audited."""

import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from .. import clock
from ..children.places import MODELS as PLACE_MODELS
from ..choices import PLACE_KINDS, ROLE_PLACE, ROLES
from ..core import audit
from ..core.errors import ValidationError
from ..db import database
from ..models import AuditLog, LoginFailure, Township, User, Village, utcnow
from ..rules.dates import parse_date

MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable" for a slow hash
ZXCVBN_MAX = 40  # zxcvbn slows quickly with length (1 s at its limit of 72): the first 40 characters are scored
# A name contained in the password refuses it from this length on (a shorter one only when it is all of it).
NAME_IN_PASSWORD = 3
TYPED_NAME_MAX = 100  # the login audit keeps at most this much of a typed user name or an address
# What became of a login attempt (the login audit's action).
LOGIN_OUTCOMES = {
    "success": _l("Logged in"),
    "failure": _l("Wrong user name or password"),
    "throttled": _l("Slowed down: too many failures"),
    "disabled": _l("Account disabled"),
}
# Notes a login audit entry may carry (its reason).
LOGIN_NOTES = {
    "weak password": _l("the password no longer meets the rule: asked to change it"),
    "change page": _l("the current password, on the change-password page"),
}
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
        raise ValidationError(
            {kind: _("A %(role)s account needs a %(place)s.", role=ROLES[role], place=PLACE_KINDS[kind])}
        )
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
        raise ValidationError(
            {kind: _("Several villages are called %(name)s; write it as township/village.", name=name)}
        )
    return {kind: found[0]}


def listing():
    """Every account, by role and name, with its place."""
    return User.select().order_by(User.role, User.username)


def get_user(user_id):
    """An account by id, or None."""
    return User.get_or_none(User.id == user_id)


def _fold(text):
    return "".join((text or "").split()).casefold()


def password_problem(password, username="", full_name="", county=""):
    """Why a password fails the rule, in the user's language; None when it meets it.

    At least MIN_PASSWORD_LENGTH characters; not the user name, the person's full name or the county's name
    (nor containing one); and not easy to guess: zxcvbn (common passwords, words, keyboard patterns, dates,
    and these names) must score it MIN_PASSWORD_SCORE or more."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    folded = _fold(password)
    for name, which in ((username, "username"), (full_name, "full_name"), (county, "county")):
        name = _fold(name)
        if name and (name == folded or (len(name) >= NAME_IN_PASSWORD and name in folded)):
            if which == "username":
                return _("The password must not be or contain the user name.")
            if which == "full_name":
                return _("The password must not be or contain the person's name.")
            return _("The password must not be or contain the county's name.")
    names = [name for name in (username, full_name, county) if name]
    if zxcvbn(password[:ZXCVBN_MAX], user_inputs=names)["score"] < MIN_PASSWORD_SCORE:
        return _(
            "The password is too easy to guess (a common password, a word, a date or a keyboard pattern). "
            "Use several unrelated words, or mix in numbers and signs."
        )
    return None


def create_user(actor, username, password, role, full_name="", county="", **places):
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
    problem = password_problem(password, username, full_name or "", county or "")
    if problem:
        errors["password"] = problem
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


def set_password(actor, user, password, county="", field="password"):
    """A new password that meets the rule; the account is no longer asked to change it."""
    problem = password_problem(password, user.username, user.full_name, county or "")
    if problem:
        raise ValidationError({field: problem})
    with database.atomic():
        user.password_hash = generate_password_hash(password)
        user.session_version += 1  # sessions opened with the old password end
        user.must_change_password = False
        user.save()
        audit.record(actor, "update", "user", user.id, reason="password changed")


def change_own_password(
    user, current, new, repeat, county="", address="", now=None, max_failures=5, lockout_seconds=60
):
    """A user changes their own password, giving the current one; a wrong current password counts as a
    failed login of the account (and is audited as one), so a left-open session cannot be used to guess it."""
    now = now or utcnow()
    name_key = user.username.lower()[:MAX_TEXT]
    wait = throttle_wait(name_key, now, max_failures, lockout_seconds)
    if wait:
        raise ValidationError({"current_password": _("Too many failed attempts. Try again in %(s)d seconds.", s=wait)})
    errors = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = _("The current password is wrong.")
        with database.atomic():
            _record_failure((name_key,), now)
            _audit_login(None, user.username, address, "failure", now, user, reason="change page")
    problem = password_problem(new, user.username, user.full_name, county or "")
    if problem:
        errors["new_password"] = problem
    elif new == current:
        errors["new_password"] = _("The new password must differ from the current one.")
    elif new != repeat:
        errors["repeat_password"] = _("The two new passwords are not the same.")
    if errors:
        raise ValidationError(errors)
    set_password(user, user, new, county, field="new_password")


def require_password_change(actor, user):
    """The admin asks an account to change its password: every page leads to the change page until it has."""
    with database.atomic():
        before = audit.snapshot(user, SECRET_FIELDS)
        user.must_change_password = True
        user.save(only=[User.must_change_password])
        audit.record(
            actor,
            "update",
            "user",
            user.id,
            before=before,
            after=audit.snapshot(user, SECRET_FIELDS),
            reason="password change required",
        )


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
            stale = (LoginFailure.key == key) & (LoginFailure.at < now - timedelta(hours=1))
            LoginFailure.delete().where(stale).execute()
            LoginFailure.create(key=key, at=now)


def _audit_login(user, typed, address, outcome, now, account=None, reason=""):
    """One audit entry of a login attempt: the name as typed (cut short), the address and the outcome.
    `user` is the account that logged in (success only); `account` the one the name named, if any."""
    after = {"address": (address or "")[:TYPED_NAME_MAX]}
    if user is not None and user.must_change_password:
        after["must_change_password"] = True
    audit.record(
        user,
        outcome,
        "login",
        account.id if account is not None else None,
        after=after,
        reason=reason,
        at=now,
        username=(typed or "")[:TYPED_NAME_MAX],
    )


def authenticate(username, password, address="", now=None, max_failures=5, lockout_seconds=60, county=""):
    """(user, None) on success, (None, message) otherwise; failures count per user name and per address.

    Every attempt is audited (success, failure, throttled, disabled), never with the password. An account
    whose password no longer meets the rule logs in, and is asked to change it."""
    now = now or utcnow()
    typed = username or ""
    username = typed.strip()
    # Keys fit the column: a name longer than any account's is still counted, under its first characters.
    name_key, address_key = username.lower()[:MAX_TEXT], f"address {address}"[:MAX_TEXT]
    wait = max(
        throttle_wait(name_key, now, max_failures, lockout_seconds),
        throttle_wait(address_key, now, max_failures * ADDRESS_FACTOR, lockout_seconds),
    )
    if wait:
        with database.atomic():
            _audit_login(None, typed, address, "throttled", now)
        return None, _("Too many failed attempts. Try again in %(s)d seconds.", s=wait)
    user = User.get_or_none(User.username == username)
    # Check a hash even for an unknown name, so timing does not reveal which names exist.
    stored = user.password_hash if user is not None else _dummy_hash()
    if not check_password_hash(stored, password or "") or user is None:
        with database.atomic():
            _record_failure((name_key, address_key), now)
            _audit_login(None, typed, address, "failure", now, user)
        return None, _("Wrong user name or password.")
    if not user.is_active:
        with database.atomic():
            _audit_login(None, typed, address, "disabled", now, user)
        return None, _("This account is disabled.")
    weak = password_problem(password, user.username, user.full_name, county or "") is not None
    with database.atomic():
        LoginFailure.delete().where(LoginFailure.key == name_key).execute()
        user.last_login_at = now
        user.must_change_password = user.must_change_password or weak
        user.save(only=[User.last_login_at, User.must_change_password])
        _audit_login(user, typed, address, "success", now, user, reason="weak password" if weak else "")
    return user, None


@dataclass
class LoginFilters:
    """The login audit page's filters, from its query string."""

    user: str = ""  # part of the name as typed
    outcome: str = ""
    since: object = None  # county days
    until: object = None

    @classmethod
    def from_args(cls, args):
        dates = {}
        for name in ("since", "until"):
            try:
                day = parse_date((args.get(name) or "")[:20])
            except ValueError:
                day = None
            dates[name] = day if day is None or 1900 <= day.year <= 9000 else None
        outcome = args.get("outcome") or ""
        return cls(
            user=(args.get("user") or "").strip()[:TYPED_NAME_MAX],
            outcome=outcome if outcome in LOGIN_OUTCOMES else "",
            **dates,
        )

    def args(self):
        """The filters as query-string arguments (for the pager)."""
        values = {"user": self.user, "outcome": self.outcome, "since": self.since, "until": self.until}
        return {key: str(value) for key, value in values.items() if value}


def _utc_start(day, zone):
    """The UTC time (naive, as stored) at which a county day starts."""
    return datetime.combine(day, time(), zone).astimezone(UTC).replace(tzinfo=None)


def logins(filters):
    """Login attempts from the audit trail matching the filters, newest first."""
    query = AuditLog.select().where(AuditLog.entity == "login")
    if filters.user:
        query = query.where(AuditLog.username.contains(filters.user))
    if filters.outcome:
        query = query.where(AuditLog.action == filters.outcome)
    zone = clock.zone()
    if filters.since:
        query = query.where(AuditLog.at >= _utc_start(filters.since, zone))
    if filters.until:
        query = query.where(AuditLog.at < _utc_start(filters.until + timedelta(days=1), zone))
    return query.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def login_address(entry):
    """The client address an audited login attempt came from."""
    return json.loads(entry.after or "{}").get("address", "")
