"""Configured limits: Receive Maximum both ways, Maximum Packet Size both ways,
in-flight window, connect timeout, connection limit."""
import time

import mqttraw as R


def test_client_exceeding_receive_maximum_gets_0x93(broker_factory):
    broker = broker_factory({"limits": {"receive_maximum": 2}})
    c = broker.raw()
    assert c.connect().props[R.RECEIVE_MAXIMUM] == 2
    # QoS 2 messages stay "in flight" until PUBCOMP; never send PUBREL.
    for pid in (1, 2):
        c.send(R.publish("rm/t", b"x", qos=2, pid=pid))
        assert c.expect(R.PUBREC).pid == pid
    c.send(R.publish("rm/t", b"x", qos=2, pid=3))
    got = c.expect_closed(2)
    # [MQTT-3.3.4-9] more than Receive Maximum unacknowledged: DISCONNECT 0x93.
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x93)]
    ok = broker.raw()
    ok.connect()
    ok.ping()


def test_client_within_receive_maximum_is_fine(broker_factory):
    broker = broker_factory({"limits": {"receive_maximum": 2}})
    c = broker.raw()
    c.connect()
    for pid in range(1, 20):
        c.publish("rm/ok", b"x", qos=2, pid=pid)  # completes each handshake
    c.ping()


def test_server_respects_client_receive_maximum(broker):
    c = broker.raw()
    c.connect("small-window", properties=[(R.RECEIVE_MAXIMUM, 2)])
    c.subscribe([("win/t", 1)])
    pub = broker.raw()
    pub.connect()
    for i in range(1, 6):
        pub.publish("win/t", b"%d" % i, qos=1, pid=i)
    first = [c.recv_publish(auto_ack=False) for _ in range(2)]
    c.expect_nothing(0.4)  # [MQTT-3.3.4-7] no more than Receive Maximum unacked
    for p in first:
        c.send(R.ack(R.PUBACK, p.pid))
    rest = [c.recv_publish() for _ in range(3)]
    assert [p.payload for p in first + rest] == [b"1", b"2", b"3", b"4", b"5"]


def test_max_inflight_messages_for_v311(broker_factory):
    broker = broker_factory({"limits": {"max_inflight_messages": 3}})
    c = broker.raw(version=4)
    c.connect("inflight")
    c.subscribe([("inf/t", 1)])
    pub = broker.raw()
    pub.connect()
    for i in range(1, 7):
        pub.publish("inf/t", b"%d" % i, qos=1, pid=i)
    first = [c.recv_publish(auto_ack=False) for _ in range(3)]
    c.expect_nothing(0.4)
    for p in first:
        c.send(R.ack(R.PUBACK, p.pid, version=4))
    rest = [c.recv_publish() for _ in range(3)]
    assert [p.payload for p in first + rest] == [b"%d" % i for i in range(1, 7)]


def test_packet_larger_than_max_packet_size_gets_0x95(broker_factory):
    broker = broker_factory({"limits": {"max_packet_size": 1024}})
    sub = broker.raw()
    sub.connect()
    sub.subscribe([("mps/#", 0)])
    c = broker.raw()
    assert c.connect().props[R.MAXIMUM_PACKET_SIZE] == 1024
    c.publish("mps/ok", b"x" * 900, qos=1)
    assert sub.recv_publish().payload == b"x" * 900
    c.send(R.publish("mps/big", b"x" * 2000, qos=1, pid=2))
    got = c.expect_closed(2)
    # [MQTT-3.2.2-?]/4.13: DISCONNECT 0x95 Packet too large, then close.
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x95)]
    sub.expect_nothing(0.3)
    ok = broker.raw()
    ok.connect()
    ok.ping()


def test_v311_packet_too_large_closes(broker_factory):
    broker = broker_factory({"limits": {"max_packet_size": 1024}})
    c = broker.raw(version=4)
    c.connect()
    c.send(R.publish("mps/big", b"x" * 2000, qos=0, version=4))
    assert c.expect_closed(2) == []


def test_too_large_for_client_is_dropped_for_that_client_only(broker):
    small = broker.raw()
    small.connect("small", properties=[(R.MAXIMUM_PACKET_SIZE, 200)])
    small.subscribe([("cmps/t", 1)])
    big = broker.raw()
    big.connect("big")
    big.subscribe([("cmps/t", 1)])
    pub = broker.raw()
    pub.connect()
    pub.publish("cmps/t", b"L" * 500, qos=1, pid=1)
    pub.publish("cmps/t", b"s" * 20, qos=1, pid=2)
    assert big.recv_publish().payload == b"L" * 500
    assert big.recv_publish().payload == b"s" * 20
    # [MQTT-3.1.2-24] never send a packet above the client's maximum; [MQTT-3.1.2-25]
    # the message is discarded for that client, which stays connected.
    p = small.recv_publish()
    assert p.payload == b"s" * 20
    assert len(p.raw) <= 200
    small.ping()


def test_connect_timeout(broker_factory):
    broker = broker_factory({"limits": {"connect_timeout_ms": 300}})
    idle = broker.raw()
    t0 = time.monotonic()
    assert idle.expect_closed(3) == []
    assert time.monotonic() - t0 < 2.5
    late = broker.raw()
    time.sleep(0.1)
    late.connect()  # a prompt CONNECT is fine


def test_max_connections(broker_factory):
    broker = broker_factory({"limits": {"max_connections": 3}})
    clients = []
    for i in range(3):
        c = broker.raw()
        c.connect(f"mc{i}")
        clients.append(c)
    extra = broker.raw()
    try:
        extra.send(R.connect("mc-extra"))
        got = extra.expect_closed(2)
    except OSError:
        got = []
    # Refused: closed, with at most a CONNACK carrying an error (0x97 Quota exceeded or
    # 0x9F Connection rate exceeded / 0x89 Server busy).
    assert all(p.type == R.CONNACK and p.rc >= 0x80 for p in got), got
    clients[0].disconnect()
    broker.wait_gone("mc0")
    again = broker.raw()
    again.connect("mc-again")


def test_offline_queue_drain_respects_client_receive_maximum(broker):
    c = broker.raw()
    c.connect("rm-drain", properties=[(R.SESSION_EXPIRY, 60), (R.RECEIVE_MAXIMUM, 2)])
    c.subscribe([("rmd/t", 1)])
    c.disconnect()
    broker.wait_gone("rm-drain")
    pub = broker.raw()
    pub.connect()
    for i in range(1, 6):
        pub.publish("rmd/t", b"%d" % i, qos=1, pid=i)
    c = broker.raw()
    c.connect("rm-drain", clean=False,
              properties=[(R.SESSION_EXPIRY, 60), (R.RECEIVE_MAXIMUM, 2)])
    first = [c.recv_publish(auto_ack=False) for _ in range(2)]
    c.expect_nothing(0.4)  # [MQTT-3.3.4-7] also while draining the offline queue
    for p in first:
        c.send(R.ack(R.PUBACK, p.pid))
    rest = [c.recv_publish() for _ in range(3)]
    assert [p.payload for p in first + rest] == [b"%d" % i for i in range(1, 6)]


def test_topic_alias_maximum_zero_refuses_aliases(broker_factory):
    broker = broker_factory({"limits": {"topic_alias_maximum": 0}})
    c = broker.raw()
    ack = c.connect()
    assert ack.props.get(R.TOPIC_ALIAS_MAXIMUM, 0) == 0  # [MQTT-3.2.2-17] absent or 0
    c.send(R.publish("tam/t", b"x", properties=[(R.TOPIC_ALIAS, 1)]))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x94)]  # [MQTT-3.2.2-18]
