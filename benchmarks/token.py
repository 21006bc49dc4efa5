"""Tokens issued per second through the real token endpoint under gunicorn (private_key_jwt clients).

Baseline, measured in the same run: joserfc alone verifying each client assertion and signing each
access token (the two ES256 operations the endpoint must do per token), on one thread, without Flask.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from benchmarks._harness import exchange, postgres_available, report

TOKENS = 2000
THREADS = 8


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


def floor(client_key: ECKey, samples: list[str]) -> float:
    """Per second: verify one assertion and sign one access token, as joserfc alone does them."""
    server_key = ECKey.generate_key("P-256", auto_kid=True)
    start = time.perf_counter()
    for assertion in samples:
        claims = jwt.decode(assertion, client_key, algorithms=["ES256"]).claims
        jwt.JWTClaimsRegistry(exp={"essential": True}, iat={"essential": True}).validate(claims)
        jwt.encode(
            {"alg": "ES256", "typ": "at+jwt", "kid": server_key.kid},
            {"sub": claims["sub"], "jti": uuid.uuid4().hex, "exp": claims["exp"], "scope": "feed:read"},
            server_key,
            algorithms=["ES256"],
        )
    return len(samples) / (time.perf_counter() - start)


def through_endpoint(url: str, client_id: str, key: ECKey) -> float:
    batch = assertions(client_id, key, f"{url}/oauth/token", TOKENS)
    sessions = [requests.Session() for _ in range(THREADS)]

    def fetch(i: int) -> int:
        return (
            sessions[i % THREADS]
            .post(
                f"{url}/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_assertion": batch[i],
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                },
            )
            .status_code
        )

    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(fetch, range(TOKENS)))
    elapsed = time.perf_counter() - start
    if statuses.count(200) != TOKENS:
        sys.exit(f"only {statuses.count(200)} of {TOKENS} token requests succeeded")
    return TOKENS / elapsed


def main() -> None:
    key = ECKey.generate_key("P-256", auto_kid=True)
    baseline = floor(key, assertions("bench", key, "aud", TOKENS))
    for kind in ("sqlite", "postgresql") if postgres_available() else ("sqlite",):
        with exchange(kind) as ex:
            ex.cli("org", "add", "--id", "cafcass", "--kind", "cafcass", "--service", "cafcass")
            jwks = ex.workdir / "client.jwks.json"
            jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
            client_id = ex.cli_json(
                "client", "add", "--org", "cafcass", "--scopes", "feed:read", "--jwks", str(jwks)
            )["client_id"]
            with ex.served(workers=2) as url:
                through_endpoint(url, client_id, key)  # warm-up: imports, connection pools, key cache
                rate = through_endpoint(url, client_id, key)
        report(
            f"token endpoint, gunicorn 2 workers, {kind}",
            rate,
            "tokens/s",
            "joserfc verify+sign, 1 thread",
            baseline,
        )


if __name__ == "__main__":
    main()
