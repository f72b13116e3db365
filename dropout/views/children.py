"""The children register: list, detail, create, edit, remove."""

from dataclasses import asdict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..children import records as children
from ..children import search as child_search
from ..choices import CHILD_STATUSES, GUARDIAN_RELATIONS, PRIORITY_GROUPS, STAGES
from ..core import audit, paging, scope
from ..core.errors import ValidationError
from ..forms import CHILD_FIELDS, GUARDIAN_ROWS, ChildForm, options, show_errors
from ..models import DropoutCase, Exemption, HomeVisit, School, User, Village
from ..reporting import drill
from ..rules import id_number as idn
from ..rules import school_age
from .found import child_or_404, keyset_paged, places_in_scope, sized

bp = Blueprint("children", __name__, url_prefix="/children")


@bp.route("/")
@login_required
def index():
    filters = child_search.Filters.from_args(request.args)
    today = clock.today()
    parts = child_search.search_parts(current_user, filters, today, current_app.config["SCHOOL_START_AGE"])
    size = paging.page_size(request.args.get("size"))
    args = {key: value for key, value in asdict(filters).items() if value not in (None, "")}
    note = drill.figure_note(current_user, request.args, filters, current_app.config)
    list_args = sized(args, size)
    if note:  # a drill-down's later pages still say what the figure counted
        list_args = {**list_args, "figure": request.args["figure"], "month": note.month}
    return render_template(
        "children/list.html",
        page=keyset_paged(parts, child_search.ORDER, per_page=size),
        filters=filters,
        args=args,  # the filters, as the ledger export takes them
        list_args=list_args,
        sizes=sorted({*paging.PAGE_SIZES, size}),
        size=size,
        **places_in_scope(),
        statuses=CHILD_STATUSES,
        stages=STAGES,
        groups=PRIORITY_GROUPS,
        figure_note=note,
    )


@bp.route("/<id:child_id>")
@login_required
def detail(child_id):
    return _detail(child_or_404(child_id))


@bp.route("/<id:child_id>/id-numbers", methods=["POST"])
@login_required
def reveal_ids(child_id):
    """The child's page with full ID numbers, for this one response; each use is audited."""
    child = child_or_404(child_id)
    children.reveal_id_numbers(current_user, child)
    return _detail(child, full_ids=True)


def _detail(child, full_ids=False):
    """The child's page; ID numbers masked unless `full_ids` (after an audited request)."""
    today = clock.today()
    start_age = current_app.config["SCHOOL_START_AGE"]
    return render_template(
        "children/detail.html",
        child=child,
        age=school_age.school_age(child.birth_on, today),
        stage=school_age.stage(child.grade, child.birth_on, today, start_age),
        timeline=audit.child_timeline(child.id),
        case=DropoutCase.get_or_none(DropoutCase.child == child.id),
        exemptions=list(child.exemptions.order_by(Exemption.applied_on.desc())),
        teaching_visits=list(
            child.visits.select(HomeVisit, User)
            .join(User)
            .where(HomeVisit.is_teaching)
            .order_by(HomeVisit.visited_on.desc())
            .limit(20)
        ),
        full_ids=full_ids,
        may_reveal=scope.may_see_full_ids(current_user)
        and (bool(child.id_number) or any(g.id_number for g in child.guardians)),
    )


def _fill_choices(form, child):
    """The user's own villages, schools and teachers, plus whatever the child has now."""
    villages = list(scope.villages(current_user))
    schools = list(scope.schools(current_user))
    teachers = list(scope.teachers(current_user))
    if child is not None:
        if child.village_id not in {v.id for v in villages}:
            villages.append(Village.get_by_id(child.village_id))
        if child.school_id and child.school_id not in {s.id for s in schools}:
            schools.append(School.get_by_id(child.school_id))
        if child.responsible_teacher_id and child.responsible_teacher_id not in {t.id for t in teachers}:
            teachers.append(User.get_by_id(child.responsible_teacher_id))
    form.village.choices = options(((v.id, f"{v.township.name} · {v.name}") for v in villages), "—")
    form.school.choices = options(((s.id, s.name) for s in schools), _("Not in school"))
    form.grade.choices = options(((g, g) for g in range(1, 10)), "—")
    form.responsible_teacher.choices = options(((t.id, str(t)) for t in teachers), "—")


def _initial(child):
    """A child's stored values in the shape the form shows them."""
    if child is None:
        return {"registered_on": clock.today().isoformat()}
    data = {name: child.__data__.get(name) for name in CHILD_FIELDS}
    for name in (
        "village",
        "school",
        "grade",
        "disability_grade",
        "disability_category",
        "responsible_teacher",
        "birth_on",
        "registered_on",
    ):
        data[name] = "" if data[name] is None else str(data[name])
    data["changed_on"] = clock.today().isoformat()
    data["guardians"] = [
        {field: getattr(g, field) or "" for field in ("id", "name", "relation", "phone", "id_number")}
        for g in child.guardians
    ]
    return data


def _stored_numbers(form, child):
    """(form field, stored ID number) for the child's number and each registered guardian's."""
    stored = {str(g.id): g.id_number for g in child.guardians}
    pairs = [(form.id_number, child.id_number)]
    pairs += [(entry.form.id_number, stored.get(str(entry.form.id.data or ""))) for entry in form.guardians]
    return [(field, number) for field, number in pairs if number]


def _mask_numbers(form, child):
    """Stored ID numbers shown masked, as on the child's page."""
    for field, number in _stored_numbers(form, child):
        if field.data == number:
            field.data = idn.mask(number)


def _unmask_numbers(form, child):
    """A masked number sent back as it was shown stands for the stored one."""
    for field, number in _stored_numbers(form, child):
        if (field.data or "").strip() == idn.mask(number):
            field.data = number


def _edit(child):
    if not current_user.can_edit_children:
        abort(403)
    initial = _initial(child) if request.method == "GET" else None
    form = ChildForm(data=initial)
    if initial and len(initial.get("guardians", ())) >= GUARDIAN_ROWS:
        form.guardians.append_entry()  # always leave a blank row for one more guardian
    _fill_choices(form, child)
    # Teachers and village cadres never see a registered number whole, not even in the form.
    masked = child is not None and not scope.may_see_full_ids(current_user)
    if masked:
        _unmask_numbers(form, child)
    failed = False
    if form.validate_on_submit():
        try:
            start_age = current_app.config["SCHOOL_START_AGE"]
            saved = children.save_child(current_user, form.service_data(), child, start_age=start_age)
        except ValidationError as exc:
            show_errors(form, exc.errors)
            failed = True
        else:
            flash(_("Saved."))
            return redirect(url_for("children.detail", child_id=saved.id))
    if masked:
        _mask_numbers(form, child)
    page = render_template(
        "children/form.html", form=form, child=child, failed=failed, relations=GUARDIAN_RELATIONS, masked=masked
    )
    return page, 422 if failed else 200


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    return _edit(None)


@bp.route("/<id:child_id>/edit", methods=["GET", "POST"])
@login_required
def edit(child_id):
    return _edit(child_or_404(child_id))


@bp.route("/<id:child_id>/delete", methods=["POST"])
@login_required
def delete(child_id):
    child = child_or_404(child_id)
    children.delete_child(current_user, child, reason=request.form.get("reason", "")[:500])
    flash(_("Removed."))
    return redirect(url_for("children.index"))
