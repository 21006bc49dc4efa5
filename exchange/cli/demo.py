"""`exchange demo`: a working exchange on SQLite with SYNTHETIC data, partners of every kind, how to call it.

When it is to serve, it first takes its address (``--host``, ``--port``; 127.0.0.1:8000): a port in use
stops it with one line before anything is loaded. It then migrates the database, creates demo
organisations and clients of every kind, loads a synthetic national data set through the intake pipeline
(``exchange.demo``; a progress bar on stderr), submits an example case and asks for advice twice, and
writes to ``<instance path>/demo/`` the id and secret of every demo client (``clients.env``, shell
``export`` lines, mode 0600, with the demo's webhook settings: the webhook-secrets key file it keeps
there, ``webhook-secrets.key``, and loopback receivers allowed), every example request body and a CIN
census return. It prints a token line
per kind of partner and a working line for every flow (with ``--json``: all of it as JSON, and nothing
else on stdout), then serves on the address it took, unless ``--no-serve``.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import socket
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from werkzeug.serving import make_server, select_address_family

from adapters.cin_census import YEARS
from exchange import clock, demo
from exchange import people as people_service
from exchange.auth import keys
from exchange.cli import upgrade_database
from exchange.db import db
from exchange.delivery import secret_store, targets
from exchange.keystore.envelope import EnvelopeStore, generate_kek
from exchange.metrics import publication
from exchange.models import Person
from exchange.synthetic_cin import write_census

HOST, PORT, IDP_PORT = "127.0.0.1", 8000, 8010
CIN_CHILDREN = 50
LA, COURT, CAFCASS, LFJB, FJB = "local_authority", "court", "cafcass", "lfjb", "fjb"
JSON_BODY = "-H 'Content-Type: application/json'"


@dataclass(frozen=True)
class Flow:
    """One thing a partner does, and the shell line that does it."""

    kind: str
    what: str
    command: str


def _listen(host: str, port: int) -> socket.socket:
    """The demo's listening socket, taken before anything is loaded; a port in use is one line, exit 1."""
    listener = socket.socket(select_address_family(host, port), socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server would
        listener.bind((host, port))
        listener.listen()
    except OSError as error:
        listener.close()
        hint = (
            "is a demo running already? Stop it, or choose another port (exchange demo --port 8001, "
            "make demo DEMO_PORT=8001)"
            if error.errno == errno.EADDRINUSE
            else "choose another address (exchange demo --host 127.0.0.1, make demo DEMO_HOST=127.0.0.1)"
        )
        reason = error.strerror or error
        raise click.ClickException(f"cannot serve on {host}:{port} ({reason}): {hint}") from None
    return listener


def _shell_name(client: demo.Client) -> str:
    """A client's prefix in the shell: its organisation's id without ``demo-`` (LA_201, COURT, …)."""
    return client.org_id.removeprefix(demo.DEMO_PREFIX).upper().replace("-", "_")


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), whatever the file's mode was."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def _clients_env(clients: list[demo.Client], database_url: str, webhook_key: Path) -> str:
    lines = [
        "# exchange demo: every SYNTHETIC demo partner's OAuth client (client_secret_basic) and the demo's",
        "# database and webhook settings (for `exchange import`, `exchange webhooks add`, `exchange worker`)",
        "# Secrets: keep this file to yourself. In bash or zsh: source it.",
        f"export EXCHANGE_DATABASE_URL={shlex.quote(database_url)}",
        f"export {secret_store.KEY_ENV}={shlex.quote(str(webhook_key))}",
        f"export {targets.LOOPBACK_ENV}=1",
    ]
    for client in clients:
        name = _shell_name(client)
        lines.append(f"export {name}_CLIENT_ID={shlex.quote(client.client_id)}")
        lines.append(f"export {name}_CLIENT_SECRET={shlex.quote(client.client_secret)}")
    return "\n".join(lines) + "\n"


