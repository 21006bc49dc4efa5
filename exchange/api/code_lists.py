"""`/v1/code-lists`: the HMCTS and DfE code lists the canonical model uses (public reference data)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from exchange.api.blueprint import Blueprint
from exchange.api.protect import public
from exchange.errors import NotFound
from schemas import code_lists

blp = Blueprint("code_lists", __name__, url_prefix="/v1/code-lists", description="Reference code lists.")


class CodeListSummarySchema(Schema):
    name = fields.String()
    description = fields.String()
    source = fields.String()
    licence = fields.String()


class CodeListPageSchema(Schema):
    items = fields.List(fields.Nested(CodeListSummarySchema))
    next_cursor = fields.String(allow_none=True)


class CodeListSchema(CodeListSummarySchema):
    items = fields.List(
        fields.Dict(), metadata={"description": "Entries: code, label, and for some lists agency or country."}
    )
    next_cursor = fields.String(allow_none=True)


@blp.route("", methods=["GET"])
@blp.response(200, CodeListPageSchema)
@blp.doc(security=[])
@public
def index() -> dict[str, Any]:
    """Every code list, with where it comes from and its licence."""
    items = [{"name": name, **code_lists.describe(name)} for name in code_lists.names()]
    return {"items": items, "next_cursor": None}


@blp.route("/<name>", methods=["GET"])
@blp.response(200, CodeListSchema)
@blp.doc(security=[])
@public
def show(name: str) -> dict[str, Any]:
    """One code list's entries, in its source's order."""
    if name not in code_lists.names():
        raise NotFound("There is no code list with that name.")
    return {"name": name, **code_lists.describe(name), "items": code_lists.get(name), "next_cursor": None}
