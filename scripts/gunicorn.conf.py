"""gunicorn settings shared by ./scripts/run and the browser tests.

The access log names method, path without its query string (a search may hold a child's
name or ID number), status and duration: no personal data in logs.
"""

import os

bind = os.environ.get("DROPOUT_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("DROPOUT_WORKERS", "2"))
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(M)sms'
