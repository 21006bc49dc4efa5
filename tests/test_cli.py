"""The operator's command line: clear errors, exit codes 0/1/2, and JSON where it prints data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskCliRunner
from joserfc.jwk import ECKey

from exchange.cli import main
from exchange.delivery import secret_store
from tests.conftest import cli


def test_every_command_has_help(runner: FlaskCliRunner) -> None:
    for command in (
        ["db", "upgrade"],
        ["org", "add"],
        ["client", "add"],
        ["client", "rotate"],
        ["client", "revoke"],
        ["keys", "rotate"],
        ["audit", "verify"],
        ["audit", "show"],
        ["adapters", "list"],
    ):
        result = runner.invoke(args=[*command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, command


def test_org_add_refuses_bad_input_with_exit_2(runner: FlaskCliRunner) -> None:
    cases = [
        (["--id", "x", "--kind", "local_authority"], "--la-code"),
        (["--id", "x", "--kind", "local_authority", "--la-code", "999"], "not a known LA code"),
        (["--id", "x", "--kind", "court", "--court-code", "000"], "unknown court code"),
        (["--id", "x", "--kind", "lfjb", "--dfj-area", "NOWHERE"], "unknown DFJ area"),
        (["--id", "x y", "--kind", "fjb"], "letters, digits"),
        (["--id", "x", "--kind", "wizard"], "wizard"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["org", "add", *args])
        assert result.exit_code == 2 and message in result.output, (args, result.output)


def test_client_add_prints_the_secret_once(runner: FlaskCliRunner) -> None:
    cli(runner, "org", "add", "--id", "camden", "--kind", "local_authority", "--la-code", "202")
    created = cli(runner, "client", "add", "--org", "camden", "--scopes", "cases:submit cases:read", "--json")
    assert set(created) == {"client_id", "client_secret"} and len(created["client_secret"]) >= 40
    rotated = cli(runner, "client", "rotate", "--client", created["client_id"], "--json")
    assert rotated["client_secret"] != created["client_secret"]


def test_client_scopes_must_fit_the_organisation(runner: FlaskCliRunner) -> None:
    cli(runner, "org", "add", "--id", "board", "--kind", "lfjb", "--dfj-area", "CENTRAL_LONDON")
    result = runner.invoke(args=["client", "add", "--org", "board", "--scopes", "cases:read"])
    assert result.exit_code == 2 and "may hold only: metrics:read" in result.output


def test_client_with_jwks_has_no_secret_and_private_keys_are_refused(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    cli(runner, "org", "add", "--id", "cafcass", "--kind", "cafcass", "--service", "cafcass")
    key = ECKey.generate_key("P-256", auto_kid=True)
    public = tmp_path / "public.json"
    public.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    created = cli(
        runner, "client", "add", "--org", "cafcass", "--scopes", "feed:read", "--jwks", str(public), "--json"
    )
    assert created["client_secret"] is None
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    result = runner.invoke(
        args=["client", "add", "--org", "cafcass", "--scopes", "feed:read", "--jwks", str(private)]
    )
    assert result.exit_code == 2 and "private key" in result.output


def test_adapters_list_shows_the_installed_adapters(runner: FlaskCliRunner) -> None:
    rows = cli(runner, "adapters", "list", "--json")
    assert {"canonical-json", "hmcts-fpl-ccd", "cafcass-api", "cin-census", "ssda903"} <= {
        r["name"] for r in rows
    }


def test_db_upgrade_is_idempotent_and_keeps_one_signing_key(runner: FlaskCliRunner) -> None:
    assert "database at head" in cli(runner, "db", "upgrade")
    assert "database at head" in cli(runner, "db", "upgrade")


@pytest.mark.parametrize("setting", ["EXCHANGE_INSTANCE_PATH", "EXCHANGE_DATABASE_URL"])
def test_instance_files_go_where_the_settings_say_never_into_the_working_directory(
    setting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, cwd = tmp_path / "data" / "exchange", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv(secret_store.KEY_ENV, raising=False)  # the key file, then
    secret_store.reset()
    value = str(instance) if setting == "EXCHANGE_INSTANCE_PATH" else f"sqlite:///{instance / 'exchange.db'}"
    env = {"EXCHANGE_INSTANCE_PATH": None, "EXCHANGE_DATABASE_URL": None, setting: value}
    for args in (
        ["db", "upgrade"],
        ["org", "add", "--id", "cafcass", "--kind", "cafcass", "--service", "cafcass"],
        [
            "webhooks",
            "add",
            "--org",
            "cafcass",
            "--url",
            "http://127.0.0.1:9/hook",
            "--events",
            "advice.requested",
        ],
    ):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
    secret_store.reset()
    assert sorted(p.name for p in instance.iterdir() if not p.name.startswith("exchange.db-")) == [
        "exchange.db",
        "webhook-secrets.key",
    ]
    assert (instance / "webhook-secrets.key").stat().st_mode & 0o777 == 0o600
    assert list(cwd.iterdir()) == []
