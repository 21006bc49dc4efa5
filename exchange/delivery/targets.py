"""Where a webhook may go: ``https://`` to a public address, checked when registered and again when sent,
so that a partner's endpoint cannot turn the worker on the exchange's own network (OWASP API7, SSRF).

A target URL is ``https``, names a host and carries no user name or password. Every address the host
resolves to must be public (``ipaddress``'s ``is_global``, not multicast or reserved): private ranges
(10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16, with the cloud metadata
address 169.254.169.254, and fe80::/10), shared (100.64/10), documentation and IPv4-mapped forms of any
of them are refused. ``EXCHANGE_WEBHOOK_ALLOW_LOOPBACK=1`` lets an operator allow loopback addresses
too, over ``http`` or ``https`` (the tests' and the demo's receivers); nothing allows a private address.

When sending, ``resolve`` looks the name up once, checks every answer, and the request goes to that one
address (``pinned_url``) with the name kept in ``Host``, in TLS's SNI and in the certificate check
(``PinnedAdapter``): a name that resolves to a public address when checked and to an internal one when
connecting (DNS rebinding) cannot slip between the two. Redirects are never followed (``sender``).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from requests import PreparedRequest
from requests.adapters import HTTPAdapter

LOOPBACK_ENV = "EXCHANGE_WEBHOOK_ALLOW_LOOPBACK"
NOT_PUBLIC = "resolves to an address that is not public (private, loopback, link-local or cloud metadata)"


class TargetRefused(ValueError):
    """The URL may not receive webhooks; the message says why (it never holds the URL's secrets)."""


def loopback_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """The operator allowed loopback targets (``EXCHANGE_WEBHOOK_ALLOW_LOOPBACK=1``: tests and the demo)."""
    return (os.environ if environ is None else environ).get(LOOPBACK_ENV) == "1"


def _permitted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return loopback
    return address.is_global and not (address.is_multicast or address.is_reserved)


def _parts(url: str, loopback: bool) -> SplitResult:
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL must not carry a user name or password")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("the URL must be https://host/…")
    if parts.scheme == "http" and not loopback:
        raise TargetRefused("the URL must be https://host/… (plain http is never sent off the machine)")
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise TargetRefused("the URL's port is not a number from 1 to 65535") from None
    return parts


def lookup(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the tests replace this to resolve made-up names)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


@dataclass(frozen=True)
class Target:
    """A checked URL: the address to connect to, and the name to present there."""

    url: str
    address: str
    #: ``url`` with the checked address in place of the name
    pinned_url: str
    #: the ``Host`` header: the name (and port) as the URL gives them
    host: str


def resolve(url: str, loopback: bool | None = None) -> Target:
    """Check ``url`` and resolve its host once: every address must be public (module docstring)."""
    loopback = loopback_allowed() if loopback is None else loopback
    parts = _parts(url, loopback)
    hostname = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        answers = lookup(hostname, port)
    except (OSError, UnicodeError):
        raise TargetRefused("the URL's host name does not resolve") from None
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
    if not addresses or not all(_permitted(a, loopback) for a in addresses):
        raise TargetRefused(f"the URL's host {NOT_PUBLIC}")
    if parts.scheme == "http" and not all(a.is_loopback for a in addresses):
        raise TargetRefused("plain http only to a loopback address")
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(url, str(address), pinned, parts.netloc)


class PinnedAdapter(HTTPAdapter):
    """Connects to the address in the request's URL and speaks TLS to the name in its ``Host`` header:
    SNI and the certificate check use the name, not the address."""

    def build_connection_pool_key_attributes(
        self, request: PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        name = urlsplit(f"//{request.headers.get('Host', '')}").hostname
        if host_params["scheme"] == "https" and name:
            pool_kwargs["server_hostname"] = name
            pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs
