"""Accounts, kept by the county admin."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts import users as accounts
from ..auth import roles_required
from ..core.errors import ValidationError
from ..forms import AccountForm, show_errors
from .found import paged, user_or_404

bp = Blueprint("accounts", __name__, url_prefix="/accounts")


@bp.route("/")
@roles_required("admin")
def index():
    return render_template("accounts/index.html", users=accounts.listing())


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin")
def create():
    form = AccountForm()
    failed = False
    if form.validate_on_submit():
        try:
            accounts.create_user(
                current_user,
                form.username.data,
                form.password.data,
                form.role.data,
                form.full_name.data,
                township=form.township.data,
                school=form.school.data,
                village=form.village.data,
                county=current_app.config["COUNTY_NAME"],
            )
        except ValidationError as exc:
            show_errors(form, exc.errors)
            failed = True
        else:
            flash(_("Saved."))
            return redirect(url_for("accounts.index"))
    return render_template("accounts/form.html", form=form, failed=failed), 422 if failed else 200


@bp.route("/<id:user_id>/toggle", methods=["POST"])
@roles_required("admin")
def toggle(user_id):
    user = user_or_404(user_id)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
    else:
        accounts.set_active(current_user, user, not user.is_active)
        flash(_("Saved."))
    return redirect(url_for("accounts.index"))


@bp.route("/<id:user_id>/password-change", methods=["POST"])
@roles_required("admin")
def require_password_change(user_id):
    user = user_or_404(user_id)
    accounts.require_password_change(current_user, user)
    flash(_("%(name)s must change the password at the next page they open.", name=user.username))
    return redirect(url_for("accounts.index"))


@bp.route("/logins")
@roles_required("admin")
def logins():
    filters = accounts.LoginFilters.from_args(request.args)
    query = accounts.logins(filters)
    rows, paging = paged(query)
    entries = [(entry, accounts.login_address(entry)) for entry in rows]
    return render_template(
        "accounts/logins.html",
        entries=entries,
        filters=filters,
        **paging,
        args=filters.args(),
        outcomes=accounts.LOGIN_OUTCOMES,
        notes=accounts.LOGIN_NOTES,
    )
