"""Canonical schemas of the SSDA903 (children looked after) records, and the table definitions they rest on.

``TABLES`` is ``ssda903_tables.json``: every SSDA903 CSV table with its columns (type, whether it may be
blank, code lists by collection year, pattern, and the 903 rule id a fault in it is), derived from the
liia-tools-pipeline schema (sources and licences in ``xsd/ssda903/README.md``). The schemas accept a code of
any collection year 2017-2026: a stored record does not say which year's lists it was checked against.

Record kinds (``SCHEMAS``); every field but ``child_id`` may be null (a cell that breaks its column is
stored as missing, with a finding; a required column is still always given):

- ``looked_after_child`` (the header table): ``child_id``, ``sex`` (M/F/U), ``date_of_birth``,
  ``ethnicity``, ``upn`` (a UPN or UN1-UN5, DfE rule 168), ``mother`` (boolean or null),
  ``mother_child_dob``.
- ``legal_status_episode`` (the episodes table): ``child_id``, ``start_date``, ``reason_new_episode``,
  ``legal_status``, ``cin``, ``placement``, ``placement_provider``, ``end_date``, ``reason_episode_ceased``,
  ``reason_place_change``. Postcodes and the Ofsted URN are not part of it: they locate a child.
- ``ssda903_row`` (every other table): ``table``, ``child_id`` and ``fields``, the table's columns in lower
  case except the child's own ``CHILD``, ``DOB`` and ``SEX`` (carried once, on ``looked_after_child``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate

from schemas.base import Date, StrictBoolean, StrictSchema, bounded_string, code, strict_integer

TABLES: dict[str, dict[str, Any]] = json.loads(
    Path(__file__).with_name("ssda903_tables.json").read_text(encoding="utf-8")
)["tables"]
#: columns an ``ssda903_row`` does not carry: the child's own, carried once on ``looked_after_child``
ROW_NOT_CARRIED = frozenset({"CHILD", "DOB", "SEX"})
ROW_TABLES = tuple(table for table in TABLES if table not in ("header", "episodes"))
CHILD_ID_LENGTH = 64
TEXT_LENGTH = 64
#: bounds of an integer column the source schema leaves unbounded (the number of adopters)
INTEGER_BOUNDS = (0, 99)


def integer_bounds(spec: Mapping[str, Any]) -> tuple[int, int]:
    """The smallest and largest value of an integer column."""
    return spec.get("min", INTEGER_BOUNDS[0]), spec.get("max", INTEGER_BOUNDS[1])


def all_codes(spec: Mapping[str, Any]) -> list[str]:
    """Every code a category column has had in any collection year, in first-seen order."""
    return list(dict.fromkeys(code for codes in spec["codes"].values() for code in codes))


def column_field(table: str, column: str) -> fields.Field:
    """The marshmallow field of one column of ``table`` (blank columns are null)."""
    spec = TABLES[table]["columns"][column]
    # a required column is always given but may be null: a faulty cell is stored as missing, with a finding
    options: dict[str, Any] = (
        {"required": True, "allow_none": True}
        if spec["required"]
        else {"allow_none": True, "load_default": None}
    )
    if spec["type"] == "date":
        return Date(**options)
    if spec["type"] == "integer":
        return strict_integer(*integer_bounds(spec), **options)
    if spec["type"] == "category":
        allowed = all_codes(spec)
        return bounded_string(
            max(map(len, allowed)),
            validate=validate.OneOf(allowed, error=f"Not an SSDA903 {column} code."),
            **options,
        )
    pattern = [validate.Regexp(f"(?:{spec['pattern']})\\Z")] if "pattern" in spec else []
    return bounded_string(TEXT_LENGTH, validate=pattern, **options)


class LookedAfterChildSchema(StrictSchema):
    """A child of the SSDA903 header table."""

    child_id = bounded_string(CHILD_ID_LENGTH, required=True)
    sex = code("sexes", required=True, allow_none=True)
    date_of_birth = column_field("header", "DOB")
    ethnicity = code("ethnicities", required=True, allow_none=True)
    upn = column_field("header", "UPN")
    mother = StrictBoolean(allow_none=True, load_default=None)
    mother_child_dob = column_field("header", "MC_DOB")


class LegalStatusEpisodeSchema(StrictSchema):
    """One episode of care: a period under one legal status and placement (SSDA903 episodes table)."""

    child_id = bounded_string(CHILD_ID_LENGTH, required=True)
    start_date = column_field("episodes", "DECOM")
    reason_new_episode = column_field("episodes", "RNE")
    legal_status = code("legal_statuses", required=True, allow_none=True)
    cin = column_field("episodes", "CIN")
    placement = column_field("episodes", "PLACE")
    placement_provider = column_field("episodes", "PLACE_PROVIDER")
    end_date = column_field("episodes", "DEC")
    reason_episode_ceased = column_field("episodes", "REC")
    reason_place_change = column_field("episodes", "REASON_PLACE_CHANGE")


#: the schema of ``ssda903_row.fields`` for each table
ROW_FIELD_SCHEMAS: dict[str, Schema] = {
    table: StrictSchema.from_dict(
        {
            column.lower(): column_field(table, column)
            for column in TABLES[table]["columns"]
            if column not in ROW_NOT_CARRIED
        },
        name=f"Ssda903{table.title().replace('_', '')}Fields",
    )()
    for table in ROW_TABLES
}


class RowFields(fields.Field):
    """The ``fields`` of an ``ssda903_row``, checked by the schema of the row's ``table``."""

    default_error_messages = {"table": "No fields can be checked without a known table."}

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        schema = ROW_FIELD_SCHEMAS.get(data.get("table")) if isinstance(data, Mapping) else None
        if schema is None:
            raise self.make_error("table")
        return schema.load(value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else ROW_FIELD_SCHEMAS[obj["table"]].dump(value)


class Ssda903RowSchema(StrictSchema):
    """One row of an SSDA903 table other than header and episodes."""

    table = bounded_string(TEXT_LENGTH, required=True, validate=validate.OneOf(ROW_TABLES))
    child_id = bounded_string(CHILD_ID_LENGTH, required=True)
    # "fields" would shadow Schema.fields: the attribute has another name, the data keeps the key
    row_fields = RowFields(required=True, data_key="fields")


SCHEMAS: dict[str, type[StrictSchema]] = {
    "looked_after_child": LookedAfterChildSchema,
    "legal_status_episode": LegalStatusEpisodeSchema,
    "ssda903_row": Ssda903RowSchema,
}
