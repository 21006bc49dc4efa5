"""Webhook targets cannot turn the worker on the exchange's network (issue 15): https to a public address,
refused at registration and again when sending, and the sealing key only from configuration."""

from __future__ import annotations

import json
import ssl
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme
from click.testing import CliRunner
from sqlalchemy import select

from exchange import clock
from exchange.cli import main
from exchange.db import db
from exchange.delivery import secret_store, targets
from exchange.delivery.sender import TARGET_REFUSED, Sender
from exchange.models import Delivery, WebhookSubscription
from tests.delivery.helpers import TEST_POLICY, Receiver, case_data, save_case, subscribe

#: (URL, the host's addresses): every kind of target that must be refused
REFUSED = {
    "metadata": ("https://metadata.example/latest", ["169.254.169.254"]),
    "metadata-ipv6": ("https://metadata6.example/", ["fd00:ec2::254"]),
    "link-local": ("https://ll.example/h", ["169.254.10.1"]),
    "link-local-ipv6": ("https://ll6.example/h", ["fe80::1"]),
    "private-10": ("https://ten.example/h", ["10.0.0.5"]),
    "private-172": ("https://a.example/h", ["172.16.3.4"]),
    "private-192": ("https://b.example/h", ["192.168.1.1"]),
    "unique-local": ("https://c.example/h", ["fd12:3456::1"]),
    "shared-cgnat": ("https://d.example/h", ["100.64.0.1"]),
    "unspecified": ("https://e.example/h", ["0.0.0.0"]),  # noqa: S104 - a target to refuse
    "ipv4-mapped-private": ("https://f.example/h", ["::ffff:10.0.0.1"]),
    "one-of-several-private": ("https://g.example/h", ["93.184.215.14", "10.1.2.3"]),
    "literal-metadata": ("https://169.254.169.254/latest/meta-data", None),
    "literal-private": ("https://192.168.0.10/hooks", None),
    "credentials": ("https://user:secret@partner.example/hooks", None),
    "plain-http-public": ("http://partner.example/hooks", None),
    "other-scheme": ("ftp://partner.example/hooks", None),
    "no-host": ("https:///hooks", None),
    "unresolvable": ("https://nowhere.invalid/hooks", None),
}


