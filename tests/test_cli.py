"""The operator's command line: clear errors, exit codes 0/1/2, and JSON where it prints data."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from flask.cli import ScriptInfo
from flask.testing import FlaskCliRunner
from joserfc.jwk import ECKey

from exchange import audit, create_app
from exchange.cli import main
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


# --- errors a person can act on -------------------------------------------------------------------

#: commands that must work with no database (the rest must refuse, naming `exchange db upgrade`): the
#: extension groups (openapi, limiter) and Flask's routes and shell, by group or full path
NO_DATABASE = {
    "db upgrade",
    "demo",
    "adapters list",
    "routes",
    "shell",
    "openapi",
    "limiter",
    "webhooks new-key",
}
#: what a command needs beyond its required options to finish rather than serve or ask
EXTRA_ARGS = {"demo": ["--no-serve", "--scale", "0.001", "--years", "1"], "limiter clear": ["-y"]}
UPGRADE_HINT = "run `exchange db upgrade`"


def leaf_commands(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()) -> Iterator[Any]:
    """Every command below ``group``, recursively (the app's own, Flask's and its extensions')."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from leaf_commands(
                command, click.Context(command, info_name=name, parent=ctx), (*path, name)
            )
        else:
            yield (*path, name), command


def required_args(command: click.Command, tmp_path: Path) -> list[str]:
    """A value of the right type for each required option and argument (the database is checked first)."""
    a_file = tmp_path / "input.json"
    a_file.write_text("{}")
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        kind = param.type
        if isinstance(kind, click.Choice):
            value = str(kind.choices[0])
        elif isinstance(kind, click.Path):
            value = str(a_file)
        elif isinstance(kind, click.types.UUIDParameterType):
            value = str(uuid.uuid4())
        elif isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
            value = "1"
        else:
            value = "x"
        args += [value] if isinstance(param, click.Argument) else [param.opts[0], value]
    return args


def run_every_command(tmp_path: Path, database: Callable[[Path], Path]) -> dict[str, tuple[Path, Result]]:
    """Each command (with its required arguments) on a database of its own, made by ``database(folder)``;
    the working directory is ``tmp_path``."""
    template = f"sqlite:///{tmp_path / 'list' / 'exchange.db'}"
    info = ScriptInfo(create_app=lambda: create_app({"database_url": template}))
    with click.Context(main, info_name="exchange", obj=info) as ctx:
        commands = dict(leaf_commands(main, ctx))
    results = {}
    for path, command in sorted(commands.items()):
        name = " ".join(path)
        if name == "webhooks new-key":  # a file that does not exist yet: it never overwrites one
            args = [*path, str(tmp_path / "webhook-secrets.key")]
        else:
            args = [*path, *required_args(command, tmp_path), *EXTRA_ARGS.get(name, [])]
        file = database(tmp_path / "-".join(path))
        env = {"EXCHANGE_DATABASE_URL": f"sqlite:///{file}"}
        results[name] = file, CliRunner().invoke(main, args, env=env, input="")
    return results


def assert_only_the_database_free_commands_run(results: dict[str, tuple[Path, Result]], fault: str) -> None:
    """The commands that need no database succeed; every other says, in one line on stderr and exit 1,
    what is wrong with the database and to run `exchange db upgrade`."""
    assert len(results) >= 25, sorted(results)  # the exchange's commands, Flask's and its extensions'
    for name, (file, result) in results.items():
        where = f"exchange {name}: exit {result.exit_code}\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), where
        assert "Traceback" not in result.output, where
        if name in NO_DATABASE or name.split()[0] in NO_DATABASE:
            assert result.exit_code == 0, where
        else:
            assert result.exit_code == 1 and result.stdout == "", where
            [line] = result.stderr.splitlines()
            assert fault.format(file=file) in line and UPGRADE_HINT in line, where


def test_every_command_against_a_missing_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    results = run_every_command(tmp_path, lambda folder: folder / "exchange.db")
    assert_only_the_database_free_commands_run(results, "there is no database at {file}")
    assert not (tmp_path / "instance").exists()