def _write_files(
    folder: Path, bodies: dict[str, dict[str, Any]], clients: list[demo.Client], la_code: str, seed: int
) -> Path:
    """The example bodies, a small CIN census return of the showcase LA, the webhook-secrets key (kept if
    there already) and ``clients.env`` (its path)."""
    folder.mkdir(parents=True, exist_ok=True)
    webhook_key = folder / "webhook-secrets.key"
    if not webhook_key.exists():
        secret_store.create_key_file(webhook_key)
    for name, body in bodies.items():
        (folder / name).write_text(json.dumps(body, indent=2) + "\n")
    write_census(folder / "cin-census.xml", CIN_CHILDREN, year=YEARS[-1], seed=seed, la_code=la_code)
    env = folder / "clients.env"
    _write_private(
        env, _clients_env(clients, current_app.config["EXCHANGE_SETTINGS"].database_url, webhook_key)
    )
    return env


def _token_line(client: demo.Client, base: str) -> str:
    name = _shell_name(client)
    return (
        f'{name}_TOKEN=$(curl -s -u "${name}_CLIENT_ID:${name}_CLIENT_SECRET" '
        f"-d grant_type=client_credentials {base}/oauth/token "
        """| python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"""
    )


def _flows(
    by_kind: dict[str, demo.Client], base: str, folder: Path, shown: demo.Showcase, quarter: str
) -> list[Flow]:
    def curl(kind: str, path: str, *options: str) -> str:
        bearer = f'-H "Authorization: Bearer ${_shell_name(by_kind[kind])}_TOKEN"'
        return " ".join(["curl -s", bearer, *options, shlex.quote(base + path)])

    def body(name: str) -> str:
        return f"{JSON_BODY} --data-binary {shlex.quote('@' + str(folder / name))}"

    def saved(name: str) -> str:
        return f"-o {shlex.quote(str(folder / name))}"

    area, submitter = demo.SHOWCASE_AREA, by_kind[LA]
    figures = f"/v1/metrics?area={area}&period=quarter"
    pack = f"/v1/metrics/pack?area={area}&quarter={quarter}"
    requests = "/v1/advice-requests"
    exchange = Path(sys.executable).with_name("exchange")
    return [
        Flow(LA, "submit a care case (canonical JSON)", curl(LA, "/v1/submissions", body("case.json"))),
        Flow(LA, "a submission's status and report", curl(LA, f"/v1/submissions/{shown.submission_id}")),
        Flow(
            LA,
            "post an event: a hearing listed",
            curl(LA, f"/v1/cases/{shown.case_id}/events", body("event.json")),
        ),
        Flow(COURT, "read the case, as a court sees it", curl(COURT, f"/v1/cases/{shown.case_id}")),
        Flow(COURT, "ask Cafcass for advice", curl(COURT, requests, body("advice-request.json"))),
        Flow(
            CAFCASS,
            "acknowledge a request",
            curl(CAFCASS, f"{requests}/{shown.to_answer}/acknowledge", "-X POST"),
        ),
        Flow(
            CAFCASS, "answer it", curl(CAFCASS, f"{requests}/{shown.to_answer}/advice", body("advice.json"))
        ),
        Flow(
            COURT,
            "withdraw another request",
            curl(COURT, f"{requests}/{shown.to_withdraw}/withdraw", "-X POST"),
        ),
        Flow(CAFCASS, "follow its cases: the change feed", curl(CAFCASS, "/v1/feed")),
        Flow(LFJB, "its area's quarterly figures (JSON)", curl(LFJB, figures)),
        Flow(LFJB, "the same as CSV", curl(LFJB, figures, "-H 'Accept: text/csv'")),
        Flow(
            LFJB,
            f"its performance pack for {quarter} (HTML)",
            curl(LFJB, pack, "-H 'Accept: text/html'", saved("pack.html")),
        ),
        Flow(
            LFJB, "the same pack as PDF", curl(LFJB, pack, "-H 'Accept: application/pdf'", saved("pack.pdf"))
        ),
        Flow(FJB, "every area's yearly figures", curl(FJB, "/v1/metrics?period=year")),
        Flow(
            LA,
            "import a CIN census return from a file (over HTTP: POST /v1/submissions with "
            "Content-Type: application/xml; profile=cin-census)",
            f"{shlex.quote(str(exchange if exchange.exists() else 'exchange'))} import "
            f"{shlex.quote(str(folder / 'cin-census.xml'))} --org {submitter.org_id} --profile cin-census",
        ),
    ]


