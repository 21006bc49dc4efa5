"""The `exchange` command line (click, through Flask's CLI): exit 0 on success, 1 on failure, 2 on misuse.

Every operator command that changes something is written to the audit trail. Every error is one line on
stderr, never a traceback: a wrong `EXCHANGE_*` setting (exit 2), a value the exchange refuses (exit 2),
a database that is missing or not migrated (exit 1, "run `exchange db upgrade`"), anything unexpected (exit
1, naming the error's class; `exchange --traceback …` shows the traceback, for a bug report).
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select

from exchange import audit, clock, create_app, migrations, witness
from exchange.api import context
from exchange.auth import binding
from exchange.auth import keys as signing_keys
from exchange.db import db
from exchange.models import AuditEvent, OAuthClient, Organisation, SigningKey
from exchange.models.oauth import AUTH_PRIVATE_KEY_JWT, AUTH_SECRET, hash_secret
from exchange.models.orgs import KIND_SCOPES, ORG_KINDS
from exchange.settings import ConfigurationError, sqlite_file

#: commands that work without a migrated database (by path below `exchange`; a group covers its commands):
#: every other command checks the database before it runs
NO_DATABASE = frozenset(
    {"db upgrade", "demo", "adapters", "routes", "shell", "openapi", "limiter", "webhooks new-key"}
)


class InputError(click.BadParameter):
    """A value that parses but that the exchange refuses (an id taken, a code unknown): one line, exit 2.
    (click's own usage errors, found while parsing, still show the usage.)"""

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


#: errors whose message says what to do: a wrong setting or configuration file (exit 2), a database that is
#: not ready (exit 1)
EXPLAINED = (ConfigurationError, migrations.NotReady)


def _one_line(error: Exception) -> click.ClickException:
    """What the operator sees of an error that is not the command's own: one line, never a traceback."""
    if isinstance(error, EXPLAINED):
        message, exit_code = str(error), 1 if isinstance(error, migrations.NotReady) else 2
    else:
        message = (
            f"the command failed unexpectedly ({type(error).__name__}); "
            "run it again as `exchange --traceback …` to see where"
        )
        exit_code = 1
    failure = click.ClickException(message)
    failure.exit_code = exit_code
    return failure


def _command_path(ctx: click.Context) -> str:
    """The command's names below `exchange`, e.g. "org add" ("" for `exchange` itself)."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def _app_for_command() -> Flask:
    """The app of a command; one that needs the database first checks that it is there and migrated."""
    app = create_app()
    path = _command_path(click.get_current_context())
    if path and path not in NO_DATABASE and path.split()[0] not in NO_DATABASE:
        migrations.check(app.config["EXCHANGE_SETTINGS"].database_url)
    return app


class Exchange(FlaskGroup):
    """Flask's command group with the exchange's errors (one line each) and version."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:  # Flask prints a traceback when the app cannot be built: say why, and list the rest
            ctx.ensure_object(ScriptInfo).load_app()
        except Exception as error:  # noqa: BLE001 - whatever it is, the help is still shown
            click.echo(f"Error: {_one_line(error).format_message()}", err=True)
            return sorted(self.commands)
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, EOFError):
            raise  # click shows these itself (end of input at a prompt is "Aborted!")
        except Exception as error:
            if ctx.params.get("traceback") and not isinstance(error, EXPLAINED):
                raise
            raise _one_line(error) from None


