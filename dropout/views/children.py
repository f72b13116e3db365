"""The children register: list, detail, create, edit, remove."""
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..choices import CHILD_STATUSES, PRIORITY_GROUPS, STAGES
from ..forms import CHILD_FIELDS, GUARDIAN_ROWS, ChildForm, options, show_errors
from ..models import User
from ..rules import school_age
from ..services import PermissionDenied, ValidationError, audit, child_search, children, scope

bp = Blueprint("children", __name__, url_prefix="/children")


@bp.route("/")
@login_required
def index():
    filters = child_search.Filters.from_args(request.args)
    today = date.today()
    query = child_search.search(current_user, filters, today, current_app.config["SCHOOL_START_AGE"])
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = current_app.config["PAGE_SIZE"]
    total = query.count()
    rows = query.paginate(page, per_page)
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "children/list.html",
        children=rows,
        filters=filters,
        total=total,
        page=page,
        pages=max((total + per_page - 1) // per_page, 1),
        args=args,
        townships=scope.townships(current_user),
        villages=scope.villages(current_user),
        schools=scope.schools(current_user),
        statuses=CHILD_STATUSES,
        stages=STAGES,
        groups=PRIORITY_GROUPS,
        today=today,
    )


@bp.route("/<int:child_id>")
@login_required
def detail(child_id):
    child = scope.get_child_or_404(current_user, child_id)
    today = date.today()
    start_age = current_app.config["SCHOOL_START_AGE"]
    timeline = [(entry, audit.changes(entry)) for entry in audit.child_timeline(child.id)]
    return render_template(
        "children/detail.html",
        child=child,
        age=school_age.school_age(child.birth_on, today),
        stage=school_age.stage(child.grade, child.birth_on, today, start_age),
        timeline=timeline,
    )


def _fill_choices(form):
    form.village.choices = options(((v.id, f"{v.township.name} · {v.name}") for v in scope.villages(current_user)), "—")
    form.school.choices = options(((s.id, s.name) for s in scope.schools(current_user)), _("Not in school"))
    form.grade.choices = options(((g, g) for g in range(1, 10)), "—")
    teachers = User.select().where((User.role == "teacher") & (User.is_active == True)).order_by(User.username)  # noqa: E712
    form.responsible_teacher.choices = options(((t.id, str(t)) for t in teachers), "—")


def _initial(child):
    """A child's stored values in the shape the form shows them."""
    if child is None:
        return None
    data = {name: child.__data__.get(name) for name in CHILD_FIELDS}
    for name in ("village", "school", "grade", "disability_grade", "disability_category", "responsible_teacher", "birth_on"):
        data[name] = "" if data[name] is None else str(data[name])
    data["guardians"] = [
        {field: getattr(g, field) or "" for field in ("name", "relation", "phone", "id_number")} for g in child.guardians
    ]
    return data


def _edit(child):
    if not current_user.can_edit_children:
        abort(403)
    initial = _initial(child) if request.method == "GET" else None
    form = ChildForm(data=initial)
    if initial and len(initial["guardians"]) >= GUARDIAN_ROWS:
        form.guardians.append_entry()  # always leave a blank row for one more guardian
    _fill_choices(form)
    errors = []
    if form.validate_on_submit():
        try:
            saved = children.save_child(current_user, form.service_data(), child)
        except ValidationError as exc:
            errors = show_errors(form, exc.errors)
        except PermissionDenied:
            abort(403)
        else:
            flash(_("Saved."))
            return redirect(url_for("children.detail", child_id=saved.id))
    return render_template("children/form.html", form=form, child=child, errors=errors), 200 if not form.errors and not errors else 422


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    return _edit(None)


@bp.route("/<int:child_id>/edit", methods=["GET", "POST"])
@login_required
def edit(child_id):
    return _edit(scope.get_child_or_404(current_user, child_id))


@bp.route("/<int:child_id>/delete", methods=["POST"])
@login_required
def delete(child_id):
    child = scope.get_child_or_404(current_user, child_id)
    try:
        children.delete_child(current_user, child, reason=request.form.get("reason", ""))
    except PermissionDenied:
        abort(403)
    flash(_("Removed."))
    return redirect(url_for("children.index"))
