"""Logging in and out, and choosing the language."""

from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..accounts import users as accounts
from ..core.errors import ValidationError
from ..forms import ChangePasswordForm, LoginForm, show_errors
from ..i18n import LANGUAGES

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only redirect to a path on this site."""
    parsed = urlparse(target or "")
    if parsed.scheme or parsed.netloc or not (target or "").startswith("/"):
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user, error = accounts.authenticate(
            form.username.data,
            form.password.data,
            address=request.remote_addr or "",
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            lockout_seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"],
            county=current_app.config["COUNTY_NAME"],
        )
        if user is not None:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            session.permanent = True
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form, error=error), 200 if error is None else 401


# What an account asked to change its password may still reach.
BEFORE_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "auth.login", "auth.language", "static"}


@bp.before_app_request
def _password_change_first():
    """While an account must change its password, every page leads to the change-password page."""
    if request.endpoint in BEFORE_PASSWORD_CHANGE or not current_user.is_authenticated:
        return None
    if current_user.must_change_password:
        flash(_("Your password must be changed before you go on."), "error")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    failed = False
    if form.validate_on_submit():
        try:
            accounts.change_own_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
                form.repeat_password.data,
                county=current_app.config["COUNTY_NAME"],
                address=request.remote_addr or "",
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lockout_seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"],
            )
        except ValidationError as exc:
            show_errors(form, exc.errors)
            failed = True
        else:
            # The new password ended every session of the account; this one goes on.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed."))
            return redirect(url_for("home.index"))
    return render_template("password.html", form=form, failed=failed, min_length=accounts.MIN_PASSWORD_LENGTH), (
        422 if failed else 200
    )


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    accounts.end_sessions(current_user)
    logout_user()
    flash(_("You have logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>")
def language(code):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))
