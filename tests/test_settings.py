"""Start-up validation: a wrong setting or inconsistent configuration stops the app with a clear message."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import config
from exchange import create_app
from exchange.settings import ConfigurationError, Settings


@pytest.fixture
def config_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    copy = tmp_path / "config"
    shutil.copytree(Path(config.__file__).parent, copy)
    monkeypatch.setenv(config.CONFIG_DIR_ENV, str(copy))
    config.reload()
    yield copy
    monkeypatch.delenv(config.CONFIG_DIR_ENV)
    config.reload()


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
