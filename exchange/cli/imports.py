"""`exchange import FILE --org ID [--profile P] [--collection-year Y] [--findings OUT.csv]`: a file through
the intake pipeline.

The file is recorded and processed exactly as `POST /v1/submissions` would (raw body, submission row and
audit event first), but always at once, whatever its size, and read in place, never whole into memory; a
progress bar on stderr follows the bytes read, and the receipt (with the per-record report) is printed as
JSON on stdout. ``--collection-year`` names a statutory return's collection year, as the
``collection_year`` query parameter does; ``--findings`` writes every finding (DfE rules broken by stored
records) to a CSV file, as ``GET /v1/submissions/{id}/findings`` with ``Accept: text/csv`` does. Exit
status: 0 when at least one record was stored, 1 when the file was rejected, 2 on misuse.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from exchange import csv_out, pipeline
from exchange.bodies import Body
from exchange.cli import InputError
from exchange.db import db
from exchange.errors import DomainError
from exchange.models import Organisation
from exchange.store import findings as finding_store

#: the media type a file's extension implies; ``--media-type`` overrides
MEDIA_TYPES = {
    ".json": "application/json",
    ".xml": "application/xml",
    ".csv": "text/csv",
    ".zip": "application/zip",
}


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_id", required=True, help="The submitting organisation's id.")
@click.option(
    "--profile", help="The adapter, e.g. cin-census, ssda903, hmcts-fpl-ccd (default: by media type)."
)
@click.option("--media-type", help="Override the media type implied by the file's extension.")
@click.option("--atomic", is_flag=True, help="Store nothing unless every record is valid.")
@click.option(
    "--collection-year",
    type=int,
    help="A statutory return's collection year, the year it ends (SSDA903: 2024 or 2025); last year's "
    "return is then read from this organisation's submissions.",
)
@click.option(
    "--findings",
    "findings_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write every finding (DfE rule broken by a stored record) to this CSV file.",
)
@with_appcontext
def import_file(
    file: Path,
    org_id: str,
    profile: str | None,
    media_type: str | None,
    atomic: bool,
    collection_year: int | None,
    findings_file: Path | None,
) -> None:
    """Import a case file or a statutory return (CIN census XML, SSDA903 CSV, XML or a zip of its CSV
    tables) for an organisation."""
    org = db.session.get(Organisation, org_id)
    if org is None or org.kind != "local_authority":
        raise InputError("no local authority with this id", param_hint="--org")
    media_type = media_type or MEDIA_TYPES.get(file.suffix.lower())
    if media_type is None:
        raise InputError("give --media-type: the extension does not say", param_hint="FILE")
    settings = current_app.config["EXCHANGE_SETTINGS"]
    try:  # a type or profile no adapter reads: before the bar
        pipeline.select_adapter(media_type, profile, settings.reference, collection_year)
    except DomainError as error:
        raise InputError(error.detail or error.message, param_hint="FILE") from None
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[records]:,} records"),
        TimeElapsedColumn(),
    )
    with Body.from_path(file) as body, Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(file.name, total=body.size, records=0)
        submission = pipeline.submit(
            org,
            "operator",
            body,
            media_type,
            profile,
            session=db.session(),
            settings=settings,
            atomic=atomic,
            collection_year=collection_year,
            inline=True,
            progress=lambda records, read: bar.update(task, completed=read, records=records),
        )
        bar.update(task, completed=body.size)
    if findings_file is not None:
        rows = finding_store.csv_rows(db.session(), submission.id)
        with findings_file.open("w", encoding="utf-8", newline="") as out:
            out.writelines(csv_out.lines(finding_store.COLUMNS, rows))
    click.echo(json.dumps(pipeline.summary(submission), indent=2, default=str))
    sys.exit(1 if submission.status == "rejected" else 0)