def _instructions(
    clients: list[demo.Client], env: Path, tokens: dict[str, str], flows: list[Flow], base: str
) -> str:
    lines = ["", f"Demo partners (SYNTHETIC); every demo client's id and secret is in {env} (mode 0600):"]
    lines += [f"  {c.kind:<16} {c.org_id:<22} {c.client_id}" for c in clients]
    lines += [
        "",
        "Try it in bash or zsh: the clients, a token for each kind of partner (client_secret_basic, 300 s),",
        f"then every flow. The request bodies are in {env.parent}; the ids are of the case and advice",
        "requests the demo made (a request is acknowledged, answered or withdrawn once; again is a 409):",
        f"  source {shlex.quote(str(env))}",
        *(f"  {line}" for line in tokens.values()),
    ]
    for flow in flows:
        lines += [f"  # {flow.kind}: {flow.what}", f"  {flow.command}"]
    lines += ["", f"API description: {base}/openapi.json  ·  docs: {base}/docs"]
    return "\n".join(lines)


def _demo_key_store(settings: Any) -> None:
    """Without a configured key store the demo keeps its keys sealed under a key-encryption key of its own,
    made once in its instance folder (``key-encryption.key``, mode 0600) and reused by later runs."""
    if settings.key_store != "envelope" or settings.key_encryption_key:
        return
    path = Path(current_app.instance_path) / "key-encryption.key"
    if not path.exists():
        generate_kek(path)
    ring = current_app.extensions[keys.EXTENSION]
    ring.store = EnvelopeStore(str(path))
    ring.invalidate()


def _development_provider(
    stack: ExitStack, port: int, by_kind: dict[str, demo.Client], base: str, as_json: bool
) -> None:
    """The development OpenID provider (``oidc-provider-mock``, the ``dev-idp`` extra) on ``port``, with one
    demo person (an editor) per kind of demo organisation, each organisation signing in with it (where the
    extra is not installed, a line says so). It listens on this machine only, until ``stack`` closes. The
    providers' client secrets are sealed by the demo's key store."""
    try:
        import oidc_provider_mock
    except ImportError:
        click.echo("(pages: install the dev-idp extra for the development sign-in)", err=True)
        return
    people = [(client.org_id, f"{kind.replace('_', '-')}-demo") for kind, client in by_kind.items()]
    users = [oidc_provider_mock.User(sub=sub, claims={"email": f"{sub}@demo.example"}) for _o, sub in people]
    server = stack.enter_context(oidc_provider_mock.run_server_in_thread(port=port, user_claims=users))
    issuer = f"http://127.0.0.1:{server.server_port}"
    for org_id, sub in people:
        people_service.set_provider(db.session, org_id, issuer, f"exchange-{org_id}", "development", None)
        if db.session.scalar(select(Person.id).where(Person.org_id == org_id, Person.subject == sub)) is None:
            people_service.add_person(db.session, org_id, "editor", subject=sub)
    db.session.commit()
    lines = "\n".join(f"  {sub:<24} {org_id}" for org_id, sub in people)
    click.echo(
        f"\nPages: sign in at {base}/sign-in with the development OpenID provider at {issuer}\n"
        f"(no password: choose the person)\n{lines}",
        err=as_json,
    )


