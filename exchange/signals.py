"""In-process signals between domains, sent inside the transaction that made the change.

A receiver that writes rows (the delivery outbox, say) writes them in the sender's session, so the change
and what it triggers commit or roll back together.

- ``case_changed``: a case got a new visible version. Sent with ``session``, ``case`` (models.Case),
  ``version`` (models.CaseVersion, its ``feed_seq`` not yet assigned) and ``policy`` (the field policy
  the writer's reference data holds, by which each recipient's copy is filtered).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

case_changed = _signals.signal("case-changed")
