"""A PKCS#11 token (an HSM; SoftHSM2 in CI) through python-pkcs11: keys are made inside the token,
private, sensitive and not extractable, and found again by their label; only signatures come out.
Secrets are sealed with AES-256-GCM inside the token, under one AES key it makes on first use
(``exchange-secrets``)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import uuid
from typing import Any

import pkcs11
from pkcs11.mechanisms import GCMParams
from pkcs11.util.ec import encode_named_curve_parameters

from exchange.keystore import NONCE, KeyStoreError, associated, public_jwk

#: the DER header of an OCTET STRING holding an uncompressed P-256 point (0x04 || X || Y)
_POINT_PREFIX = b"\x04\x41\x04"
SECRETS_KEY = "exchange-secrets"
SEALED = "P11-A256GCM."


class _Key:
    def __init__(self, store: Pkcs11Store, label: str) -> None:
        self._store, self._label = store, label

    def sign(self, data: bytes) -> bytes:
        digest = hashlib.sha256(data).digest()
        with self._store.session() as session:
            key = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=self._label)
            return key.sign(digest, mechanism=pkcs11.Mechanism.ECDSA)


class Pkcs11Store:
    backend = "pkcs11"

    def __init__(self, module: str, token_label: str, pin: str) -> None:
        self._module, self._token_label, self._pin = module, token_label, pin
        self._session: Any = None
        self._lock = threading.Lock()

    def session(self) -> Any:
        """The one open session, used by one thread at a time (``with store.session() as s``)."""
        store = self

        class _Held:
            def __enter__(self) -> Any:
                store._lock.acquire()
                try:
                    return store._open()
                except BaseException:
                    store._lock.release()
                    raise

            def __exit__(self, *_exc: object) -> None:
                store._lock.release()

        return _Held()

    def _open(self) -> Any:
        if self._session is None:
            try:
                token = pkcs11.lib(self._module).get_token(token_label=self._token_label)
                self._session = token.open(rw=True, user_pin=self._pin)
            except Exception as error:  # noqa: BLE001 - the library raises many kinds; one line says which
                raise KeyStoreError(
                    "EXCHANGE_PKCS11_MODULE / EXCHANGE_PKCS11_TOKEN / EXCHANGE_PKCS11_PIN: "
                    f"the PKCS#11 token cannot be opened ({type(error).__name__})"
                ) from None
        return self._session

    def generate(self, purpose: str) -> tuple[dict[str, Any], str]:
        label = f"exchange-{purpose}-{uuid.uuid4().hex}"
        with self.session() as session:
            parameters = session.create_domain_parameters(
                pkcs11.KeyType.EC,
                {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True,
            )
            public, _private = parameters.generate_keypair(
                store=True,
                label=label,
                private_template={pkcs11.Attribute.SENSITIVE: True, pkcs11.Attribute.EXTRACTABLE: False},
            )
            point = bytes(public[pkcs11.Attribute.EC_POINT])
        if not point.startswith(_POINT_PREFIX) or len(point) != 67:
            raise KeyStoreError("the PKCS#11 token answered a public point that is not P-256")
        x, y = int.from_bytes(point[3:35], "big"), int.from_bytes(point[35:], "big")
        return public_jwk(x, y), label

    def signer(self, kid: str, key_ref: str) -> _Key:
        return _Key(self, key_ref)

    def _secrets_key(self, session: Any) -> Any:
        try:
            return session.get_key(
                object_class=pkcs11.ObjectClass.SECRET_KEY, key_type=pkcs11.KeyType.AES, label=SECRETS_KEY
            )
        except pkcs11.NoSuchKey:
            return session.generate_key(
                pkcs11.KeyType.AES,
                256,
                label=SECRETS_KEY,
                store=True,
                template={pkcs11.Attribute.SENSITIVE: True, pkcs11.Attribute.EXTRACTABLE: False},
            )

    def seal(self, secret: bytes, context: str) -> str:
        nonce = secrets.token_bytes(NONCE)
        with self.session() as session:
            sealed = self._secrets_key(session).encrypt(
                secret,
                mechanism=pkcs11.Mechanism.AES_GCM,
                mechanism_param=GCMParams(nonce, associated(context)),
            )
        return SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()

    def unseal(self, sealed: str, context: str) -> bytes:
        try:
            raw = base64.urlsafe_b64decode(sealed.removeprefix(SEALED))
            with self.session() as session:
                return bytes(
                    self._secrets_key(session).decrypt(
                        raw[NONCE:],
                        mechanism=pkcs11.Mechanism.AES_GCM,
                        mechanism_param=GCMParams(raw[:NONCE], associated(context)),
                    )
                )
        except (ValueError, pkcs11.PKCS11Error):
            raise KeyStoreError("the PKCS#11 token does not open this sealed secret") from None
