"""Which addresses a webhook may be delivered to, and why the others are refused (SSRF).

Anyone with an account chooses the URL we POST to, so a webhook could otherwise point
us at the cloud metadata service, a database on the private network or our own admin
port. Delivery therefore refuses addresses that are not public (loopback, private, CGNAT,
link-local, unique-local, multicast, reserved...) unless the operator allow-listed them.

The policy judges addresses, not URLs: ``AddressPolicy.addresses`` resolves a host once
and checks every answer, and the transport (``transport.py``) connects only to what it
returned, so a name cannot resolve to a public address for the check and a private one
for the connect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from autoassign.core import errors

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: IPv4 ranges that are not the public internet (IANA special-purpose registry), first
#: match wins; the label is what the refusal is logged with
_IPV4_REFUSED: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(network), label)
    for network, label in (
        ("0.0.0.0/8", "unspecified ('this network')"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared address space (CGNAT, RFC 6598)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata services live here)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation (TEST-NET-1)"),
        ("192.88.99.0/24", "6to4 relay anycast (deprecated)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation (TEST-NET-2)"),
        ("203.0.113.0/24", "documentation (TEST-NET-3)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved (and broadcast)"),
    )
)
#: IPv6 ranges refused although inside 2000::/3 or worth a precise label; everything
#: outside 2000::/3 (global unicast) is refused anyway as reserved
_IPV6_REFUSED: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(network), label)
    for network, label in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible (deprecated)"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001::/23", "IETF protocol assignments (Teredo, benchmarking...)"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated)"),
        ("ff00::/8", "multicast"),
    )
)
_IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
#: NAT64 well-known prefix: the last 32 bits are the IPv4 address actually reached
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def address_refusal(address: IPAddress) -> str | None:
    """Why ``address`` must not be a webhook target by default, or None if it is public.

    IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, NAT64
    ``64:ff9b::a.b.c.d``, 6to4 ``2002:AABB:CCDD::``) are judged by that IPv4 address too,
    since that is where the packets end up. An explicit table rather than only
    ``ipaddress``'s ``is_global``: the latter's lists differ between Python patch
    releases (3.11.7 calls ``64:ff9b:1::1`` and ``2002:7f00:1::`` global).
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded, form = _embedded_ipv4(address)
        if embedded is not None:
            why = address_refusal(embedded)
            if why is not None:
                return f"{form} {embedded}, which is {why}"
            if form != "6to4":
                return None  # only a way of spelling a public IPv4 address
        for network, label in _IPV6_REFUSED:
            if address in network:
                return label
        if address not in _IPV6_GLOBAL_UNICAST:
            return "reserved (outside global unicast 2000::/3)"
    else:
        for v4_network, label in _IPV4_REFUSED:
            if address in v4_network:
                return label
    if not address.is_global:
        return "not globally routable"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address | None, str]:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "IPv4-mapped"
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    return None, ""


def _host_name(host: str) -> str:
    """A host name as compared: lower case, without brackets or the root's trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


@dataclass(frozen=True, slots=True)
class AllowList:
    """Targets the operator vouches for although not public: exact host names, or
    addresses and CIDR ranges (a bare address is a /32 or /128)."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, spec: str | Iterable[str]) -> AllowList:
        """From ``"a.example, 10.0.0.0/8, ::1"`` or a list of such entries.

        Raises ValueError for a malformed range, a wildcard or a port: each would
        otherwise be taken for a host name that never matches, and the operator would
        believe something is allowed that is not.
        """
        entries = spec.split(",") if isinstance(spec, str) else list(spec)
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = _host_name(raw)
            if not entry:
                continue
            if "*" in entry:
                raise ValueError(f"{raw.strip()!r}: wildcards are not supported; list names")
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                if "/" in entry or ":" in entry:
                    raise ValueError(
                        f"{raw.strip()!r} is neither an address nor a CIDR range (no ports)"
                    ) from None
            names.add(entry)
        return cls(frozenset(names), tuple(networks))

    def allows_name(self, host: str) -> bool:
        return _host_name(host) in self.names

    def allows_address(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)  # "127.0.0.1" also allows ::ffff:127.0.0.1
        return any(a in network for a in candidates for network in self.networks)

    def __bool__(self) -> bool:
        return bool(self.names or self.networks)


#: ``(host, port) -> addresses``: how host names are resolved; replaceable for tests and
#: for deployments with their own DNS (it must not return names, only addresses)
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


async def system_resolve(host: str, port: int) -> Sequence[str]:
    """The addresses the system resolver gives for ``host``, in its order, deduplicated."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class TargetRefused(errors.WebhookTargetRefused):
    """The webhook's host is not public and not allow-listed: a permanent failure.

    Deliberately not an ``httpx2.HTTPError``: those are transient and retried, while
    asking again cannot change the answer (or, with rebinding DNS, should not).
    """

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason


class AddressPolicy:
    """Which addresses a webhook may be delivered to: public ones, and allow-listed ones."""

    def __init__(
        self, allowed_hosts: str | Iterable[str] = "", resolve: Resolver | None = None
    ) -> None:
        self.allowed = AllowList.parse(allowed_hosts)
        self._resolve = resolve or system_resolve

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """Why ``host`` at ``address`` must not be connected to, or None."""
        if self.allowed.allows_name(host) or self.allowed.allows_address(address):
            return None
        return address_refusal(address)

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, each checked; connect only to these.

        Raises ``TargetRefused`` if any of them is refused: a name with one private
        address among public ones is someone's way in, not a misconfiguration to route
        around. Resolution errors propagate as ``OSError`` (transient: retried).
        """
        try:
            resolved: list[IPAddress] = [ipaddress.ip_address(_host_name(host))]
            literal = True
        except ValueError:  # a name; "127.1" and "2130706433" end up here and resolve too
            answers = await self._resolve(host, port)
            resolved = [ipaddress.ip_address(answer) for answer in answers]
            literal = False
            if not resolved:
                raise OSError(f"{host} resolved to no address") from None
        refused = [(a, why) for a in resolved if (why := self.refusal(host, a)) is not None]
        if refused:
            if literal:
                raise TargetRefused(host, f"{host} is {refused[0][1]}")
            detail = "; ".join(f"{address}, which is {why}" for address, why in refused)
            raise TargetRefused(host, f"{host} resolves to {detail}")
        return resolved
