"""CSRF on every form, no NUL character in any input, and the response headers every page carries."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _has_nul():
    """A NUL in the path, a query or form value or name, or an upload's file name: no field takes one, and
    PostgreSQL refuses it in any text, so it is stopped here before any query sees it."""
    texts = [request.path]
    for values in (request.args, request.form):
        for name, items in values.lists():
            texts += [name, *items]
    texts += [upload.filename or "" for upload in request.files.values()]
    return any("\x00" in text for text in texts)


def init_app(app):
    csrf.init_app(app)

    @app.before_request
    def _refuse_nul():
        if _has_nul():
            message = _("The input contains a NUL character, which no field accepts. Remove it and try again.")
            return render_template("errors/error.html", code=400, message=message), 400

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            # Pages hold children's data: never keep them in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
