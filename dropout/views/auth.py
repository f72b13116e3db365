"""Logging in and out, and choosing the language."""
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..forms import LoginForm
from ..i18n import LANGUAGES
from ..services import accounts

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
