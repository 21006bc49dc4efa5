"""The layers run one way: HTTP -> auth -> adapter -> schema -> service -> store (+ outbox + audit).

Only the entry layers (the app factory, ``exchange/api/``, the pages ``exchange/web/`` and the command line
``exchange/cli/``) may import Flask or werkzeug; services, stores, adapters, schemas, metrics computation,
delivery and audit must not, so they run the same from a request, a worker or a script. Adapters and schemas
read bytes and check records: they never touch the database layer. The reference data is read once, by the
settings that ``create_app`` loads (``exchange/settings.py`` calls ``exchange.reference.load``), and passed
on: no other module reads the data files, and ``config/`` holds no Python but gunicorn's settings.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTTP = (
    "flask",
    "flask_smorest",
    "flask_limiter",
    "flask_wtf",
    "werkzeug",
    "authlib.integrations.flask_oauth2",
    "authlib.integrations.flask_client",
)
DATABASE = ("sqlalchemy", "alembic", "psycopg", "exchange.db", "exchange.models", "exchange.store")
#: the entry layers: HTTP (the app factory and ``exchange/api/``, OAuth endpoints and request glue included),
#: the pages (``exchange/web/``) and the command line (``exchange/cli/``, Flask's CLI: FlaskGroup and the app
#: context)
HTTP_LAYER = ("exchange/api/", "exchange/web/", "exchange/cli/", "exchange/__init__.py")
#: HTTP-only glue outside them, each with its reason (none: the token service is given the app's settings)
HTTP_EXCEPTIONS: dict[str, str] = {}


def _modules(*folders: str) -> list[Path]:
    paths = (p for folder in folders for p in (ROOT / folder).rglob("*.py"))
    return sorted(p for p in paths if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _uses(names: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == b or n.startswith(b + ".") for b in banned))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_only_the_http_layer_imports_flask():
    offenders = {}
    for path in _modules("exchange", "adapters", "schemas", "config"):
        name = _relative(path)
        if name.startswith(HTTP_LAYER) or name in HTTP_EXCEPTIONS:
            continue
        if found := _uses(_imports(path), HTTP):
            offenders[name] = found
    assert offenders == {}


def test_the_exceptions_are_real_and_few():
    for name in HTTP_EXCEPTIONS:
        assert _uses(_imports(ROOT / name), HTTP), f"{name} no longer needs its exception"
    assert len(HTTP_EXCEPTIONS) == 0


def test_adapters_and_schemas_never_touch_the_database():
    offenders = {
        _relative(path): found
        for path in _modules("adapters", "schemas")
        if (found := _uses(_imports(path), DATABASE))
    }
    assert offenders == {}


def test_the_checks_see_an_offence(tmp_path):
    module = tmp_path / "service.py"
    module.write_text("from flask import current_app\nfrom exchange.db import db\nimport sqlalchemy.orm\n")
    assert _uses(_imports(module), HTTP) == ["flask", "flask.current_app"]
    assert _uses(_imports(module), DATABASE) == ["exchange.db", "exchange.db.db", "sqlalchemy.orm"]


#: the only modules that may read the reference data files: the loader, and the settings create_app loads
REFERENCE_READERS = ("exchange/reference/", "exchange/settings.py")


def _reads_reference(path: Path) -> list[str]:
    """Where a module reads the reference data itself: ``import config``, or a call of ``reference.load``."""
    found = _uses(_imports(path), ("config", "exchange.reference.load", "exchange.reference.files"))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "load"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("reference", "reference_data")
        ):
            found.append(f"line {node.lineno}: {node.func.value.id}.load()")
    return found


def test_only_the_app_factory_reads_the_reference_data():
    offenders = {
        name: found
        for path in _modules("exchange", "adapters", "schemas")
        if not (name := _relative(path)).startswith(REFERENCE_READERS) and (found := _reads_reference(path))
    }
    assert offenders == {}


def test_config_holds_data_and_gunicorn_settings_only():
    assert sorted(p.name for p in (ROOT / "config").glob("*.py")) == ["gunicorn.conf.py"]


def test_the_reference_check_sees_an_offence(tmp_path):
    module = tmp_path / "service.py"
    module.write_text("import config\nfrom exchange import reference\ncourts = reference.load().courts\n")
    assert _reads_reference(module) == ["config", "line 3: reference.load()"]
