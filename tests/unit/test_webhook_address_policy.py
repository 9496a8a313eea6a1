"""Which addresses webhooks may be POSTed to: public ones, and what the operator allows.

The resolver is either the system's (for names every machine resolves the same way:
``localhost`` and the legacy numeric forms) or a table standing in for DNS answers an
attacker controls; no HTTP is involved here (see test_webhook_dispatch.py for that).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from autoassign.adapters.webhooks import (
    AddressPolicy,
    AllowList,
    TargetRefused,
    address_refusal,
)
from autoassign.config import Settings


def dns(table: dict[str, list[str]]):
    """A resolver answering from ``table``, as a DNS server under someone's control would."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        return table[host.lower().rstrip(".")]

    return resolve


REFUSED = [
    # IPv4
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("100.64.0.1", "CGNAT"),
    ("100.100.100.200", "CGNAT"),  # Alibaba Cloud's metadata service
    ("100.127.255.254", "CGNAT"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),  # AWS, GCP, Azure metadata
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.8", "IETF"),
    ("192.0.2.1", "documentation"),
    ("192.88.99.1", "6to4 relay"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    # IPv6
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("fe80::1", "link-local"),
    ("fe80::1%1", "link-local"),
    ("fc00::1", "unique-local"),
    ("fd12:3456:789a::1", "unique-local"),
    ("fd00:ec2::254", "unique-local"),  # AWS's IPv6 metadata service
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("100::1", "discard-only"),
    ("2001::1", "IETF"),  # Teredo
    ("2001:2::1", "IETF"),  # benchmarking
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("4000::1", "reserved"),
    ("5f00::1", "reserved"),
    # IPv4 inside IPv6: judged by the IPv4 address the packets reach
    ("::ffff:127.0.0.1", "IPv4-mapped 127.0.0.1, which is loopback"),
    ("::ffff:7f00:1", "IPv4-mapped 127.0.0.1, which is loopback"),
    ("::ffff:169.254.169.254", "IPv4-mapped 169.254.169.254, which is link-local"),
    ("::ffff:10.1.2.3", "IPv4-mapped 10.1.2.3, which is private"),
    ("::ffff:100.64.0.1", "IPv4-mapped 100.64.0.1, which is shared"),
    ("64:ff9b::7f00:1", "NAT64 127.0.0.1, which is loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 169.254.169.254, which is link-local"),
    ("2002:7f00:1::1", "6to4 127.0.0.1, which is loopback"),
    ("2002:c0a8:101::1", "6to4 192.168.1.1, which is private"),
]

PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.215.14",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above
    "172.32.0.1",  # just above 172.16/12
    "192.169.0.1",
    "223.255.255.254",  # just below multicast
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2a00:1450:4001:81b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of a public address: how IPv6-only hosts reach IPv4
]


@pytest.mark.parametrize(("address", "why"), REFUSED)
def test_non_public_addresses_are_refused_with_the_reason(address: str, why: str):
    reason = address_refusal(ipaddress.ip_address(address))
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str):
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_6to4_of_a_public_address_is_judged_as_ipv6_too():
    # 2002:0808:0808:: reaches 8.8.8.8 through a relay: nothing private about it
    assert address_refusal(ipaddress.ip_address("2002:808:808::1")) is None


# resolution ---------------------------------------------------------------------------


async def test_literal_addresses_are_checked_without_asking_dns():
    async def no_dns(host: str, port: int) -> Sequence[str]:
        raise AssertionError(f"resolved {host}")

    policy = AddressPolicy(resolve=no_dns)
    assert await policy.addresses("93.184.215.14", 443) == [ipaddress.ip_address("93.184.215.14")]
    with pytest.raises(TargetRefused, match=r"^169\.254\.169\.254: 169\.254\.169\.254 is link"):
        await policy.addresses("169.254.169.254", 80)
    with pytest.raises(TargetRefused, match="loopback"):
        await policy.addresses("[::1]", 80)
    with pytest.raises(TargetRefused, match=r"IPv4-mapped 127\.0\.0\.1"):
        await policy.addresses("::ffff:127.0.0.1", 80)


async def test_localhost_is_refused_after_real_resolution():
    with pytest.raises(TargetRefused) as refused:
        await AddressPolicy().addresses("localhost", 80)
    assert refused.value.reason.startswith("localhost resolves to ")
    assert "loopback" in refused.value.reason


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1"])
async def test_legacy_numeric_spellings_of_loopback_are_refused(host: str):
    # not addresses to ipaddress, but the C resolver reads them as 127.0.0.1
    with pytest.raises(TargetRefused, match=r"resolves to 127\.0\.0\.1, which is loopback"):
        await AddressPolicy().addresses(host, 80)


