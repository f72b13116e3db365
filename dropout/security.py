"""CSRF on every form and the response headers every page carries."""
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def init_app(app):
    csrf.init_app(app)

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            # Pages hold children's data: never keep them in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
