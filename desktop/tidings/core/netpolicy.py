"""Which network addresses Tidings connects to.

The rule. Tidings connects to a non-public address (loopback, private, link-local, carrier-grade NAT, unique
local, multicast, reserved, unspecified; an IPv4 address inside an IPv6 one counts as that IPv4 address) only
on a site the user gave it, and never right after a public one:

- The address a fetch starts at may be non-public when the user gave it: typed to subscribe, listed in an OPML
  file they imported, or a feed's stored address (one of those, or where one of those moved without passing a
  public address). An intranet feed or a feed server on this machine works as the user means it to.
- An address found in a document (a link on a page the user typed, an article page, an image or an icon a
  feed names) may be non-public only on the same site as the user's own address it came from (the same host
  and port, or the same host moved from http to https).
- Along a redirect chain the trust lasts while the chain stays on non-public addresses; once a fetch has
  reached a public address, every later hop must be public too. A public feed can never send Tidings into
  the user's network, whatever the redirect, however the address is written (decimal, hex, IPv6-mapped...).
- Each host is resolved once per fetcher and the connection is made to the addresses that were checked,
  never to a second answer from DNS (DNS rebinding). A name with any non-public address counts as
  non-public. Refusals happen before any connection, with a sentence saying why.

The one thing the rule trusts is the user's own site: if a host the user gave later resolves to a private
address (its owner changed DNS), Tidings goes there, as it would for a private address the user typed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from .credentials import same_site
from .errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated IPv4-compatible addresses: ::127.0.0.1
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix: carries an IPv4 address
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local-use NAT64: a private network's own
# Numbers the C library reads as IPv4 (inet_aton): 2130706433, 0x7f.1, 0177.0.0.1, 127.1
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)


class Resolver(Protocol):
    """Looks host names up, and says which answers count as public (the system's: `SystemResolver`)."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]: ...

    def is_public(self, host: str, address: IPAddress) -> bool: ...


class SystemResolver:
    """The system's DNS (getaddrinfo, off the event loop) and `public_address`."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))

    def is_public(self, host: str, address: IPAddress) -> bool:
        return public_address(address)


def public_address(address: IPAddress) -> bool:
    """Whether `address` is a public internet unicast address. An IPv4 address carried in an IPv6 one
    (mapped, compatible, 6to4, NAT64) is judged as that IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            return public_address(inner)
        if address in _NAT64_LOCAL or address.is_site_local:
            return False
    return address.is_global and not (address.is_multicast or address.is_reserved)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _COMPATIBLE or address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def literal_address(host: str) -> IPAddress | None:
    """`host` as an IP address when it is one, in any notation the C library accepts, else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def may_start_private(url: str, linked_from: str | None) -> bool:
    """Whether a fetch of `url` may begin at a non-public address: the user gave `url` (`linked_from` is
    None), or it was found in a document from the user's address `linked_from`, on the same site."""
    return linked_from is None or same_site(linked_from, url)


class AddressRefused(FetchError):
    """An address the network policy does not allow (a non-public one the user did not give)."""


@dataclass(frozen=True, slots=True)
class Checked:
    addresses: tuple[str, ...]  # connect to these, in this order, and to nothing else
    public: bool


class AddressGuard:
    """Resolves each host once (per fetcher) and checks the answer against the rule above."""

    def __init__(self, resolver: Resolver | None = None) -> None:
        self._resolver: Resolver = resolver or SystemResolver()
        self._answers: dict[str, tuple[IPAddress, ...]] = {}

    async def check(self, url: str, *, private_ok: bool, redirected: bool) -> Checked:
        """The addresses to connect to for `url`; raises AddressRefused when the host is not public and
        `private_ok` is false (`redirected`: reached through a redirect, which the message says), and
        OSError (socket.gaierror) when the name cannot be resolved."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        addresses = await self._addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
        private = [a for a in addresses if not self._resolver.is_public(host, a)]
        if private and not private_ok:
            raise AddressRefused(_refusal(host, private[0], redirected))
        return Checked(tuple(str(a) for a in addresses), public=not private)

    async def _addresses(self, host: str, port: int) -> tuple[IPAddress, ...]:
        literal = literal_address(host)
        if literal is not None:
            return (literal,)
        key = host.lower().rstrip(".")
        if key not in self._answers:
            found = tuple(await self._resolver.resolve(host, port))
            if not found:
                raise socket.gaierror(socket.EAI_NONAME, "no address for the name")
            self._answers[key] = found
        return self._answers[key]


def _refusal(host: str, address: IPAddress, redirected: bool) -> str:
    shown = host if _plain_address(host) else f"{host} ({address})"
    if redirected:
        return (
            f"The address redirected to {shown}, a private or local network address, after passing a "
            "public one; Tidings refuses that. Subscribe to the private address itself if you trust it."
        )
    return (
        f"{shown} is a private or local network address on another site than the feed; Tidings does "
        "not connect to one for a link found in a feed or on a page."
    )


def _plain_address(host: str) -> bool:
    """`host` is an IP address written the usual way (so it need not be shown twice)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
