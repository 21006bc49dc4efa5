"""Cross-cutting behaviour is wired by ``create_app``, not by which modules happen to be imported.

A script (no request, no app context) that writes a case through the service layer after building the app
still produces the case's webhook delivery and its metric counts; before the app is built, importing every
module connects nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.delivery.helpers import case_data, subscribe

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import json, sys
from sqlalchemy import func, select
from sqlalchemy.orm import Session
import exchange.api, exchange.delivery, exchange.metrics.aggregates, exchange.store.cases  # every module
from exchange import create_app, reference as reference_data
from exchange.db import make_engine
from exchange.models import Delivery, Organisation
from exchange.models.metrics import MetricCount
from exchange.store import cases as case_store

url, org_id, data = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

def write(reference):
    with Session(engine) as session:
        org = session.get(Organisation, org_id)
        case_store.store_submitted(session, org, {**data, "reference": reference}, places)
        session.commit()
        deliveries = session.scalar(select(func.count()).select_from(Delivery))
        counts = session.scalar(select(func.coalesce(func.sum(MetricCount.n), 0)))
    return deliveries, counts

engine = make_engine(url)
places = reference_data.load()
before = write("SCRIPT-1")
create_app({"database_url": url, "issuer": "https://exchange.test"})
after = write("SCRIPT-2")
print(json.dumps({"before": before, "after": after}))
"""


def test_a_script_that_built_the_app_writes_webhooks_and_metric_counts(app, runner, make_partner):
    la = make_partner("local_authority")
    subscribe(runner, la.org_id, "https://partner.example/hooks", "case.changed")
    url = app.config["EXCHANGE_SETTINGS"].database_url
    data = case_data(date_issued="2026-01-06")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, la.org_id, json.dumps(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["before"] == [0, 0]  # imports alone wire nothing
    deliveries, counts = outcome["after"]
    assert deliveries == 1 and counts > 0
