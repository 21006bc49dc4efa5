"""Tokens issued per second through the real token endpoint under gunicorn (private_key_jwt clients), asked
for by ``THREADS`` callers on plain sockets, one request per connection (as a machine client sends them).

Baseline, measured in the same run on the same database: the irreducible work of one token, with the
endpoint's parallelism (as many processes as gunicorn has workers, one token at a time each), without
Flask or Authlib: verify the client's assertion (joserfc), spend its ``jti`` durably (one committed insert
into ``used_assertions``) and sign the access token with a key from the key store.

A second line puts the same baseline beside a request that does no work (``GET /health/live``) through
the same server and callers: the most any endpoint served so could reach, which shows how much of the
token endpoint's gap is the serving stack (gunicorn, Flask and its hooks, the rate limit) rather than
the token's own work.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import insert

from benchmarks._harness import exchange, postgres_available, report
from exchange.db import make_engine
from exchange.keystore import b64url
from exchange.keystore.envelope import EnvelopeStore
from exchange.models import UsedAssertion

TOKENS = 2000
THREADS = 8
WORKERS = 2  # gunicorn's, for the endpoint; the baseline's processes
_floor: dict[str, Any] = {}


def assertions(client_id: str, key: ECKey, audience: str, n: int) -> list[str]:
    now = int(time.time())
    return [
        jwt.encode(
            {"alg": "ES256", "kid": key.kid},
            {
                "iss": client_id,
                "sub": client_id,
                "aud": audience,
                "iat": now,
                "exp": now + 240,
                "jti": uuid.uuid4().hex,
            },
            key,
            algorithms=["ES256"],
        )
        for _ in range(n)
    ]


def _floor_start(database_url: str, kek: str, client_jwk: dict[str, Any], kid: str, key_ref: str) -> None:
    _floor.update(
        engine=make_engine(database_url),
        client_key=ECKey.import_key(client_jwk),
        signer=EnvelopeStore(kek).signer(kid, key_ref),
        kid=kid,
    )


def _floor_tokens(samples: list[str]) -> int:
    """One process's share: verify, spend, sign, one token at a time."""
    engine, client_key, signer = _floor["engine"], _floor["client_key"], _floor["signer"]
    header = b64url(json.dumps({"alg": "ES256", "kid": _floor["kid"], "typ": "at+jwt"}).encode())
    for assertion in samples:
        claims = jwt.decode(assertion, client_key, algorithms=["ES256"]).claims
        jwt.JWTClaimsRegistry(exp={"essential": True}, iat={"essential": True}).validate(claims)
        expires = datetime.fromtimestamp(claims["exp"], UTC)
        with engine.begin() as conn:
            conn.execute(
                insert(UsedAssertion).values(client_id=claims["sub"], jti=claims["jti"], expires_at=expires)
            )
        body = {"sub": claims["sub"], "jti": uuid.uuid4().hex, "exp": claims["exp"], "scope": "feed:read"}
        signing_input = f"{header}.{b64url(json.dumps(body).encode())}"
        signer.sign(signing_input.encode())
    return len(samples)


def floor(database_url: str, kek: Path, client_key: ECKey, samples: list[str]) -> float:
    """Per second: the irreducible work of a token, in ``WORKERS`` processes."""
    jwk, key_ref = EnvelopeStore(str(kek)).generate("token")
    setup = (database_url, str(kek), client_key.as_dict(private=False), jwk["kid"], key_ref)
    with multiprocessing.get_context("spawn").Pool(WORKERS, _floor_start, setup) as pool:
        pool.map(_floor_tokens, [[] for _ in range(WORKERS)])  # every process started and set up
        start = time.perf_counter()
        done = sum(pool.map(_floor_tokens, [samples[i::WORKERS] for i in range(WORKERS)]))
        return done / (time.perf_counter() - start)


def _post(address: tuple[str, int], request: bytes) -> int:
    """One request on a connection of its own, no keep-alive: sent whole with
    ``Connection: close`` and the write side shut, so the worker sees the connection end at once rather
    than when this process is next scheduled; the status read from the answer."""
    with socket.create_connection(address, timeout=30) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def per_second(url: str, requests: list[bytes]) -> float:
    """Requests answered 200 per second from ``THREADS`` callers on plain sockets (the lightest caller, so
    that the load generator takes as little as it can of the CPU the workers share), the requests made
    beforehand."""
    split = urlsplit(url)
    address = (split.hostname or "127.0.0.1", split.port or 80)
    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(lambda request: _post(address, request), requests))
    elapsed = time.perf_counter() - start
    if statuses.count(200) != len(requests):
        sys.exit(f"only {statuses.count(200)} of {len(requests)} requests succeeded")
    return len(requests) / elapsed


def no_work(url: str) -> float:
    """``GET /health/live`` per second, as many requests as there are tokens."""
    request = f"GET /health/live HTTP/1.1\r\nHost: {urlsplit(url).netloc}\r\nConnection: close\r\n\r\n"
    return per_second(url, [request.encode()] * TOKENS)


def through_endpoint(url: str, client_id: str, key: ECKey) -> float:
    """Tokens per second through the token endpoint (``per_second``)."""
    netloc = urlsplit(url).netloc
    requests = []
    for assertion in assertions(client_id, key, f"{url}/oauth/token", TOKENS):
        body = urlencode(
            {
                "grant_type": "client_credentials",
                "client_assertion": assertion,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            }
        ).encode()
        head = (
            f"POST /oauth/token HTTP/1.1\r\nHost: {netloc}\r\nConnection: close\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return per_second(url, requests)


def main() -> None:
    key = ECKey.generate_key("P-256", auto_kid=True)
    for kind in ("sqlite", "postgresql") if postgres_available() else ("sqlite",):
        with exchange(kind) as ex:
            ex.cli("org", "add", "--id", "cafcass", "--kind", "cafcass", "--service", "cafcass")
            jwks = ex.workdir / "client.jwks.json"
            jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
            client_id = ex.cli_json(
                "client", "add", "--org", "cafcass", "--scopes", "feed:read", "--jwks", str(jwks)
            )["client_id"]
            with ex.served(workers=WORKERS) as url:
                through_endpoint(url, client_id, key)  # warm-up: imports, connection pools, key cache
                rate = through_endpoint(url, client_id, key)
                idle = no_work(url)
            baseline = floor(
                ex.database_url, ex.key_encryption_key, key, assertions("floor", key, "aud", TOKENS)
            )
        report(
            f"token endpoint, gunicorn {WORKERS} workers, {kind}",
            rate,
            "tokens/s",
            f"verify + spend jti + sign, {WORKERS} processes",
            baseline,
        )
        report(
            f"GET /health/live (no work), same server and callers, {kind}",
            idle,
            "per second",
            f"verify + spend jti + sign, {WORKERS} processes",
            baseline,
        )


if __name__ == "__main__":
    main()
