"""Configuration: read from ``EXCHANGE_*`` environment variables and validated once, at start-up.

The instance folder holds the exchange's own files (the SQLite database by default, the webhook-secret
key file, the demo's example bodies): ``EXCHANGE_INSTANCE_PATH`` when set, else the folder of an SQLite
``EXCHANGE_DATABASE_URL``, else Flask's instance folder of the package (``instance/`` beside ``exchange/``
in a source checkout, ``<prefix>/var/exchange-instance`` when installed). Never the current directory, and
nothing here creates it: ``exchange db upgrade`` does, when it creates an SQLite database there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


class ConfigurationError(Exception):
    """One or more settings are missing or wrong; the message names each."""


def _positive_int(name: str, value: str | int, upper: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"EXCHANGE_{name} must be a whole number, not {value!r}") from None
    if number <= 0 or (upper is not None and number > upper):
        bound = f"between 1 and {upper}" if upper else "positive"
        raise ConfigurationError(f"EXCHANGE_{name} must be {bound}, not {number}")
    return number


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    issuer: str = "http://127.0.0.1:8000"
    audience: str = "https://family-justice-exchange/api"
    token_lifetime: int = 300
    assertion_max_lifetime: int = 300
    max_body_bytes: int = 10 * 1024 * 1024
    #: POST /v1/submissions only (raw and inflated): a statutory return is spooled to disk, never held whole
    max_submission_bytes: int = 256 * 1024 * 1024
    inline_submission_bytes: int = 1024 * 1024
    rate_limit: str = "600 per minute"
    token_rate_limit: str = "120 per minute"  # noqa: S105 - a rate, not a secret
    rate_limit_storage: str = "memory://"
    proxy_fix: int = 0
    log_level: str = "INFO"
    checkpoint_every: int = 1000
    instance_path: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from ``EXCHANGE_<NAME>`` variables, then ``overrides``; every fault reported at once."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            env_name = f"EXCHANGE_{f.name.upper()}"
            if env_name in environ:
                values[f.name] = environ[env_name]
        values.update({k: v for k, v in (overrides or {}).items() if k in {f.name for f in fields(cls)}})
        extra = {
            k: v
            for k, v in (overrides or {}).items()
            if k not in values and k not in cls.__dataclass_fields__
        }
        problems: list[str] = []
        for name, upper in (
            ("token_lifetime", 900),
            ("assertion_max_lifetime", 300),
            ("max_body_bytes", None),
            ("max_submission_bytes", None),
            ("inline_submission_bytes", None),
            ("checkpoint_every", None),
        ):
            if name in values:
                try:
                    values[name] = _positive_int(name.upper(), values[name], upper)
                except ConfigurationError as error:
                    problems.append(str(error))
        if "proxy_fix" in values:
            try:
                values["proxy_fix"] = int(values["proxy_fix"])
                if not 0 <= values["proxy_fix"] <= 5:
                    raise ValueError
            except ValueError:
                problems.append("EXCHANGE_PROXY_FIX must be the number of trusted proxies, 0 to 5")
        url = str(values.get("database_url") or "")
        database_file = None
        if url:
            try:
                parsed: URL | None = make_url(url)
            except ArgumentError:
                parsed = None
            if parsed is not None and parsed.get_backend_name() == "sqlite":
                database_file = sqlite_file(parsed)
            elif parsed is None or parsed.drivername != "postgresql+psycopg":
                problems.append("EXCHANGE_DATABASE_URL must be sqlite:///PATH or postgresql+psycopg://…")
        instance = values.get("instance_path") or (database_file.parent if database_file else None)
        values["instance_path"] = str(Path(instance).absolute()) if instance else package_instance_path()
        if not url:
            values["database_url"] = f"sqlite:///{Path(values['instance_path']) / 'exchange.db'}"
        if str(values.get("log_level", "INFO")).upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            problems.append("EXCHANGE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        for name in ("issuer", "audience"):
            if name in values and not str(values[name]).startswith(("http://", "https://")):
                problems.append(f"EXCHANGE_{name.upper()} must be an http(s) URL")
        if problems:
            raise ConfigurationError("; ".join(problems))
        return cls(**values, extra=extra)


def sqlite_file(url: str | URL) -> Path | None:
    """The file of an SQLite database URL (None for an in-memory one, or another database)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def package_instance_path() -> str:
    """The instance folder Flask finds for the exchange package when none is configured."""
    return Flask(__package__).instance_path
