"""Background tasks: a task's page with its progress (refreshed by static/task.js, or by a link without
JavaScript), its result to download while it is kept, and the list of one's tasks. Other pages start tasks
through start(), and exports through export_page()."""

import json
import re

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from .. import clock
from ..core import scope
from ..tasks import queue, records, runners
from .downloads import send_download

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
_KEY = re.compile(r"[0-9a-f]{32}")
TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv",
}


def start(kind, title, params, then=None, back=None):
    """Queue a task of the current user and answer with its page; when they already have one queued or running,
    that task's page with the reason. `params` is what the runner needs (JSON); today and the language are added.
    `then` is the page a done task goes on to (an import's preview), `back` the one a failed task offers."""
    config = current_app.config
    params = {**params, "today": clock.today().isoformat(), "locale": str(get_locale()), "then": then, "back": back}
    try:
        task = records.create(current_user, kind, title, params, config["TASKS_DIR"], config["TASK_STALE_SECONDS"])
    except records.Busy as busy:
        flash(busy.message, "error")
        return redirect(url_for("tasks.show", key=busy.task.key) if busy.task else url_for("tasks.index"))
    try:
        queue.enqueue(current_app, runners.run, task.key)
    except Exception as exc:  # the queue's store is unreachable (Redis down, a disk full): say so, hold nothing
        if config["TASK_IMMEDIATE"]:
            raise
        current_app.logger.error("task %s could not be queued: %s", task.key, type(exc).__name__)
        records.fail(task, config["TASKS_DIR"], _("The task queue cannot be reached. Try again later."))
    return redirect(url_for("tasks.show", key=task.key))


def full_ids_asked():
    """?full=1 from a role allowed full ID numbers (an export that gives them is recorded in the audit trail)."""
    return request.values.get("full") == "1" and scope.may_see_full_ids(current_user)


def export_page(kind, title, params, filters, heading, text, back, full_ids=False):
    """An export written by a task: GET says what the file will hold, its filters (a dict) kept in the form; POST
    starts the task with `params`. With full ID numbers the page warns that the export is audited."""
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        return start(kind, title, params)
    return render_template(
        "tasks/start.html",
        heading=heading,
        text=text,
        warning=_("With full ID numbers: the export is recorded in the audit trail.") if full_ids else "",
        fields={**filters, **({"full": 1} if full_ids else {})},
        back=back,
        form=form,
    )


def _task_or_404(key):
    task = records.visible(current_user, key) if _KEY.fullmatch(key) else None
    if task is None:
        abort(404)
    if task.status == records.RUNNING:  # a worker that went quiet fails its task here, not only at the next start
        config = current_app.config
        if records.fail_stale(config["TASKS_DIR"], config["TASK_STALE_SECONDS"], owner=task.owner_id):
            task = records.visible(current_user, key)
    return task


def _state(task):
    """What the page and its refresh show: status, progress, message and where the result is."""
    done, total, _age = records.read_progress(current_app.config["TASKS_DIR"], task)
    links = {key: value for key, value in json.loads(task.params).items() if key in ("then", "back") and value}
    if task.status == records.DONE:
        done = total or done
    percent = min(100, round(100 * done / total)) if total else (100 if task.status == records.DONE else 0)
    expired = records.expired(task)
    return {
        "status": "expired" if expired else task.status,
        "label": status_labels()["expired" if expired else task.status],
        "done": done,
        "total": total,
        "percent": percent,
        "message": task.message,
        "download": url_for("tasks.download", key=task.key) if task.result_name and not expired else None,
        "then": links.get("then") if task.status == records.DONE else None,
        "back": links.get("back"),
    }


def status_labels():
    """Each status as the pages name it, in the interface language."""
    return {
        records.QUEUED: _("Queued"),
        records.RUNNING: _("Running"),
        records.DONE: _("Done"),
        records.FAILED: _("Failed"),
        "expired": _("Expired"),
    }


@bp.route("/")
@login_required
def index():
    tasks = records.listed(current_user)
    return render_template("tasks/list.html", tasks=tasks, labels=status_labels(), expired=records.expired)


@bp.route("/<key>")
@login_required
def show(key):
    task = _task_or_404(key)
    state = _state(task)
    if state["then"]:  # done: on to the page that shows what it did, with the task's word on it
        if task.message:
            flash(task.message)
        return redirect(state["then"])
    outcome = json.loads(task.outcome or "{}")
    return render_template("tasks/show.html", task=task, state=state, outcome=outcome, form=FlaskForm())


@bp.route("/<key>.json")
@login_required
def state(key):
    return jsonify(_state(_task_or_404(key)))


@bp.route("/<key>/download")
@login_required
def download(key):
    task = _task_or_404(key)
    if records.expired(task):
        return render_template("tasks/expired.html", task=task), 410
    path = records.result_path(current_app.config["TASKS_DIR"], task)
    if task.status != records.DONE or not task.result_name or not path.exists():
        return redirect(url_for("tasks.show", key=task.key))
    kind = task.result_name.rsplit(".", 1)[-1]
    return send_download(str(path), task.result_name, TYPES.get(kind, "application/octet-stream"))


@bp.route("/<key>/cancel", methods=["POST"])
@login_required
def cancel(key):
    task = _task_or_404(key)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if records.cancel(task, current_app.config["TASKS_DIR"]):
        flash(_("Cancelled."))
    else:
        flash(_("The task has already started; it cannot be cancelled now."), "error")
    return redirect(url_for("tasks.show", key=task.key))
