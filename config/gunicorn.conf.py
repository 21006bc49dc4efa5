"""gunicorn settings for the exchange: `gunicorn -c config/gunicorn.conf.py wsgi:app`.

Prometheus counters are shared between the workers through files in PROMETHEUS_MULTIPROC_DIR.
"""

import os
import tempfile

# before prometheus_client is imported: it picks its multiprocess value class at import time
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="exchange-prometheus-"))

from prometheus_client import multiprocess  # noqa: E402

bind = os.environ.get("EXCHANGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("EXCHANGE_WORKERS", "2"))
timeout = 30
accesslog = None  # the app logs every request as JSON with its request id


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    multiprocess.mark_process_dead(worker.pid)
