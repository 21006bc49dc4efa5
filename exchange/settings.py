"""Configuration: read from ``EXCHANGE_*`` environment variables and validated once, at start-up.

The instance folder holds the exchange's own files (the SQLite database and the audit witness file by
default, the demo's example bodies and keys): ``EXCHANGE_INSTANCE_PATH`` when set, else the folder of an
SQLite ``EXCHANGE_DATABASE_URL``, else Flask's instance folder of the package (``instance/`` beside
``exchange/`` in a source checkout, ``<prefix>/var/exchange-instance`` when installed). Never the current
directory, and nothing here creates it: ``exchange db upgrade`` does, when it creates an SQLite database
there.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from exchange import reference as reference_data
from exchange.reference import Reference, ReferenceDataError


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
    #: where the private keys live (``exchange.keystore``): ``envelope`` (sealed under the key-encryption key
    #: in the file ``key_encryption_key`` names) or ``pkcs11`` (a token: module path, token label, user PIN)
    key_store: str = "envelope"
    key_encryption_key: str = ""
    pkcs11_module: str = ""
    pkcs11_token: str = ""
    pkcs11_pin: str = field(default="", repr=False)
    instance_path: str = ""
    #: EXCHANGE_AUDIT_WITNESS: the append-only file each audit checkpoint is copied to (``exchange.witness``);
    #: ``audit-witness.jsonl`` in the instance folder unless set
    audit_witness: str = ""
    #: EXCHANGE_CONFIG_DIR: an operator's copy of the reference data files; empty means the shipped copy
    config_dir: str = ""
    #: the reference data read from ``config_dir`` by ``load`` (courts, areas, routing, field policy, …)
    reference: Reference = field(default_factory=reference_data.load, compare=False, repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Settings from ``EXCHANGE_<NAME>`` variables, then ``overrides``; every fault reported at once."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in ("extra", "reference"):
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
        witness = values.get("audit_witness") or Path(values["instance_path"]) / "audit-witness.jsonl"
        values["audit_witness"] = str(Path(witness).absolute())
        if not url:
            values["database_url"] = f"sqlite:///{Path(values['instance_path']) / 'exchange.db'}"
        if values.get("key_store", "envelope") not in ("envelope", "pkcs11"):
            problems.append("EXCHANGE_KEY_STORE must be envelope or pkcs11")
        elif values.get("key_store") == "pkcs11" and not (
            values.get("pkcs11_module") and values.get("pkcs11_token")
        ):
            problems.append("EXCHANGE_KEY_STORE=pkcs11 needs EXCHANGE_PKCS11_MODULE and _TOKEN")
        if str(values.get("log_level", "INFO")).upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            problems.append("EXCHANGE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        for name in ("issuer", "audience"):
            if name in values and not str(values[name]).startswith(("http://", "https://")):
                problems.append(f"EXCHANGE_{name.upper()} must be an http(s) URL")
        if "reference" not in values:
            try:
                values["reference"] = reference_data.load(values.get("config_dir") or None)
            except ReferenceDataError as error:
                problems.append(f"the reference data (EXCHANGE_CONFIG_DIR) is not valid: {error}")
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
    """The instance folder Flask finds for the exchange package when none is configured, by Flask's rule
    (``Flask.auto_find_instance_path``) but without Flask, which only the HTTP layer imports: ``instance/``
    beside ``exchange/`` in a source checkout or an editable install; ``<prefix>/var/exchange-instance`` for
    a package installed under the interpreter's prefix, or in a ``site-packages`` folder elsewhere (the
    prefix is then the folder above its ``lib/``)."""
    root = Path(__file__).absolute().parent.parent
    prefix = Path(sys.prefix).absolute()
    if root.is_relative_to(prefix):
        return str(prefix / "var" / "exchange-instance")
    if root.name.lower() == "site-packages":
        above = root.parent
        if above.name.lower() != "lib" and above.parent.name.lower() == "lib":
            above = above.parent  # lib/pythonX.Y/site-packages
        if above.name.lower() == "lib":
            above = above.parent
        return str(above / "var" / "exchange-instance")
    return str(root / "instance")
