"""CSRF on every form, no NUL character in any input, a malformed body answered 400, and the response headers every
page carries."""

from flask import Request, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    ),
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


class StrictRequest(Request):
    """Werkzeug reads a form body it cannot parse (a broken multipart, no boundary, a field name that is not UTF-8)
    as empty, and keeps a part whose Content-Disposition names no field under the name None, which breaks the CSRF
    check. Here both mark the request malformed, with an empty form, and the guard below answers 400."""

    malformed = False

    def make_form_data_parser(self):
        parser = super().make_form_data_parser()
        parser.silent = False
        return parser

    def _load_form_data(self):
        if "form" in self.__dict__:
            return
        try:
            super()._load_form_data()
            names = [*self.form.keys(), *self.files.keys()]
        except ValueError:  # UnicodeDecodeError included
            names = [None]
        if not all(isinstance(name, str) for name in names):
            self.malformed = True
            for _name, upload in self.__dict__.get("files", self.parameter_storage_class()).items(multi=True):
                upload.close()
            self.__dict__["form"] = self.parameter_storage_class()
            self.__dict__["files"] = self.parameter_storage_class()


def init_app(app):
    app.request_class = StrictRequest

    @app.before_request
    def _refuse_malformed():
        """Before the CSRF check and every view read the form: a body that cannot be read is the client's fault."""
        request.form  # noqa: B018 (parses the body)
        if request.malformed:
            message = _("The form data sent is malformed and cannot be read. Reload the page and try again.")
            return render_template("errors/error.html", code=400, message=message), 400

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
        if app.config["HTTPS"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            # Pages hold children's data: never keep them in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