@click.command("demo")
@click.option(
    "--years", default=3, show_default=True, type=click.IntRange(1, 10), help="Years of cases to load."
)
@click.option("--seed", default=1, show_default=True, type=int, help="The same seed gives the same data.")
@click.option(
    "--scale",
    default=demo.DEFAULT_SCALE,
    show_default=True,
    type=click.FloatRange(0.001, 1.0),
    help="Share of the nation to load: of its 16,000 care and 50,000 private-law cases a year.",
)
@click.option("--host", default=HOST, show_default=True, help="The address to serve on.")
@click.option(
    "--port", default=PORT, show_default=True, type=click.IntRange(0, 65535), help="0: any free port."
)
@click.option(
    "--idp-port",
    default=IDP_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Where the development OpenID provider the pages sign in with listens (0: any free port).",
)
@click.option("--no-serve", is_flag=True, help="Load and print, then exit instead of serving.")
@click.option("--json", "as_json", is_flag=True, help="Print only JSON on stdout: clients, load, flows.")
@with_appcontext
def demo_command(
    years: int, seed: int, scale: float, host: str, port: int, idp_port: int, no_serve: bool, as_json: bool
) -> None:
    """Run the exchange with SYNTHETIC demo partners and data (what `make demo` runs)."""
    listener = None if no_serve else _listen(host, port)
    base = f"http://{host}:{listener.getsockname()[1] if listener else port}"
    settings = current_app.config["EXCHANGE_SETTINGS"]
    _demo_key_store(settings)
    upgrade_database()
    clients, submitters = demo.create_partners(db.session, settings.reference)
    started = time.perf_counter()
    now = clock.now().astimezone(clock.LONDON)  # London's, so that the example event is dated today
    today = now.date()
    with Progress(
        TextColumn("loading SYNTHETIC cases"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        auto_refresh=False,  # no refreshing thread: the load forks, and a fork copies only this thread
    ) as bar:
        task = bar.add_task("load", total=None)
        loaded = demo.load(
            submitters,
            session=db.session(),
            settings=settings,
            seed=seed,
            years=years,
            today=today,
            scale=scale,
            progress=lambda done, in_all: bar.update(task, completed=done, total=in_all, refresh=True),
        )
    loaded["seconds"] = round(time.perf_counter() - started, 1)
    courts = demo.area_courts(db.session, settings.reference)
    loaded["census_records"] = demo.submit_census(
        submitters, session=db.session(), settings=settings, seed=seed, scale=scale
    )
    loaded["advice_requests"] = demo.ask_for_advice(db.session(), settings, courts, seed=seed, today=today)
    loaded["all_seconds"] = round(time.perf_counter() - started, 1)
    by_kind: dict[str, demo.Client] = {}
    for client in clients:
        by_kind.setdefault(client.kind, client)  # the first client of each kind
    bodies = demo.examples(now, settings.reference)
    shown = demo.showcase(db.session(), settings, submitters[demo.SHOWCASE_AREA], by_kind[COURT], bodies)
    publication.publish(db.session(), settings.reference, today)  # what the worker does; the demo runs none
    folder = Path(current_app.instance_path) / "demo"
    la_code = submitters[demo.SHOWCASE_AREA][0].la_code
    env = _write_files(folder, bodies, [*clients, *(c for _, c in submitters.values())], la_code, seed)
    quarter = f"{today.year - (today.month <= 3)}Q{(today.month - 1) // 3 or 4}"
    tokens = {kind: _token_line(client, base) for kind, client in by_kind.items()}
    flows = _flows(by_kind, base, folder, shown, quarter)
    if as_json:
        summary = {
            "url": base,
            "clients": [asdict(c) for c in clients],
            "loaded": loaded,
            "clients_env": str(env),
            "showcase": asdict(shown),
            "tokens": tokens,
            "flows": [asdict(f) for f in flows],
        }
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(
            f"SYNTHETIC data loaded through the pipeline: {loaded['accepted']:,} of {loaded['cases']:,} "
            f"cases in {loaded['submissions']} submissions, {loaded['seconds']} s "
            f"(scale {scale}, {years} years, seed {seed}); {loaded['census_records']:,} CIN census "
            f"records, {loaded['advice_requests']:,} advice requests; {loaded['all_seconds']} s in all"
        )
        click.echo(_instructions(clients, env, tokens, flows, base))
    if listener is not None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        server = make_server(host, port, app, threaded=True, fd=listener.fileno())
        listener.close()  # the server holds its own copy
        with ExitStack() as stack:
            _development_provider(stack, idp_port, by_kind, base, as_json)
            click.echo(f"\nServing on {base} (Ctrl+C to stop)", err=as_json)
            server.serve_forever()
