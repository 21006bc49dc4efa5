"""Server-side page sessions behind Flask's ``session``: the browser holds only a random id, in a
``__Host-`` cookie (Secure, HttpOnly, SameSite=Lax, path /), and the database its SHA-256 and the data.

A session is written only once something is kept in it (the API's requests never are), renewed on every
page (30 minutes idle, 8 hours at most: ``exchange.people``), given a new id when someone signs in, and
deleted when they sign out, when next used after it ended, or by the worker's sweep (``Worker.purge``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from exchange import clock, people
from exchange.db import db
from exchange.models import PageSession

COOKIE = "__Host-exchange-session"


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The data of one page session, with whom it is signed in as and what is to happen to it."""

    def __init__(self, data: dict[str, Any] | None = None, raw_id: str | None = None) -> None:
        def changed(_self: Any) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.raw_id = raw_id
        self.row: PageSession | None = None
        self.modified = False
        self.rotate = False
        self.ended = False

    @property
    def person_id(self) -> uuid.UUID | None:
        return self.row.person_id if self.row is not None else None

    def sign_in(self, person_id: uuid.UUID) -> None:
        """From now on this browser is ``person_id``'s, under a new session id (no fixation)."""
        self.rotate = True
        self.new_person = person_id
        self.modified = True

    def end(self) -> None:
        self.clear()
        self.ended = True


class PageSessions(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        raw_id = request.cookies.get(COOKIE)
        if not raw_id:
            return ServerSession()
        row = people.live_session(db.session(), raw_id)
        if row is None:
            db.session.commit()  # an expired session's row is deleted
            return ServerSession()
        found = ServerSession(json.loads(row.data), raw_id)
        found.row = row
        return found

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        assert isinstance(session, ServerSession)
        if session.ended or session.rotate:
            if session.raw_id:
                people.end_session(db.session(), session.raw_id)
            if session.ended:
                db.session.commit()
                response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="Lax")
                return
        if session.row is not None and not session.rotate:
            session.row.data = json.dumps(dict(session))
            session.row.last_seen_at = clock.now()
        elif session or session.rotate:
            person = getattr(session, "new_person", None) or session.person_id
            raw_id, _row = people.open_session(db.session(), dict(session), person)
            response.set_cookie(COOKIE, raw_id, path="/", secure=True, httponly=True, samesite="Lax")
        else:
            return
        db.session.commit()
