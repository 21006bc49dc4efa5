"""In-process signals between domains, sent inside the transaction that made the change.

A receiver that writes rows (the delivery outbox, say) writes them in the sender's session, so the change
and what it triggers commit or roll back together.

- ``case_changed``: a case got a new visible version. Sent with ``session``, ``case`` (models.Case),
  ``version`` (the ``store.cases.PendingVersion`` to be written: ``version``, ``event_type``, ``document``;
  its ``feed_seq`` not yet assigned) and ``policy`` (the field policy the writer's reference data holds, by
  which each recipient's copy is filtered).
- ``case_built``: a submitted case was built as a new case, before it is stored, perhaps in another process
  (``pipeline.check``) and with no database. Sent with ``case`` (its id, document, query columns and
  ``children`` and ``hearings`` rows, read by attribute as on a ``models.Case``) and ``ahead``, a dict in
  which a receiver keeps, under its own key, what it works out now instead of when the case is stored
  (it must be picklable); ``cases_inserted`` then carries it as each case's ``ahead``.
- ``cases_inserted``: new cases were written without the ORM's unit of work (a bulk intake: the session's
  flush listeners do not see them). Sent with ``session`` and ``cases``: for each, its id, query columns
  and ``children`` and ``hearings`` rows, read by attribute as on a ``models.Case``, and ``ahead``, what
  ``case_built``'s receivers kept when it was built.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

case_changed = _signals.signal("case-changed")
case_built = _signals.signal("case-built")
cases_inserted = _signals.signal("cases-inserted")
