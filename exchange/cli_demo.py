"""`exchange demo`: a working exchange on SQLite with SYNTHETIC data, partners of every kind, how to call it.

It migrates the database, creates demo organisations and clients of every kind, loads a synthetic national
data set through the intake pipeline (``exchange.demo``; a progress bar on stderr), prints each client's
credentials and a curl line for each flow, then serves on http://127.0.0.1:8000 unless ``--no-serve``.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from exchange import demo
from exchange.cli import db_upgrade
from exchange.db import db
from exchange.metrics import publication
from exchange.settings import DEFAULT_INSTANCE

HOST, PORT = "127.0.0.1", 8000
SHOWCASE_AREA = "CENTRAL_LONDON"
#: the share of the national care volume loaded by default (private law: a fifth of it): the pipeline
#: stores about 150 cases a second on SQLite, so three years of the whole nation would take over 20 minutes
DEFAULT_SCALE = 0.08


def _write_examples(folder: Path, today: date) -> tuple[Path, Path]:
    """Example request bodies for the curl lines: a care case of the showcase LA at its area's court, and a
    private-law safeguarding-letter request for that court, its first hearing in five weeks."""
    folder.mkdir(parents=True, exist_ok=True)
    la_code, court = demo.demo_areas()[SHOWCASE_AREA]
    case = {
        "reference": f"DEMO-{today:%Y%m%d}-0001",
        "law": "public",
        "application_type": "C110A",
        "orders_sought": ["CARE_ORDER", "INTERIM_CARE_ORDER"],
        "applicant_la": la_code,
        "court": court,
        "date_received": (today - timedelta(days=2)).isoformat(),
        "date_issued": (today - timedelta(days=1)).isoformat(),
        "children": [
            {"la_child_id": "DEMO-CHILD-1", "date_of_birth": "2019-04-02", "sex": "F"},
            {"la_child_id": "DEMO-CHILD-2", "date_of_birth": "2021-09-15", "sex": "M"},
        ],
    }
    advice = {
        "case": {
            "law": "private",
            "court": "115",
            "application_type": "C100",
            "children": [{"date_of_birth": "2017-06-01", "sex": "M"}],
        },
        "type": "safeguarding_letter",
        "hearing_date": (today + timedelta(weeks=5)).isoformat(),
    }
    paths = folder / "case.json", folder / "advice-request.json"
    for path, body in zip(paths, (case, advice), strict=True):
        path.write_text(json.dumps(body, indent=2) + "\n")
    return paths


def _instructions(clients: list[demo.Client], base: str, quarter: str, examples: tuple[Path, Path]) -> str:
    lines = ["", "Demo clients (SYNTHETIC data; secrets shown once):"]
    lines += [f"  {c.kind:<16} {c.org_id:<22} {c.client_id}  {c.client_secret}" for c in clients]
    lines += ["", "Get a token (client_secret_basic), e.g. for the first client:"]
    first = clients[0]
    lines.append(
        f"  TOKEN=$(curl -s -u '{first.client_id}:{first.client_secret}' -d grant_type=client_credentials "
        f"{base}/oauth/token | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
    )
    by_kind = {(c.kind, c.org_id): c for c in clients}
    flows = [
        (
            "local_authority",
            "submit a case",
            f'curl -s -X POST -H "Authorization: Bearer $TOKEN" '
            f"-H 'Content-Type: application/json' --data @{examples[0]} {base}/v1/submissions",
        ),
        ("local_authority", "read its cases", f'curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/cases'),
        ("court", "read its court's cases", f'curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/cases'),
        (
            "court",
            "ask Cafcass for advice",
            f'curl -s -X POST -H "Authorization: Bearer $TOKEN" '
            f"-H 'Content-Type: application/json' --data @{examples[1]} {base}/v1/advice-requests",
        ),
        ("cafcass", "read the change feed", f'curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/feed'),
        (
            "cafcass",
            "list advice requests",
            f'curl -s -H "Authorization: Bearer $TOKEN" {base}/v1/advice-requests',
        ),
        (
            "lfjb",
            "pull its metrics as CSV",
            f"curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Accept: text/csv' "
            f"'{base}/v1/metrics?area=CENTRAL_LONDON&period=quarter'",
        ),
        (
            "lfjb",
            "its quarterly pack (HTML)",
            f"curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Accept: text/html' "
            f"'{base}/v1/metrics/pack?area=CENTRAL_LONDON&quarter={quarter}' -o pack.html",
        ),
        (
            "lfjb",
            "the same pack as PDF",
            f"curl -s -H \"Authorization: Bearer $TOKEN\" -H 'Accept: application/pdf' "
            f"'{base}/v1/metrics/pack?area=CENTRAL_LONDON&quarter={quarter}' -o pack.pdf",
        ),
        (
            "fjb",
            "every area's metrics",
            f"curl -s -H \"Authorization: Bearer $TOKEN\" '{base}/v1/metrics?period=year'",
        ),
    ]
    lines += ["", "Then, with a token of the client of that kind:"]
    for kind, what, curl in flows:
        client = next(c for (k, _), c in by_kind.items() if k == kind)
        lines += [f"  # {kind} ({client.client_id}): {what}", f"  {curl}"]
    lines += ["", f"API description: {base}/openapi.json  ·  docs: {base}/docs"]
    return "\n".join(lines)


@click.command("demo")
@click.option(
    "--years", default=3, show_default=True, type=click.IntRange(1, 10), help="Years of cases to load."
)
@click.option("--seed", default=1, show_default=True, type=int, help="The same seed gives the same data.")
@click.option(
    "--scale",
    default=DEFAULT_SCALE,
    show_default=True,
    type=click.FloatRange(0.001, 1.0),
    help="Share of the national 16,000 care cases a year to load (of the 50,000 private-law: a fifth of it).",
)
@click.option("--no-serve", is_flag=True, help="Load and print, then exit instead of serving.")
@click.option("--json", "as_json", is_flag=True, help="Print the clients and the load summary as JSON.")
@click.pass_context
@with_appcontext
def demo_command(
    ctx: click.Context, years: int, seed: int, scale: float, no_serve: bool, as_json: bool
) -> None:
    """Run the exchange with SYNTHETIC demo partners and data (what `make demo` runs)."""
    ctx.invoke(db_upgrade, revision="head")
    clients, submitters = demo.create_partners(db.session)
    started = time.perf_counter()
    today = date.today()
    with Progress(
        TextColumn("loading SYNTHETIC cases"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("load", total=None)
        loaded = demo.load(
            submitters,
            seed=seed,
            years=years,
            today=today,
            scale=scale,
            progress=lambda done, in_all: bar.update(task, completed=done, total=in_all),
        )
    publication.publish(db.session, today)  # what the worker would do next; the demo runs no worker
    loaded["seconds"] = round(time.perf_counter() - started, 1)
    quarter = f"{today.year - (today.month <= 3)}Q{(today.month - 1) // 3 or 4}"
    if as_json:
        click.echo(json.dumps({"clients": [c.__dict__ for c in clients], "loaded": loaded}, indent=2))
    else:
        click.echo(
            f"SYNTHETIC data loaded through the pipeline: {loaded['accepted']:,} of {loaded['cases']:,} "
            f"cases in {loaded['submissions']} submissions, {loaded['seconds']} s "
            f"(scale {scale}, {years} years, seed {seed})"
        )
        examples = _write_examples(DEFAULT_INSTANCE / "demo", today)
        click.echo(_instructions(clients, f"http://{HOST}:{PORT}", quarter, examples))
    if not no_serve:
        from werkzeug.serving import run_simple

        click.echo(f"\nServing on http://{HOST}:{PORT} (Ctrl+C to stop)")
        run_simple(HOST, PORT, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]
