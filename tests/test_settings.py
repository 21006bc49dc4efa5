"""Start-up validation: a wrong setting or inconsistent configuration stops the app with a clear message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask

from exchange import create_app
from exchange.reference import DATA_DIR
from exchange.settings import ConfigurationError, Settings, package_instance_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's copy of the reference data, named by EXCHANGE_CONFIG_DIR."""
    copy = tmp_path / "config"
    shutil.copytree(DATA_DIR, copy)
    monkeypatch.setenv("EXCHANGE_CONFIG_DIR", str(copy))
    return copy


def test_every_wrong_setting_is_named_at_once() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.load(
            environ={
                "EXCHANGE_TOKEN_LIFETIME": "0",
                "EXCHANGE_DATABASE_URL": "mysql://x",
                "EXCHANGE_ISSUER": "exchange.example",
                "EXCHANGE_LOG_LEVEL": "LOUD",
            }
        )
    message = str(raised.value)
    for name in ("TOKEN_LIFETIME", "DATABASE_URL", "ISSUER", "LOG_LEVEL"):
        assert f"EXCHANGE_{name}" in message


def test_environment_overrides_defaults() -> None:
    settings = Settings.load(
        environ={"EXCHANGE_TOKEN_LIFETIME": "600", "EXCHANGE_DATABASE_URL": "sqlite:///x.db"}
    )
    assert settings.token_lifetime == 600 and settings.database_url == "sqlite:///x.db"


def test_inconsistent_area_mapping_stops_the_app(config_copy: Path, database_url: str) -> None:
    courts = config_copy / "courts.csv"
    courts.write_text(courts.read_text().replace(",SWANSEA\n", ",ATLANTIS\n", 1))
    with pytest.raises(ConfigurationError, match="ATLANTIS"):
        create_app({"database_url": database_url})


def test_the_app_carries_the_reference_data_of_its_config_dir(config_copy: Path, database_url: str) -> None:
    with open(config_copy / "courts.csv", "a", encoding="utf-8") as f:
        f.write("999,Test Family Court,London,1,CENTRAL_LONDON\n")
    app = create_app({"database_url": database_url})
    assert app.config["EXCHANGE_SETTINGS"].reference.courts["999"].name == "Test Family Court"
    assert (
        "999"
        not in create_app({"database_url": database_url, "config_dir": ""})
        .config["EXCHANGE_SETTINGS"]
        .reference.courts
    )


def test_the_instance_folder_is_configured_or_beside_the_database_never_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chosen = Settings.load(
        environ={"EXCHANGE_INSTANCE_PATH": "/srv/exchange", "EXCHANGE_DATABASE_URL": "sqlite:///x.db"}
    )
    assert chosen.instance_path == "/srv/exchange" and chosen.database_url == "sqlite:///x.db"
    beside = Settings.load(environ={"EXCHANGE_DATABASE_URL": "sqlite:////var/lib/exchange/exchange.db"})
    assert beside.instance_path == "/var/lib/exchange"
    on_postgresql = Settings.load(environ={"EXCHANGE_DATABASE_URL": "postgresql+psycopg://db/exchange"})
    default = Settings.load(environ={})
    # unset: Flask's instance folder of the package, in a checkout its instance/, whatever the directory
    assert default.instance_path == on_postgresql.instance_path == str(ROOT / "instance")
    assert default.database_url == f"sqlite:///{Path(default.instance_path) / 'exchange.db'}"
    assert list(tmp_path.iterdir()) == []  # loading the settings creates nothing


def test_the_app_s_instance_path_is_the_setting(database_url: str, tmp_path: Path) -> None:
    app = create_app({"database_url": database_url, "instance_path": str(tmp_path / "files")})
    assert app.instance_path == str(tmp_path / "files")


def test_the_package_s_instance_folder_is_the_one_flask_finds() -> None:
    # the settings find it without Flask (only the HTTP layer imports Flask); the rule must stay Flask's
    assert package_instance_path() == Flask("exchange").instance_path
