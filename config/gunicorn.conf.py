"""gunicorn settings for the exchange: `gunicorn -c config/gunicorn.conf.py wsgi:app`.

Prometheus counters are shared between the workers through files in PROMETHEUS_MULTIPROC_DIR. gunicorn
names itself in a ``Server`` header on every answer and refuses a request it cannot parse with an HTML
page; it has no setting for either, so this file replaces the two places (its response's default
headers, its error writer) before any worker starts: no ``Server`` header, and problem+json errors.

Each worker answers with a pool of threads (``gthread``), so a quick request (``/health/live``) is not
queued behind a long one (a national board's 60 months): a synchronous worker answers one request at a
time, and with two of them three long requests held the liveness probe for up to a second. The work of
every request is bounded (the figures are read from the stored publication), which the worker timeout
no longer bounds for a thread: it now watches the worker's main loop.
"""

import os
import tempfile

# before prometheus_client is imported: it picks its multiprocess value class at import time
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="exchange-prometheus-"))

from gunicorn import util  # noqa: E402
from gunicorn.http import wsgi  # noqa: E402
from prometheus_client import multiprocess  # noqa: E402

from exchange.errors import raw_problem  # noqa: E402

bind = os.environ.get("EXCHANGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("EXCHANGE_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("EXCHANGE_THREADS", "4"))
timeout = 30
accesslog = None  # the app logs every request as JSON with its request id


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    multiprocess.mark_process_dead(worker.pid)


class _Response(wsgi.Response):
    """gunicorn's response without its ``Server`` header."""

    def default_headers(self):  # noqa: ANN201 - gunicorn's method
        return [h for h in super().default_headers() if not h.lower().startswith("server:")]


def _write_error(sock, status_int, reason, mesg):  # noqa: ANN001, ANN202, ARG001 - gunicorn's signature
    util.write_nonblock(sock, raw_problem(status_int, reason))


wsgi.Response = _Response
util.write_error = _write_error
