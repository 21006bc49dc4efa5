"""The benchmark floor (benchmark-only, never deployed): the exchange plus one authenticated route that does
one INSERT and one COMMIT, so `submit.py` can compare intake with the least any authenticated write costs
on the same server, database and token path.
"""

from __future__ import annotations

import hashlib
import uuid

from flask import request

from exchange import create_app
from exchange.api.protect import requires
from exchange.db import db
from exchange.models import RawBody

app = create_app()


@requires("cases:submit")
def floor() -> tuple[str, int]:
    body = request.get_data()
    sha256 = hashlib.sha256(body + uuid.uuid4().bytes).hexdigest()
    db.session.add(RawBody(sha256=sha256, size=len(body)))
    db.session.commit()
    return "", 204


app.add_url_rule("/bench/floor", view_func=floor, methods=["POST"])
