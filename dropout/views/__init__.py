"""Blueprints, one per area, and the error pages."""

from flask import render_template
from werkzeug.exceptions import Forbidden, default_exceptions
from werkzeug.routing import IntegerConverter

from ..core.errors import PermissionDenied


class IdConverter(IntegerConverter):
    """A database id in a URL: positive and within a 32-bit integer, so no database overflows."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


def init_app(app):
    from . import (
        accounts,
        auth,
        bulletins,
        calendar,
        cases,
        children,
        exemptions,
        filing,
        filters,
        help,
        home,
        imports,
        ledgers,
        menu,
        notices,
        penalties,
        places,
        registers,
        reports,
        scans,
        self_evaluation,
        tasks,
        verification,
        visits,
    )

    app.url_map.converters["id"] = IdConverter
    filters.init_app(app)
    menu.init_app(app)
    for module in (
        auth,
        home,
        children,
        cases,
        visits,
        exemptions,
        notices,
        penalties,
        registers,
        ledgers,
        verification,
        imports,
        places,
        accounts,
        reports,
        filing,
        bulletins,
        self_evaluation,
        calendar,
        scans,
        tasks,
        help,
    ):
        app.register_blueprint(module.bp)

    for code in (400, 403, 404, 413):

        @app.errorhandler(code)
        def _error(exc, code=code):
            return error_page(code, exc.description)

    @app.errorhandler(PermissionDenied)
    def _denied(exc):
        """A service refused the acting user's role: the 403 page, wherever it was raised."""
        return error_page(403, Forbidden.description)


def error_page(code, description):
    """The error page; a reason given to abort() (not werkzeug's own English text) is shown as its message."""
    reason = None if description == default_exceptions[code].description else description
    return render_template("errors/error.html", code=code, description=description, message=reason), code