def _print(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


def _operator(
    action: str, resource_type: str, resource_ids: list[str], detail: dict[str, Any] | None = None
) -> None:
    audit.record(
        f"operator.{action}",
        "success",
        client_id="operator",
        resource_type=resource_type,
        resource_ids=resource_ids,
        detail=detail or {},
    )


main = Exchange(
    create_app=_app_for_command,
    add_default_commands=True,
    add_version_option=False,
    params=[
        click.Option(
            ["--traceback"],
            is_flag=True,
            help="On an unexpected error, print the Python traceback (for a bug report), not one line.",
        )
    ],
    help=__doc__,
)
click.version_option(
    package_name="family-justice-exchange", prog_name="exchange", message="%(prog)s %(version)s"
)(main)

# --- db -------------------------------------------------------------------------------------------
db_cli = AppGroup("db", help="Database schema migrations.")


def upgrade_database(revision: str = "head") -> None:
    """Apply the migrations, then make sure the exchange has a token key and an audit key in its key store
    (`exchange db upgrade`)."""
    url = current_app.config["EXCHANGE_SETTINGS"].database_url
    database_file = sqlite_file(url)
    if database_file is not None:
        database_file.parent.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(url, revision)
    ring = signing_keys.bound()
    for purpose in signing_keys.PURPOSES:
        current = select(SigningKey).where(SigningKey.purpose == purpose, SigningKey.retired_at.is_(None))
        if db.session.scalar(current.limit(1)) is None:
            key = signing_keys.create_key(db.session, ring.store, purpose)
            _operator("keys_created", "signing_key", [key.kid], {"purpose": purpose})
    ring.invalidate()
    _operator("db_upgrade", "database", [], {"revision": revision})
    db.session.commit()


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def db_upgrade(revision: str) -> None:
    """Apply the migrations, then make sure the exchange has its token and audit keys."""
    upgrade_database(revision)
    click.echo(f"database at {revision}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
def db_revision(message: str) -> None:
    """(Developers) autogenerate a migration from the models."""
    migrations.revision(current_app.config["EXCHANGE_SETTINGS"].database_url, message)


# --- organisations --------------------------------------------------------------------------------
org_cli = AppGroup("org", help="Partner organisations.")


@org_cli.command("add")
@click.option("--id", "org_id", required=True, help="A short stable id, e.g. camden.")
@click.option("--kind", required=True, type=click.Choice(ORG_KINDS))
@click.option("--name", help="Display name (defaults to the id).")
@click.option("--la-code", help="Local authorities: DfE 3-digit code (England) or ONS W06 code (Wales).")
@click.option(
    "--court-code", "court_codes", multiple=True, help="Courts: a FamilyMan court code (repeatable)."
)
@click.option("--dfj-area", "dfj_areas", multiple=True, help="Boards: a DFJ area code (repeatable).")
@click.option("--service", type=click.Choice(["cafcass", "cafcass_cymru"]), help="Cafcass: which service.")
@click.option("--json", "as_json", is_flag=True, help="Print the organisation as JSON.")
def org_add(
    org_id: str,
    kind: str,
    name: str | None,
    la_code: str | None,
    court_codes: tuple[str, ...],
    dfj_areas: tuple[str, ...],
    service: str | None,
    as_json: bool,
) -> None:
    """Register an organisation."""
    if not 0 < len(org_id) <= 64 or not org_id.replace("-", "").replace("_", "").isalnum():
        raise InputError("letters, digits, - and _ only, at most 64", param_hint="--id")
    if db.session.get(Organisation, org_id) is not None:
        raise InputError(f"organisation {org_id!r} exists already", param_hint="--id")
    if (kind == "local_authority") != bool(la_code):
        raise InputError(
            "a local authority needs --la-code, and only a local authority", param_hint="--la-code"
        )
    reference = context.reference()
    if la_code and la_code not in reference.local_authorities:
        raise InputError(f"{la_code!r} is not a known LA code", param_hint="--la-code")
    holder = la_code and db.session.scalar(select(Organisation.id).where(Organisation.la_code == la_code))
    if holder:
        raise InputError(f"LA code {la_code} is registered already, to {holder!r}", param_hint="--la-code")
    if (kind == "court") != bool(court_codes):
        raise InputError("a court needs --court-code, and only a court", param_hint="--court-code")
    unknown = [c for c in court_codes if c not in reference.courts]
    if unknown:
        raise InputError(f"unknown court code(s): {', '.join(unknown)}", param_hint="--court-code")
    if (kind == "lfjb") != bool(dfj_areas):
        raise InputError("a board (lfjb) needs --dfj-area, and only a board", param_hint="--dfj-area")
    unknown = [a for a in dfj_areas if a not in reference.dfj_areas]
    if unknown:
        raise InputError(f"unknown DFJ area(s): {', '.join(unknown)}", param_hint="--dfj-area")
    if kind == "cafcass" and not service:
        raise InputError("Cafcass needs --service cafcass or cafcass_cymru", param_hint="--service")
    org = Organisation(
        id=org_id,
        kind=kind,
        name=name or org_id,
        la_code=la_code,
        court_codes=list(court_codes),
        dfj_areas=list(dfj_areas),
        service=service if kind == "cafcass" else None,
    )
    db.session.add(org)
    _operator("org_add", "organisation", [org_id], {"kind": kind})
    db.session.commit()
    _print(org.as_dict(), as_json, f"organisation {org_id} ({kind}) added")


@org_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def org_list(as_json: bool) -> None:
    """List the organisations."""
    orgs = [o.as_dict() for o in db.session.scalars(select(Organisation).order_by(Organisation.id))]
    _print(orgs, as_json, "\n".join(f"{o['id']}\t{o['kind']}\t{o['name']}" for o in orgs))


# --- clients --------------------------------------------------------------------------------------
client_cli = AppGroup("client", help="OAuth clients of the organisations.")


def _read_jwks(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
        key_set = KeySet.import_key_set(data)
    except (OSError, ValueError, JoseError, TypeError, KeyError):
        raise InputError("not a readable JWK set", param_hint="--jwks") from None
    if any(key.is_private for key in key_set.keys):
        raise InputError("the JWK set holds a private key: register public keys only", param_hint="--jwks")
    if not key_set.keys or any(key.key_type != "EC" for key in key_set.keys):
        raise InputError("register at least one EC P-256 key (ES256)", param_hint="--jwks")
    return key_set.as_dict(private=False)


@client_cli.command("add")
@click.option("--org", "org_id", required=True, help="The organisation's id.")
@click.option("--scopes", required=True, help='Space-separated, e.g. "cases:submit cases:read".')
@click.option(
    "--jwks",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The client's public JWK set: it authenticates with private_key_jwt (no secret).",
)
@click.option("--client-id", help="Choose the id (default: generated).")
@click.option(
    "--dpop", is_flag=True, help="Its tokens must be DPoP-bound (RFC 9449): no bearer token is issued to it."
)
@click.option("--json", "as_json", is_flag=True, help='Print {"client_id", "client_secret"}.')
def client_add(
    org_id: str, scopes: str, jwks: Path | None, client_id: str | None, dpop: bool, as_json: bool
) -> None:
    """Register a client; its secret is printed once and stored only as a hash."""
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise InputError(f"no organisation {org_id!r}", param_hint="--org")
    requested = set(scopes.split())
    if not requested or requested - KIND_SCOPES[org.kind]:
        allowed = " ".join(sorted(KIND_SCOPES[org.kind]))
        raise InputError(f"a {org.kind} may hold only: {allowed}", param_hint="--scopes")
    client_id = client_id or f"{org_id}-{secrets.token_hex(6)}"
    if db.session.get(OAuthClient, client_id) is not None:
        raise InputError(f"client {client_id!r} exists already", param_hint="--client-id")
    secret = None if jwks else secrets.token_urlsafe(32)
    db.session.add(
        OAuthClient(
            client_id=client_id,
            org_id=org_id,
            scope=" ".join(sorted(requested)),
            auth_method=AUTH_PRIVATE_KEY_JWT if jwks else AUTH_SECRET,
            secret_hash=hash_secret(secret) if secret else None,
            jwks=_read_jwks(jwks) if jwks else None,
            dpop_required=dpop,
        )
    )
    detail = {"org": org_id, "scope": " ".join(sorted(requested)), "dpop": dpop}
    _operator("client_add", "client", [client_id], detail)
    db.session.commit()
    result = {"client_id": client_id, "client_secret": secret}
    _print(
        result,
        as_json,
        f"client_id: {client_id}" + (f"\nclient_secret: {secret}  (shown once)" if secret else ""),
    )


def _client(client_id: str) -> OAuthClient:
    client = db.session.get(OAuthClient, client_id)
    if client is None:
        raise InputError(f"no client {client_id!r}", param_hint="--client")
    return client


def _forget(client_id: str) -> None:
    """This process sees the change at once; every other within ``binding.TTL`` seconds."""
    current_app.extensions[binding.EXTENSION].forget(client_id)


@client_cli.command("rotate")
@click.option("--client", "client_id", required=True)
@click.option(
    "--jwks", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="A new public JWK set."
)
@click.option("--json", "as_json", is_flag=True)
def client_rotate(client_id: str, jwks: Path | None, as_json: bool) -> None:
    """Replace a client's secret (or its JWK set); the old one, and the tokens it got, stop working."""
    client = _client(client_id)
    secret = None
    if client.auth_method == AUTH_PRIVATE_KEY_JWT:
        if jwks is None:
            raise InputError("this client uses private_key_jwt: give its new --jwks", param_hint="--jwks")
        client.jwks = _read_jwks(jwks)
    else:
        secret = secrets.token_urlsafe(32)
        client.secret_hash = hash_secret(secret)
    _operator("client_rotate", "client", [client_id])
    db.session.commit()
    _forget(client_id)
    result = {"client_id": client_id, "client_secret": secret}
    _print(
        result,
        as_json,
        f"client {client_id} rotated" + (f"\nclient_secret: {secret}  (shown once)" if secret else ""),
    )


@client_cli.command("revoke")
@click.option("--client", "client_id", required=True)
def client_revoke(client_id: str) -> None:
    """Stop a client: no new token, and the tokens it holds are refused (within seconds, everywhere)."""
    client = _client(client_id)
    client.revoked_at = client.revoked_at or clock.now()
    _operator("client_revoke", "client", [client_id])
    db.session.commit()
    _forget(client_id)
    click.echo(f"client {client_id} revoked")


# --- signing keys ---------------------------------------------------------------------------------
keys_cli = AppGroup("keys", help="The exchange's signing keys (held by the key store, never the database).")


@keys_cli.command("rotate")
@click.option(
    "--purpose",
    type=click.Choice(signing_keys.PURPOSES),
    default=signing_keys.TOKEN,
    show_default=True,
    help="token: access tokens and receipts; audit: audit checkpoints.",
)
@click.option("--json", "as_json", is_flag=True)
def keys_rotate(purpose: str, as_json: bool) -> None:
    """Start signing with a new key; what the previous key signed stays valid until it expires."""
    ring = signing_keys.bound()
    key = signing_keys.create_key(db.session, ring.store, purpose)
    _operator("keys_rotate", "signing_key", [key.kid], {"purpose": purpose})
    db.session.commit()
    ring.invalidate()
    _print({"kid": key.kid, "purpose": purpose}, as_json, f"signing {purpose}s with key {key.kid}")


# --- audit ----------------------------------------------------------------------------------------
audit_cli = AppGroup("audit", help="The hash-chained audit trail.")


@audit_cli.command("verify")
@click.option("--json", "as_json", is_flag=True)
def audit_verify(as_json: bool) -> None:
    """Recompute the chain and compare it with the latest witnessed checkpoint (EXCHANGE_AUDIT_WITNESS);
    exit 1 naming the first altered, deleted or reordered event, or the witnessed checkpoint the database
    no longer holds (a shorter chain, another event, another signature)."""
    witness_file = current_app.config["EXCHANGE_SETTINGS"].audit_witness
    key_set = audit.checkpoint_keys(db.session)
    checked, fault = audit.verify(db.session, lambda cp: audit.checkpoint_payload_matches(cp, key_set))
    try:
        witnessed = witness.latest(witness_file)
    except witness.WitnessError as error:
        witnessed, mismatch = None, str(error)
    else:
        mismatch = witness.check(db.session, witnessed, key_set) if witnessed else None
    db.session.rollback()
    problem = str(fault) if fault else mismatch
    intact = problem is None
    _operator("audit_verify", "audit", [], {"checked": checked, "intact": intact})
    db.session.commit()
    result = {
        "checked": checked,
        "intact": intact,
        "first_fault": str(fault) if fault else None,
        "witness": {
            "file": witness_file,
            "seq": witnessed.seq if witnessed else None,
            "signed_at": witnessed.signed_at if witnessed else None,
            "fault": mismatch,
        },
    }
    if fault is not None:
        text = f"audit chain broken at {fault}"
    elif mismatch is not None:
        text = f"audit trail does not match its witness: {mismatch}"
    else:
        text = f"audit chain intact: {checked} events" + (
            f", holding {witnessed}" if witnessed else "; no checkpoint witnessed yet"
        )
    _print(result, as_json, text)
    if not intact:
        sys.exit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the head of the chain now and hand it to the witnesses (the worker does this periodically)."""
    row = witness.sign_head(db.session, current_app.config["EXCHANGE_SETTINGS"].audit_witness)
    click.echo(f"checkpoint at event {row.seq}" if row else "head already signed")


@audit_cli.command("show")
@click.option("--case", "case_id", required=True, help="A case id: who saw or changed it, and when.")
@click.option("--json", "as_json", is_flag=True)
def audit_show(case_id: str, as_json: bool) -> None:
    """Every audit event that touched a case, oldest first."""
    events = audit.events_for(db.session, case_id)
    rows = [_event_row(e) for e in events]
    _operator("audit_show", "case", [case_id], {"events": len(rows)})
    db.session.commit()
    text = (
        "\n".join(
            f"{r['occurred_at']}  {r['org_id'] or '-':<20} {r['client_id'] or '-':<28} "
            f"{r['action']} {r['outcome']}"
            for r in rows
        )
        or f"no audit events for {case_id}"
    )
    _print(rows, as_json, text)


def _event_row(e: AuditEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "occurred_at": e.occurred_at.isoformat(),
        "org_id": e.org_id,
        "client_id": e.client_id,
        "action": e.action,
        "outcome": e.outcome,
        "request_id": e.request_id,
    }


# --- adapters -------------------------------------------------------------------------------------
@click.group("adapters", help="Partner-format adapters installed in this environment.")
def adapters_cli() -> None:
    pass


@adapters_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def adapters_list(as_json: bool) -> None:
    """Every adapter registered under the `exchange.adapters` entry points."""
    from adapters import registry

    rows = [
        {
            "name": name,
            "inbound": cls.inbound,
            "outbound": cls.outbound,
            "media_types": list(cls.media_types),
            "default_for": list(cls.default_for),
            "description": cls.description,
        }
        for name, cls in registry.installed().items()
    ]
    text = "\n".join(
        f"{r['name']:<16} {'in' if r['inbound'] else '  '}{'/out' if r['outbound'] else '    '}  "
        f"{', '.join(r['media_types'])}"
        for r in rows
    )
    _print(rows, as_json, text)


for group in (db_cli, org_cli, client_cli, keys_cli, audit_cli, adapters_cli):
    main.add_command(group)

from exchange.cli.delivery import COMMANDS as DELIVERY_COMMANDS  # noqa: E402 - uses the helpers above

for command in DELIVERY_COMMANDS:
    main.add_command(command)

from exchange.cli.imports import import_file  # noqa: E402 - a command of its own module

main.add_command(import_file)

from exchange.cli.demo import demo_command  # noqa: E402 - a command of its own module

main.add_command(demo_command)

from exchange.cli.web import COMMANDS as WEB_COMMANDS  # noqa: E402 - uses the helpers above

for command in WEB_COMMANDS:
    main.add_command(command)
