"""MQTT-SN gateway discovery [MQTT-SN 6.1]: SEARCHGW answered with GWINFO (unicast, over a
forwarder, broadcast and multicast), and the periodic ADVERTISE. The broker runs two
shards, so its listener has two sockets on one port: a broadcast or multicast SEARCHGW
reaches both, and must still be answered once.
"""
import socket
import time

import pytest

import snraw as S
from test_mqttsn import sn_factory  # noqa: F401  (the fixture)

GROUP = "225.1.1.7"


def searchgw_answers(dest, wait=0.7):
    """Sends one SEARCHGW from a fresh socket to `dest`; returns the GWINFOs it gets."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    s.settimeout(wait)
    try:
        s.sendto(S.searchgw(radius=1), dest)
        got = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                got.append(S.decode(s.recvfrom(100)[0]))
            except socket.timeout:
                break
        return [m for m in got if m.type == S.GWINFO]
    finally:
        s.close()


def test_searchgw_answered_with_gwinfo(sn_factory):
    b = sn_factory(listener={"gateway_id": 42})
    c = b.sn()
    c.send(S.searchgw(radius=1))
    m = c.expect(S.GWINFO)
    assert m.gw_id == 42 == b.gateway_id
    assert m.gw_add == b""  # GwAdd only when a client answers [MQTT-SN 5.4.3]


def test_searchgw_through_forwarder(sn_factory):
    b = sn_factory()
    c = b.sn(node_id=b"\x07")
    c.send(S.searchgw())
    assert c.expect(S.GWINFO).gw_id == b.gateway_id


def test_searchgw_from_two_nodes_behind_one_forwarder_both_answered(sn_factory):
    b = sn_factory()
    first = b.sn(node_id=b"\x07")
    second = S.SnClient(b.sn_addr, node_id=b"\x08")
    second.sock.close()
    second.sock = first.sock  # the forwarder: one address relaying two nodes
    first.send(S.searchgw())
    assert first.expect(S.GWINFO).gw_id == b.gateway_id
    second.send(S.searchgw())
    assert second.expect(S.GWINFO).gw_id == b.gateway_id  # within the second: not a copy


def test_advertise_sent_to_broadcast_address(sn_factory):
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.bind(("127.0.0.1", 0))
    listen.settimeout(3.0)
    try:
        port = listen.getsockname()[1]
        sn_factory(listener={"gateway_id": 9, "broadcast": f"127.0.0.1:{port}",
                             "advertise_interval_s": 1})
        got = [S.decode(listen.recvfrom(100)[0]) for _ in range(2)]  # one at start, one 1 s on
    finally:
        listen.close()
    for m in got:
        assert (m.type, m.gw_id, m.duration) == (S.ADVERTISE, 9, 1)


def test_broadcast_searchgw_answered_once_by_a_two_shard_listener(sn_factory):
    b = sn_factory(listener={"bind": "0.0.0.0:0", "gateway_id": 5,
                             "broadcast": "127.255.255.255:1", "advertise_interval_s": 3600})
    port = b.sn_addr[1]
    answers = searchgw_answers(("127.255.255.255", port))
    assert [m.gw_id for m in answers] == [5]  # both sockets got it; one GWINFO
    time.sleep(1.1)  # a later search is answered again
    assert [m.gw_id for m in searchgw_answers(("127.255.255.255", port))] == [5]


def test_multicast_searchgw_answered_and_gwinfo_sent_to_the_group(sn_factory):
    group = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    group.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    group.bind(("", 0))
    group_port = group.getsockname()[1]
    try:
        group.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                         socket.inet_aton(GROUP) + socket.inet_aton("0.0.0.0"))
    except OSError as e:
        group.close()
        pytest.skip(f"no multicast on this host's default interface: {e}")
    group.settimeout(2.0)
    try:
        # The group's port is the gateway's port too: where SEARCHGW goes, GWINFO returns.
        b = sn_factory(listener={"bind": f"0.0.0.0:{group_port}", "gateway_id": 6,
                                 "broadcast": f"{GROUP}:{group_port}",
                                 "advertise_interval_s": 3600})
        assert S.decode(group.recvfrom(100)[0]).type == S.ADVERTISE  # sent at start
        answers = searchgw_answers((GROUP, group_port))
        assert [m.gw_id for m in answers] == [6]  # the searcher gets one, unicast
        seen = [S.decode(group.recvfrom(100)[0]) for _ in range(2)]  # its own SEARCHGW, GWINFO
        assert [m.type for m in seen].count(S.GWINFO) == 1
        assert b.gateway_id == 6
    finally:
        group.close()