async def test_a_name_resolving_to_a_private_address_is_refused():
    policy = AddressPolicy(
        resolve=dns(
            {
                "metadata.attacker.test": ["169.254.169.254"],
                "redis.attacker.test": ["10.0.3.7"],
                "v6.attacker.test": ["fd00::7"],
                "mapped.attacker.test": ["::ffff:192.168.0.10"],
            }
        )
    )
    for host, why in [
        ("metadata.attacker.test", "169.254.169.254, which is link-local"),
        ("redis.attacker.test", "10.0.3.7, which is private"),
        ("v6.attacker.test", "fd00::7, which is unique-local"),
        ("mapped.attacker.test", "IPv4-mapped 192.168.0.10, which is private"),
    ]:
        with pytest.raises(TargetRefused, match=why):
            await policy.addresses(host, 443)


async def test_one_private_answer_among_public_ones_refuses_the_name():
    policy = AddressPolicy(resolve=dns({"mixed.test": ["93.184.215.14", "10.0.0.5"]}))
    with pytest.raises(TargetRefused) as refused:
        await policy.addresses("mixed.test", 443)
    assert refused.value.reason == "mixed.test resolves to 10.0.0.5, which is private (RFC 1918)"


async def test_a_public_name_gives_every_address_to_connect_to():
    answers = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    policy = AddressPolicy(resolve=dns({"example.test": answers}))
    found = await policy.addresses("example.test", 443)
    assert found == [ipaddress.ip_address(a) for a in answers]


async def test_a_name_with_no_address_is_a_resolution_error_not_a_refusal():
    policy = AddressPolicy(resolve=dns({"empty.test": []}))
    with pytest.raises(OSError, match="no address"):
        await policy.addresses("empty.test", 443)


# the allow-list -----------------------------------------------------------------------


async def test_allow_list_by_name_allows_whatever_the_name_resolves_to():
    policy = AddressPolicy(
        "hooks.internal", resolve=dns({"hooks.internal": ["10.1.2.3", "fd00::3"]})
    )
    assert len(await policy.addresses("hooks.internal", 443)) == 2
    assert len(await policy.addresses("HOOKS.Internal.", 443)) == 2  # case, root dot


async def test_allow_list_names_are_exact():
    table = {name: ["10.1.2.3"] for name in ("a.hooks.internal", "hooks.internal.evil.test")}
    policy = AddressPolicy("hooks.internal", resolve=dns(table))
    for host in table:
        with pytest.raises(TargetRefused):
            await policy.addresses(host, 443)


async def test_allow_list_by_address():
    policy = AddressPolicy("127.0.0.1, ::1", resolve=dns({"receiver.test": ["127.0.0.1"]}))
    assert await policy.addresses("127.0.0.1", 80)
    assert await policy.addresses("::1", 80)
    assert await policy.addresses("::ffff:127.0.0.1", 80)  # the same IPv4 address
    assert await policy.addresses("receiver.test", 80)  # any name resolving to it
    with pytest.raises(TargetRefused, match="loopback"):
        await policy.addresses("127.0.0.2", 80)
    with pytest.raises(TargetRefused, match="link-local"):
        await policy.addresses("169.254.169.254", 80)


async def test_allow_list_by_cidr_range():
    policy = AddressPolicy(["10.0.0.0/8", "fd00:aa::/32"])
    assert await policy.addresses("10.200.3.4", 80)
    assert await policy.addresses("fd00:aa:1::9", 80)
    for host in ["172.16.0.1", "192.168.0.1", "fd00:ab::1", "127.0.0.1"]:
        with pytest.raises(TargetRefused):
            await policy.addresses(host, 80)


async def test_an_allowed_name_does_not_widen_to_other_names_with_its_address():
    table = {"hooks.internal": ["10.1.2.3"], "other.test": ["10.1.2.3"]}
    policy = AddressPolicy("hooks.internal", resolve=dns(table))
    assert await policy.addresses("hooks.internal", 80)
    with pytest.raises(TargetRefused):
        await policy.addresses("other.test", 80)


def test_allow_list_parsing():
    allowed = AllowList.parse(" 127.0.0.1 , Hooks.Internal. ,10.0.0.0/8,,[::1], 10.1.2.3/8 ")
    assert allowed.names == frozenset({"hooks.internal"})
    assert set(allowed.networks) == {
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    }
    assert not AllowList.parse("")
    assert not AllowList.parse(" , ")


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "*.internal", "127.0.0.1:8080", "fd00::/129"])
def test_allow_list_entries_that_would_silently_match_nothing_are_errors(entry: str):
    with pytest.raises(ValueError, match=r"wildcard|neither"):
        AllowList.parse(f"hooks.internal,{entry}")
    with pytest.raises(ValidationError):
        Settings(webhook_allowed_hosts=entry)


def test_the_setting_defaults_to_empty_and_reads_the_environment(monkeypatch):
    assert Settings().webhook_allowed_hosts == ""
    monkeypatch.setenv("AUTOASSIGN_WEBHOOK_ALLOWED_HOSTS", " 127.0.0.1, Hooks.Internal ,10.0.0.0/8")
    settings = Settings()
    assert settings.webhook_allowed_hosts == "127.0.0.1,hooks.internal,10.0.0.0/8"
    allowed = AllowList.parse(settings.webhook_allowed_hosts)
    assert allowed.names == frozenset({"hooks.internal"})
    assert len(allowed.networks) == 2
