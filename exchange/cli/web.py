"""Operator commands for the pages: ``exchange idp set|list`` (each organisation's identity provider) and
``exchange user add|list|remove`` (who may sign in, at which organisation, with which role). Every change
is written to the audit trail; no secret and no e-mail address is.
"""

from __future__ import annotations

import uuid

import click
from flask.cli import AppGroup
from sqlalchemy import select

from exchange import people
from exchange.cli import InputError, _operator, _print
from exchange.db import db
from exchange.models import IdentityProvider, Person
from exchange.models.people import ROLES

idp_cli = AppGroup("idp", help="Each organisation's OpenID provider, for signing in to the pages.")


@idp_cli.command("set")
@click.option("--org", "org_id", required=True)
@click.option(
    "--issuer", required=True, help="The provider's issuer (its /.well-known/openid-configuration)."
)
@click.option("--client-id", required=True)
@click.option(
    "--client-secret",
    required=True,
    prompt=True,
    hide_input=True,
    help="Sealed by the key store (EXCHANGE_KEY_STORE); never shown again.",
)
@click.option("--role-claim", help="A claim whose value viewer|editor admits a person not added by hand.")
def idp_set(org_id: str, issuer: str, client_id: str, client_secret: str, role_claim: str | None) -> None:
    """Configure (or replace) an organisation's identity provider."""
    try:
        people.set_provider(db.session, org_id, issuer, client_id, client_secret, role_claim)
    except people.PeopleError as error:
        raise InputError(str(error)) from None
    _operator("idp_set", "organisation", [org_id], {"issuer": issuer, "role_claim": role_claim})
    db.session.commit()
    click.echo(f"identity provider of {org_id}: {issuer}")


@idp_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def idp_list(as_json: bool) -> None:
    """Every organisation's provider (never its secret)."""
    rows = [
        {"org_id": p.org_id, "issuer": p.issuer, "client_id": p.client_id, "role_claim": p.role_claim}
        for p in db.session.scalars(select(IdentityProvider).order_by(IdentityProvider.org_id))
    ]
    _print(rows, as_json, "\n".join(f"{r['org_id']:<24} {r['issuer']}  {r['client_id']}" for r in rows))


user_cli = AppGroup("user", help="People who may sign in to the pages.")


@user_cli.command("add")
@click.option("--org", "org_id", required=True)
@click.option("--subject", help="The provider's subject (sub) for the person.")
@click.option("--email", help="The person's e-mail, as the provider asserts it.")
@click.option("--role", type=click.Choice(ROLES), required=True, help="viewer reads; editor also acts.")
@click.option("--json", "as_json", is_flag=True)
def user_add(org_id: str, subject: str | None, email: str | None, role: str, as_json: bool) -> None:
    """Let a person of an organisation sign in, with a role."""
    try:
        person = people.add_person(db.session, org_id, role, subject=subject, email=email)
    except people.PeopleError as error:
        raise InputError(str(error)) from None
    _operator("user_add", "person", [str(person.id)], {"org": org_id, "role": role})
    db.session.commit()
    _print({"id": str(person.id), "org_id": org_id, "role": role}, as_json, f"person {person.id} ({role})")


@user_cli.command("list")
@click.option("--org", "org_id", help="Only this organisation's people.")
@click.option("--json", "as_json", is_flag=True)
def user_list(org_id: str | None, as_json: bool) -> None:
    query = select(Person).order_by(Person.org_id, Person.created_at)
    if org_id:
        query = query.where(Person.org_id == org_id)
    rows = [
        {"id": str(p.id), "org_id": p.org_id, "role": p.role, "subject": p.subject, "email": p.email}
        for p in db.session.scalars(query)
    ]
    _print(
        rows,
        as_json,
        "\n".join(f"{r['id']}  {r['org_id']:<24} {r['role']:<7} {r['subject'] or r['email']}" for r in rows),
    )


@user_cli.command("remove")
@click.argument("person_id", type=click.UUID)
def user_remove(person_id: uuid.UUID) -> None:
    """Remove a person; their page sessions end at once."""
    try:
        person = people.remove_person(db.session, person_id)
    except people.PeopleError as error:
        raise InputError(str(error)) from None
    _operator("user_remove", "person", [str(person_id)], {"org": person.org_id})
    db.session.commit()
    click.echo(f"person {person_id} removed")


COMMANDS = (idp_cli, user_cli)
