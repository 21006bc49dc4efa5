"""Organisations: the partners of a local family justice board, each of one kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from exchange import clock
from exchange.db import Base, UTCDateTime

ORG_KINDS = ("local_authority", "court", "cafcass", "lfjb", "fjb")

#: every scope, and what it lets a client do (the OAuth 2.0 scopes of /openapi.json)
SCOPES: dict[str, str] = {
    "cases:submit": "Submit cases and statutory returns, read the submissions, post progression events "
    "(local authorities).",
    "cases:read": "Read the cases the organisation may see and their versions; with advice:request or "
    "advice:respond, read advice requests and their advice (local authorities, courts, Cafcass).",
    "advice:request": "Ask Cafcass for advice on a case, and withdraw the request (courts).",
    "advice:respond": "Acknowledge and answer the advice requests routed to the service (Cafcass).",
    "feed:read": "Follow the change feed of case versions (Cafcass).",
    "metrics:read": "Pull the disclosure-controlled metrics and the quarterly pack (local family justice "
    "boards, the Family Justice Board).",
}

#: the scopes an organisation of each kind may hold (SPEC §1)
KIND_SCOPES: dict[str, frozenset[str]] = {
    # advice:respond: a local authority writes the section 37 reports routed to it
    "local_authority": frozenset({"cases:submit", "cases:read", "advice:respond"}),
    "court": frozenset({"cases:read", "advice:request"}),
    "cafcass": frozenset({"cases:read", "feed:read", "advice:respond"}),
    "lfjb": frozenset({"metrics:read"}),
    "fjb": frozenset({"metrics:read"}),
}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    la_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    court_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    dfj_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: cafcass organisations: which service it is ("cafcass" England, "cafcass_cymru" Wales)
    service: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "la_code": self.la_code,
            "court_codes": list(self.court_codes or []),
            "dfj_areas": list(self.dfj_areas or []),
            "service": self.service,
        }
