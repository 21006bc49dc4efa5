"""The flask-smorest blueprint every documented resource uses: a request parser that fails safe, and each
operation's access and shared error answers documented from what the exchange enforces.

A JSON body is refused the way ``POST /v1/submissions`` refuses one: a body of another media type (or
one with no ``Content-Type``) is a 415 problem; a body that is not JSON, or that the grammar allows but
Python cannot hold (nesting deeper than the interpreter's recursion limit, an integer longer than
``sys.int_info`` allows), is a 422 problem whose ``errors`` hold one fault with the canonical JSON
adapter's code and message (``json.malformed``, ``json.truncated``, ``json.too_deep`` …), never a 500.

In /openapi.json every operation gets, beside what its decorators document: ``security`` from the scope its
view declares (``exchange.api.protect``: ``[]`` for a public one, else the OAuth 2.0 scope it needs, which
``@blp.doc(security=...)`` may refine), 401 and 403 when it needs a token, 404 when its path names an object,
413 and 415 when it takes a body (422 too when that may be JSON), and 429 (every route is rate limited),
each unless the operation documents its own. The answers are the shared problem+json responses of
``exchange.api.ExchangeApi``. ``refuse_other_media_types`` is the 415 of every endpoint that reads a body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

import flask_smorest
from flask import Request
from webargs.core import is_json
from webargs.flaskparser import FlaskParser

from adapters.canonical_json import JSON_FAULTS
from exchange.api.protect import PUBLIC, scope_of
from exchange.errors import UnsupportedMediaType, ValidationFailed
from schemas import error_codes as codes

#: the OAuth 2.0 security scheme of /openapi.json
OAUTH2 = "oauth2"
TOO_DEEP = "The JSON nests too deeply to read."


def invalid_json(code: str, message: str | None = None) -> ValidationFailed:
    return ValidationFailed(
        "The body is not valid JSON.",
        errors=[{"pointer": "", "code": code, "message": message or JSON_FAULTS[code]}],
    )


def _fault(error: json.JSONDecodeError) -> str:
    if error.msg.startswith("Bytes decoding error"):  # webargs' wording for bytes that are not UTF-8
        return codes.JSON_INVALID_UTF8
    if error.msg == "Extra data":
        return codes.JSON_TRAILING_DATA
    return codes.JSON_TRUNCATED if error.pos >= len(error.doc.rstrip()) else codes.JSON_MALFORMED


def refuse_other_media_types(
    request: Request, accepted: Callable[[str], bool], name: str, **extensions: Any
) -> None:
    """415 when the request carries a body, or names a media type, that ``accepted`` refuses (``name``
    says which it takes); a request with neither is left to the endpoint."""
    if (request.mimetype or request.content_length) and not accepted(request.mimetype):
        raise UnsupportedMediaType(f"This endpoint reads {name} bodies only.", **extensions)


class SafeJsonParser(FlaskParser):
    def _raw_load_json(self, req: Any) -> Any:
        refuse_other_media_types(req, is_json, "application/json")
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs hands it to _handle_invalid_json_error
        except RecursionError:
            raise invalid_json(codes.JSON_TOO_DEEP, TOO_DEEP) from None
        except ValueError:  # an integer longer than Python converts
            raise invalid_json(codes.JSON_NUMBER_OUT_OF_RANGE) from None

    def _handle_invalid_json_error(self, error: Any, req: Any, *args: Any, **kwargs: Any) -> NoReturn:
        code = _fault(error) if isinstance(error, json.JSONDecodeError) else codes.JSON_INVALID_UTF8
        raise invalid_json(code)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SafeJsonParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_access_doc)

    def add_url_rule(
        self, rule: str, endpoint: str | None = None, view_func: Any = None, **kwargs: Any
    ) -> None:
        super().add_url_rule(rule, endpoint, view_func, **kwargs)
        documented = self._docs[self._endpoints[-1]]  # flask-smorest's (unique) name for this endpoint
        for method, info in documented.items():
            if method != "parameters":
                info["access"] = {"scope": scope_of(view_func), "names_object": "<" in rule}

    @staticmethod
    def _prepare_access_doc(doc: dict[str, Any], doc_info: dict[str, Any], **_: Any) -> dict[str, Any]:
        access = doc_info["access"]
        responses = doc.setdefault("responses", {})

        def unless_documented(status: int, name: str) -> None:  # flask-smorest keys its answers by int
            if status not in responses and str(status) not in responses:
                responses[str(status)] = name

        if access["scope"] == PUBLIC:
            doc["security"] = []
        else:
            doc["security"] = [{OAUTH2: [access["scope"]] if access["scope"] else []}]
            responses["401"] = "UNAUTHORIZED"
            responses["403"] = "FORBIDDEN"
        if access["names_object"]:
            unless_documented(404, "NOT_FOUND")
        body = doc.get("requestBody") or doc_info.get("manual_doc", {}).get("requestBody")
        if body:
            unless_documented(413, "REQUEST_ENTITY_TOO_LARGE")
            unless_documented(415, "UNSUPPORTED_MEDIA_TYPE")
            if any(is_json(media_type.split(";")[0]) for media_type in body.get("content", {})):
                unless_documented(422, "UNPROCESSABLE_ENTITY")
        responses["429"] = "TOO_MANY_REQUESTS"
        return doc
