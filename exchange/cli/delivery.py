"""Operator commands for delivery: ``exchange worker``, ``exchange deliveries list|replay``,
``exchange webhooks add|list``. Every command that changes something is written to the audit trail.
"""

from __future__ import annotations

import signal
import uuid

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from exchange.cli import InputError, _operator, _print
from exchange.db import db
from exchange.delivery import secret_store, subscriptions
from exchange.delivery import sender as delivery_sender
from exchange.models import Delivery, WebhookSubscription
from exchange.models.delivery import DELIVERY_STATUSES
from exchange.worker import Worker


@click.command("worker")
@click.option("--once", is_flag=True, help="Do everything that is due now, then exit.")
@click.option("--idle", default=1.0, show_default=True, help="Seconds to rest when nothing was due.")
@click.option("--json", "as_json", is_flag=True, help="With --once: print what was done as JSON.")
@with_appcontext
def worker(once: bool, idle: float, as_json: bool) -> None:
    """Deliver webhooks, mark overdue advice, process large submissions, sign audit checkpoints, publish
    the board figures."""
    settings = current_app.config["EXCHANGE_SETTINGS"]
    runner = Worker(checkpoint_every=settings.checkpoint_every, settings=settings)
    # stop when asked, after the work in hand; the handlers before are put back after (a process that runs
    # the command in-process, such as a test, keeps its own: its forked children must still die of SIGTERM)
    stop = signal.SIGTERM, signal.SIGINT
    before = {signum: signal.signal(signum, lambda *_: runner.stop.set()) for signum in stop}
    try:
        if once:
            tick = runner.drain()
            _print(
                vars(tick),
                as_json,
                f"submissions {tick.submissions}, deliveries {tick.deliveries}, "
                f"overdue {tick.overdue}, checkpoints {tick.checkpoints}, purged {tick.purged}, "
                f"publications {tick.publications}",
            )
            return
        click.echo(f"worker {runner.sender.worker_id} running; stop with SIGTERM", err=True)
        runner.run(idle)
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


deliveries_cli = AppGroup(
    "deliveries", help="The webhook outbox: what was sent, what is waiting, dead letters."
)


@deliveries_cli.command("list")
@click.option("--status", type=click.Choice(DELIVERY_STATUSES), help="Only deliveries in this state.")
@click.option("--org", "org_id", help="Only deliveries to this organisation.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
def deliveries_list(status: str | None, org_id: str | None, limit: int, as_json: bool) -> None:
    """Newest first: id, organisation, event, status, attempts, last error."""
    query = select(Delivery).order_by(Delivery.seq.desc()).limit(limit)
    if status:
        query = query.where(Delivery.status == status)
    if org_id:
        query = query.where(Delivery.org_id == org_id)
    rows = [d.summary() for d in db.session.scalars(query)]
    _print(
        rows,
        as_json,
        "\n".join(
            f"{r['id']}  {r['org_id']:<20} {r['event_type']:<20} {r['status']:<9} "
            f"attempts {r['attempts']}  {r['last_error'] or ''}"
            for r in rows
        )
        or "no deliveries",
    )


@deliveries_cli.command("replay")
@click.option("--id", "delivery_ids", multiple=True, type=click.UUID, help="A dead letter to send again.")
@click.option("--all-dead", is_flag=True, help="Every dead letter.")
@click.option("--json", "as_json", is_flag=True)
def deliveries_replay(delivery_ids: tuple[uuid.UUID, ...], all_dead: bool, as_json: bool) -> None:
    """Put dead letters back in the outbox with their attempts reset; receivers see the same webhook-id."""
    if not delivery_ids and not all_dead:
        raise click.UsageError("give --id ID (repeatable) or --all-dead")
    count = delivery_sender.replay(db.session, delivery_ids, all_dead=all_dead)
    _operator("deliveries_replay", "delivery", list(delivery_ids), {"replayed": count, "all_dead": all_dead})
    db.session.commit()
    _print({"replayed": count}, as_json, f"{count} dead letter(s) queued again")


webhooks_cli = AppGroup("webhooks", help="Partners' webhook endpoints.")


@webhooks_cli.command("add")
@click.option("--org", "org_id", required=True, help="The organisation the deliveries are for.")
@click.option(
    "--url",
    required=True,
    help="https:// to a public address (also loopback, http or https, if EXCHANGE_WEBHOOK_ALLOW_LOOPBACK=1)",
)
@click.option("--events", required=True, help='Space-separated, e.g. "advice.requested case.changed".')
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "org_id", "url", "events", "secret"}.')
def webhooks_add(org_id: str, url: str, events: str, as_json: bool) -> None:
    """Register an endpoint; its signing secret is printed once (stored encrypted, never shown again)."""
    try:
        row, secret = subscriptions.add(db.session, org_id, url, events.split())
    except subscriptions.SubscriptionError as error:
        raise InputError(str(error)) from None
    _operator("webhooks_add", "webhook_subscription", [row.id], {"org": org_id, "events": row.events})
    db.session.commit()
    result = {"id": str(row.id), "org_id": org_id, "url": url, "events": row.events, "secret": secret}
    _print(result, as_json, f"subscription {row.id}\nsecret: {secret}  (shown once)")


@webhooks_cli.command("new-key")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def webhooks_new_key(path: str) -> None:
    """Write a new webhook-secrets key to PATH (mode 0600; an existing file is kept): name it in
    EXCHANGE_WEBHOOK_SECRETS_KEY for every web and worker process."""
    try:
        secret_store.create_key_file(path)
    except FileExistsError:
        raise InputError(f"{path} exists; a key file is never overwritten") from None
    except OSError as error:
        raise InputError(f"{path} cannot be written ({error.strerror})") from None
    click.echo(f"webhook-secrets key written to {path}; set {secret_store.KEY_ENV}={path}")


@webhooks_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def webhooks_list(as_json: bool) -> None:
    """Every subscription (never its secret)."""
    rows = [
        {
            "id": str(s.id),
            "org_id": s.org_id,
            "url": s.url,
            "events": s.events,
            "disabled": bool(s.disabled_at),
        }
        for s in db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.created_at))
    ]
    _print(
        rows,
        as_json,
        "\n".join(f"{r['id']}  {r['org_id']:<20} {r['url']}  {' '.join(r['events'])}" for r in rows),
    )


COMMANDS = (worker, deliveries_cli, webhooks_cli)
