"""In-process signals between domains, sent inside the transaction that made the change.

A receiver that writes rows (the delivery outbox, say) writes them in the sender's session, so the change
and what it triggers commit or roll back together.

- ``case_changed``: a case got a new visible version. Sent with ``session``, ``case`` (models.Case),
  ``version`` (models.CaseVersion, its ``feed_seq`` not yet assigned) and ``policy`` (the field policy
  the writer's reference data holds, by which each recipient's copy is filtered).
- ``cases_inserted``: new cases were written without the ORM's unit of work (a bulk intake: the session's
  flush listeners do not see them). Sent with ``session`` and ``cases``: for each, its id, query columns
  and ``children`` and ``hearings`` rows, read by attribute as on a ``models.Case``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

case_changed = _signals.signal("case-changed")
cases_inserted = _signals.signal("cases-inserted")