@pytest.fixture
def resolving(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Made-up names resolve to the addresses REFUSED gives them."""
    table = {urlsplit(url).hostname: addresses for url, addresses in REFUSED.values() if addresses}
    real = targets.lookup

    def lookup(host: str, port: int) -> list[str]:
        return table[host] if host in table else real(host, port)

    monkeypatch.setattr(targets, "lookup", lookup)


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_each_kind_of_internal_target_is_refused_at_registration(runner, make_partner, resolving, kind):
    cafcass = make_partner("cafcass")
    url, _ = REFUSED[kind]
    result = runner.invoke(
        args=["webhooks", "add", "--org", cafcass.org_id, "--url", url, "--events", "case.changed"]
    )
    assert result.exit_code == 2 and result.output.startswith("Error: ")
    assert "secret" not in result.output and db.session.scalar(select(WebhookSubscription)) is None


def test_loopback_only_when_the_operator_allows_it(runner, make_partner, monkeypatch):
    cafcass = make_partner("cafcass")
    args = ["webhooks", "add", "--org", cafcass.org_id, "--events", "case.changed", "--url"]
    monkeypatch.delenv(targets.LOOPBACK_ENV)
    for url in ("https://127.0.0.1/hooks", "http://localhost:9/hooks", "https://[::1]/hooks"):
        assert runner.invoke(args=[*args, url]).exit_code == 2
    monkeypatch.setenv(targets.LOOPBACK_ENV, "1")
    assert runner.invoke(args=[*args, "http://127.0.0.1:9/hooks"]).exit_code == 0
    # allowing loopback allows nothing else
    assert runner.invoke(args=[*args, "https://10.0.0.1/hooks"]).exit_code == 2


def test_a_public_https_target_is_accepted(runner, make_partner):
    cafcass = make_partner("cafcass")
    subscribe(runner, cafcass.org_id, "https://partner.example/hooks", "case.changed")
    assert db.session.scalar(select(WebhookSubscription.url)) == "https://partner.example/hooks"


def test_a_name_that_resolves_elsewhere_when_sending_is_refused_not_sent(runner, make_partner, monkeypatch):
    """DNS rebinding: public when registered, the metadata address when the worker sends."""
    la = make_partner("local_authority")
    subscribe(runner, la.org_id, "https://partner.example/hooks", "case.changed")
    save_case(la.org_id, case_data())
    monkeypatch.setattr(targets, "lookup", lambda host, port: ["169.254.169.254"])
    connected: list[str] = []
    sender = Sender(policy=TEST_POLICY)
    monkeypatch.setattr(sender.http, "post", lambda url, **_: connected.append(url))
    sender.deliver_due()
    delivery = db.session.scalars(select(Delivery)).one()
    assert connected == []
    assert (delivery.status, delivery.last_error, delivery.attempts) == ("dead", TARGET_REFUSED, 1)


def test_loopback_is_refused_when_sending_without_the_setting(runner, make_partner, monkeypatch):
    la = make_partner("local_authority")
    receiver = Receiver().start()
    try:
        subscribe(runner, la.org_id, receiver.url, "case.changed")
        save_case(la.org_id, case_data())
        Sender(policy=TEST_POLICY, allow_loopback=False).deliver_due()
        assert receiver.received == []
        assert db.session.scalars(select(Delivery.last_error)).one() == TARGET_REFUSED
    finally:
        receiver.stop()


def test_a_redirect_is_not_followed(runner, make_partner):
    la = make_partner("local_authority")
    elsewhere = Receiver().start()
    redirecting = Receiver(answer=lambda n: 307).start()
    try:
        subscribe(runner, la.org_id, redirecting.url, "case.changed")
        save_case(la.org_id, case_data())
        Sender(policy=TEST_POLICY).deliver_due(clock.now() + timedelta(seconds=1))
        assert len(redirecting.received) == 1 and elsewhere.received == []
        assert db.session.scalars(select(Delivery.status)).one() == "dead"
    finally:
        elsewhere.stop()
        redirecting.stop()


def test_the_connection_goes_to_the_checked_address_with_the_name_in_sni_and_host(
    runner, make_partner, monkeypatch, tmp_path
):
    """The name resolves once, to loopback here; TLS still presents and checks the name."""
    authority = trustme.CA()
    certificate = authority.issue_cert("hooks.partner.example")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    seen: dict[str, str | None] = {}
    context.sni_callback = lambda sock, name, ctx: seen.update(sni=name)  # type: ignore[assignment,func-returns-value]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen["host"] = self.headers.get("Host")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.handle_request, daemon=True).start()
    port = server.server_address[1]
    monkeypatch.setattr(
        targets, "lookup", lambda host, p: ["127.0.0.1"] if host == "hooks.partner.example" else []
    )
    la = make_partner("local_authority")
    subscribe(runner, la.org_id, f"https://hooks.partner.example:{port}/in", "case.changed")
    save_case(la.org_id, case_data())
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    sender = Sender(policy=TEST_POLICY)
    sender.http.verify = str(bundle)
    sender.deliver_due()
    server.server_close()
    assert db.session.scalars(select(Delivery.status)).one() == "delivered"
    assert seen == {"sni": "hooks.partner.example", "host": f"hooks.partner.example:{port}"}


# --- the sealing key comes from configuration only ---------------------------------------------------


def test_a_missing_key_stops_the_command_in_one_line_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, cwd = tmp_path / "instance", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv(secret_store.KEY_ENV)
    secret_store.reset()
    env = {"EXCHANGE_INSTANCE_PATH": str(instance), "EXCHANGE_DATABASE_URL": None}
    for args in (
        ["db", "upgrade"],
        ["org", "add", "--id", "cafcass", "--kind", "cafcass", "--service", "cafcass"],
    ):
        assert CliRunner().invoke(main, args, env=env).exit_code == 0
    add = ["webhooks", "add", "--org", "cafcass", "--url", "http://127.0.0.1:9/h", "--events", "case.changed"]
    result = CliRunner().invoke(main, add, env=env)
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and secret_store.KEY_ENV in result.output
    missing = tmp_path / "no-such.key"
    result = CliRunner().invoke(main, add, env={**env, secret_store.KEY_ENV: str(missing)})
    assert result.exit_code == 2 and "cannot be read" in result.output
    assert not missing.exists() and list(cwd.iterdir()) == []
    assert sorted(p.name for p in instance.iterdir() if not p.name.startswith("exchange.db-")) == [
        "exchange.db"
    ]


def test_new_key_writes_a_private_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hooks.key"
    env = {"EXCHANGE_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(main, ["webhooks", "new-key", str(path)], env=env)
    assert result.exit_code == 0 and path.stat().st_mode & 0o777 == 0o600
    key = path.read_bytes()
    again = CliRunner().invoke(main, ["webhooks", "new-key", str(path)], env=env)
    assert again.exit_code == 2 and path.read_bytes() == key
    monkeypatch.setenv(secret_store.KEY_ENV, str(path))
    secret_store.reset()
    assert secret_store.unseal(secret_store.seal("whsec_x")) == "whsec_x"
    path.write_text("not a key\n")
    secret_store.reset()
    with pytest.raises(secret_store.ConfigurationError, match="holds no webhook-secrets key"):
        secret_store.seal("whsec_x")


def test_the_checkpoint_webhook_payload_is_the_witnessed_checkpoint(runner, make_partner):
    cafcass = make_partner("cafcass")
    subscribe(runner, cafcass.org_id, "https://partner.example/hooks", "audit.checkpoint case.changed")
    runner.invoke(args=["audit", "checkpoint"])
    body = json.loads(db.session.scalars(select(Delivery.body)).one())
    assert body["type"] == "audit.checkpoint"
    assert set(body["data"]) == {"seq", "head_hash", "signed_at", "signature"}
