"""Publish/subscribe end to end: QoS 0/1/2, versions, wildcards, $-topics, overlaps."""
import pytest

import mqttraw as R


@pytest.mark.parametrize("version", [3, 4, 5])
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_roundtrip_each_version_and_qos(broker, paho_client, version, qos):
    sub = paho_client(broker, version=version)
    assert sub.subscribe("rt/topic", qos) == [qos]
    pub = paho_client(broker, version=version)
    pub.publish("rt/topic", b"hello %d" % qos, qos=qos)
    m = sub.expect()
    assert (m.topic, m.payload, m.qos, m.retain) == ("rt/topic", b"hello %d" % qos, qos, 0)
    sub.expect_none(0.2)


@pytest.mark.parametrize("sub_qos,pub_qos", [(0, 2), (1, 2), (2, 1), (0, 1), (2, 0)])
def test_delivered_qos_is_min_of_pub_and_sub(broker, sub_qos, pub_qos):
    # [MQTT-3.8.4-8] the QoS of delivered messages is the minimum of both.
    sub = broker.raw()
    sub.connect("min-sub")
    assert sub.subscribe([("q/x", sub_qos)]) == [sub_qos]
    pub = broker.raw()
    pub.connect("min-pub")
    pub.publish("q/x", b"m", qos=pub_qos)
    p = sub.recv_publish()
    assert p.qos == min(sub_qos, pub_qos)
    assert p.payload == b"m"


def test_v5_publisher_to_v311_and_v31_subscribers(broker, paho_client):
    s4 = paho_client(broker, version=4)
    s3 = paho_client(broker, version=3)
    s4.subscribe("mix/#", 1)
    s3.subscribe("mix/#", 1)
    p5 = paho_client(broker, version=5)
    p5.publish("mix/a", b"from v5", qos=1)
    assert s4.expect().payload == b"from v5"
    assert s3.expect().payload == b"from v5"


def test_unix_socket_and_tcp_share_topics(broker, paho_client):
    sub = paho_client(broker, version=4, unix=True)
    sub.subscribe("ux/t", 1)
    pub = paho_client(broker, version=5)
    pub.publish("ux/t", b"over tcp", qos=1)
    assert sub.expect().payload == b"over tcp"
    # and the other way round, raw over the Unix socket
    raw = broker.raw(unix=True)
    raw.connect("raw-unix")
    raw.subscribe([("ux/back", 1)])
    pub.publish("ux/back", b"back", qos=1)
    assert raw.recv_publish().payload == b"back"


@pytest.mark.parametrize("filt,matches,misses", [
    ("sport/tennis/+", ["sport/tennis/player1", "sport/tennis/"], ["sport/tennis", "sport/tennis/a/b"]),
    ("sport/#", ["sport", "sport/tennis", "sport/a/b/c"], ["sports", "other/sport"]),
    ("+/+", ["a/b", "/finance"], ["a", "a/b/c"]),
    ("+", ["a"], ["a/b", "/a"]),
    ("#", ["a", "a/b", "/x"], []),
    ("a/+/c/#", ["a/b/c", "a//c/d/e"], ["a/b/d", "a/c"]),
])
def test_wildcards(broker, filt, matches, misses):
    # [MQTT-4.7.1-2], [MQTT-4.7.1-3] and the examples of 4.7.1.
    sub = broker.raw()
    sub.connect()
    sub.subscribe([(filt, 0)])
    pub = broker.raw()
    pub.connect()
    for t in misses + matches:
        pub.publish(t, t.encode(), qos=1)
    got = sorted(sub.recv_publish().topic for _ in matches)
    assert got == sorted(matches)
    sub.expect_nothing(0.3)


def test_dollar_topics_not_matched_by_leading_wildcards(broker):
    # [MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with $.
    wide = broker.raw()
    wide.connect("wide")
    wide.subscribe([("#", 0), ("+/info", 0)])
    exact = broker.raw()
    exact.connect("exact")
    exact.subscribe([("$ferry/#", 0), ("$ferry/+", 0)])
    pub = broker.raw()
    pub.connect()
    pub.publish("$ferry/info", b"dollar", qos=1)
    p = exact.recv_publish()
    assert (p.topic, p.payload) == ("$ferry/info", b"dollar")
    exact.expect_nothing(0.2)  # overlapping filters: one copy
    pub.publish("plain/info", b"plain", qos=1)
    got = wide.recv_publish()
    assert got.topic == "plain/info", "wide subscriber got a $ topic"
    wide.expect_nothing(0.3)


