"""The flask-smorest blueprint every API resource uses, with a request parser that fails safe.

JSON that the grammar allows but Python cannot hold (nesting deeper than the interpreter's recursion limit,
an integer longer than ``sys.int_info`` allows) is the client's error: a 400 problem, never a 500.
"""

from __future__ import annotations

import json
from typing import Any

import flask_smorest
from webargs.flaskparser import FlaskParser

from exchange.errors import BadRequest


class SafeJsonParser(FlaskParser):
    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs answers it as malformed JSON
        except (RecursionError, ValueError):
            raise BadRequest(
                "The JSON body is nested too deeply or holds a number too long to read."
            ) from None


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SafeJsonParser()