def test_every_command_against_an_unmigrated_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def empty(folder: Path) -> Path:
        folder.mkdir()
        sqlite3.connect(folder / "exchange.db").execute("CREATE TABLE unrelated (x)").connection.close()
        return folder / "exchange.db"

    monkeypatch.chdir(tmp_path)
    results = run_every_command(tmp_path, empty)
    assert_only_the_database_free_commands_run(results, "the database has none of the exchange's tables yet")
    assert not (tmp_path / "instance").exists()


def test_a_duplicate_la_code_is_one_line_with_exit_2(runner: FlaskCliRunner) -> None:
    cli(runner, "org", "add", "--id", "camden", "--kind", "local_authority", "--la-code", "202")
    result = runner.invoke(
        args=["org", "add", "--id", "camden-2", "--kind", "local_authority", "--la-code", "202"]
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: Invalid value for --la-code: LA code 202 is registered already, to 'camden'"
    ]
    assert "camden-2" not in cli(runner, "org", "list")


def test_a_wrong_setting_prints_only_its_message(database_url: str) -> None:
    env = {"EXCHANGE_DATABASE_URL": database_url, "EXCHANGE_TOKEN_LIFETIME": "0"}
    message = "Error: EXCHANGE_TOKEN_LIFETIME must be between 1 and 900, not 0"
    refused = CliRunner().invoke(main, ["org", "list"], env=env)
    assert (refused.exit_code, refused.stdout, refused.stderr.splitlines()) == (2, "", [message])
    # the help is still shown, with the reason the app's own commands are missing from it
    helped = CliRunner().invoke(main, ["--help"], env=env)
    assert helped.exit_code == 0 and "org" in helped.stdout and helped.stderr.splitlines() == [message]
    worker = CliRunner().invoke(
        main, ["worker", "--once"], env={"EXCHANGE_DATABASE_URL": database_url, "EXCHANGE_WEBHOOK_BATCH": "x"}
    )
    assert worker.exit_code == 2 and worker.stderr.splitlines() == [
        "Error: EXCHANGE_WEBHOOK_BATCH must be a number above 0 and at most 1000"
    ]


def test_an_unexpected_error_is_one_line_naming_its_class(
    runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_: Any) -> None:
        raise LookupError("SELECT secret FROM somewhere WHERE name = 'Jane Example'")

    monkeypatch.setattr(audit, "verify", fail)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and not isinstance(result.exception, LookupError)
    [line] = result.stderr.splitlines()
    assert "LookupError" in line and "exchange --traceback" in line
    assert "SELECT" not in line and "Jane" not in line
    # for a bug report, --traceback lets the error through to Python (which prints the traceback)
    raised = runner.invoke(args=["--traceback", "audit", "verify"])
    assert isinstance(raised.exception, LookupError)


def test_version_is_the_exchange_s_own() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"exchange {version('family-justice-exchange')}\n"


@pytest.mark.parametrize("setting", ["EXCHANGE_INSTANCE_PATH", "EXCHANGE_DATABASE_URL"])
def test_instance_files_go_where_the_settings_say_never_into_the_working_directory(
    setting: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, cwd = tmp_path / "data" / "exchange", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
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
    # the webhook-secrets key is the file EXCHANGE_WEBHOOK_SECRETS_KEY names (tests/conftest.py), never made
    assert sorted(p.name for p in instance.iterdir() if not p.name.startswith("exchange.db-")) == [
        "exchange.db"
    ]
    assert list(cwd.iterdir()) == []


def test_the_installed_command_answers_a_missing_database_in_one_line(tmp_path: Path) -> None:
    exchange = Path(sys.executable).parent / "exchange"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXCHANGE_")}
    env["EXCHANGE_INSTANCE_PATH"] = str(tmp_path / "instance-elsewhere")
    run = subprocess.run(
        [exchange, "org", "list"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    missing = tmp_path / "instance-elsewhere" / "exchange.db"
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr.splitlines() == [
        f"Error: there is no database at {missing}: run `exchange db upgrade` to create it"
    ]
    assert list(tmp_path.iterdir()) == []