def test_overlapping_subscriptions_one_copy_at_max_qos_with_all_ids(broker):
    # [MQTT-3.3.4-2] max QoS of matching subscriptions; [MQTT-3.3.4-4] one copy carries
    # every matching Subscription Identifier.
    sub = broker.raw()
    sub.connect("overlap")
    assert sub.subscribe([("ov/+/x", 0)], pid=1, properties=[(R.SUBSCRIPTION_ID, 1)]) == [0]
    assert sub.subscribe([("ov/#", 2)], pid=2, properties=[(R.SUBSCRIPTION_ID, 2)]) == [2]
    assert sub.subscribe([("ov/a/x", 1)], pid=3, properties=[(R.SUBSCRIPTION_ID, 300)]) == [1]
    assert sub.subscribe([("ov/a/+", 1)], pid=4) == [1]  # no identifier
    pub = broker.raw()
    pub.connect()
    pub.publish("ov/a/x", b"once", qos=2)
    p = sub.recv_publish()
    assert p.qos == 2
    assert sorted(p.props.get(R.SUBSCRIPTION_ID, [])) == [1, 2, 300]
    sub.expect_nothing(0.4)


def test_unsubscribe_stops_delivery(broker, paho_client):
    sub = paho_client(broker)
    sub.subscribe("un/t", 1)
    pub = paho_client(broker)
    pub.publish("un/t", b"1", qos=1)
    assert sub.expect().payload == b"1"
    sub.unsubscribe("un/t")
    pub.publish("un/t", b"2", qos=1)
    sub.expect_none(0.4)


def test_unsuback_reason_codes(broker):
    c = broker.raw()
    c.connect()
    c.subscribe([("us/a", 0)])
    c.send(R.unsubscribe(7, ["us/a", "us/never"]))
    p = c.expect(R.UNSUBACK)
    assert p.pid == 7
    assert p.codes == [0x00, 0x11]  # Success, No subscription existed


def test_resubscribe_replaces_qos(broker):
    # [MQTT-3.8.4-3] a SUBSCRIBE with an existing filter replaces the subscription.
    sub = broker.raw()
    sub.connect()
    sub.subscribe([("rs/t", 2)])
    sub.subscribe([("rs/t", 0)], pid=2)
    pub = broker.raw()
    pub.connect()
    pub.publish("rs/t", b"x", qos=2)
    p = sub.recv_publish()
    assert p.qos == 0
    sub.expect_nothing(0.3)


def test_qos2_duplicate_publish_delivered_once(broker):
    # [MQTT-4.3.3-?] exactly once: a resent PUBLISH (DUP) with the same packet id before
    # PUBREL must not be delivered again.
    sub = broker.raw()
    sub.connect("q2sub")
    sub.subscribe([("q2/t", 2)])
    pub = broker.raw()
    pub.connect("q2pub")
    pub.send(R.publish("q2/t", b"exactly-once", qos=2, pid=42))
    assert pub.expect(R.PUBREC).pid == 42
    pub.send(R.publish("q2/t", b"exactly-once", qos=2, pid=42, dup=True))
    assert pub.expect(R.PUBREC).pid == 42
    pub.send(R.ack(R.PUBREL, 42))
    comp = pub.expect(R.PUBCOMP)
    assert comp.pid == 42 and comp.rc == 0
    assert sub.recv_publish().payload == b"exactly-once"
    sub.expect_nothing(0.4)


def test_qos1_puback_and_qos2_flow_packet_ids(broker):
    c = broker.raw()
    c.connect()
    ack = c.publish("ids/a", b"x", qos=1, pid=65535)
    assert ack.type == R.PUBACK and ack.pid == 65535 and ack.rc in (0x00, 0x10)
    comp = c.publish("ids/b", b"x", qos=2, pid=1)
    assert comp.pid == 1 and comp.rc == 0


def test_large_payload(broker, paho_client):
    sub = paho_client(broker)
    sub.subscribe("big/t", 1)
    pub = paho_client(broker)
    data = bytes(range(256)) * 4096  # 1 MiB
    pub.publish("big/t", data, qos=1, timeout=5)
    m = sub.expect(timeout=5)
    assert m.payload == data


def test_empty_payload_and_utf8_topic(broker, paho_client):
    sub = paho_client(broker)
    sub.subscribe("ünï/cödé/+", 1)
    pub = paho_client(broker)
    pub.publish("ünï/cödé/ø", b"", qos=1)
    m = sub.expect()
    assert m.topic == "ünï/cödé/ø" and m.payload == b""


def test_ping(broker):
    c = broker.raw(version=4)
    c.connect(keepalive=30)
    assert c.ping().raw == b"\xd0\x00"
