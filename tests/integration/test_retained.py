"""Retained messages: storage, clearing, retain handling, retain-as-published."""
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

import mqttraw as R


def test_new_subscriber_gets_retained_with_retain_flag(broker, paho_client):
    pub = paho_client(broker, version=4)
    pub.publish("ret/a", b"kept", qos=1, retain=True)
    for version in (3, 4, 5):
        sub = paho_client(broker, version=version)
        sub.subscribe("ret/#", 1)
        m = sub.expect()
        # [MQTT-3.3.1-8] retained messages sent on subscribe have RETAIN set.
        assert (m.topic, m.payload, m.retain, m.qos) == ("ret/a", b"kept", 1, 1)
        sub.expect_none(0.2)


def test_live_delivery_clears_retain_flag_v311(broker, paho_client):
    sub = paho_client(broker, version=4)
    sub.subscribe("retlive/a", 0)
    pub = paho_client(broker, version=4)
    pub.publish("retlive/a", b"x", qos=1, retain=True)
    m = sub.expect()
    # [MQTT-3.3.1-9] RETAIN is 0 when delivered to an established subscription.
    assert m.retain == 0


def test_newer_retained_replaces_older_and_wildcard_gets_all(broker):
    pub = broker.raw()
    pub.connect()
    pub.publish("rw/1", b"old", qos=1, retain=True)
    pub.publish("rw/1", b"new", qos=1, pid=2, retain=True)
    pub.publish("rw/2", b"two", qos=1, pid=3, retain=True)
    pub.publish("rw/3/deep", b"deep", qos=0, retain=True)
    sub = broker.raw()
    sub.connect()
    sub.subscribe([("rw/+", 1)])
    got = {}
    for _ in range(2):
        p = sub.recv_publish()
        assert p.retain
        got[p.topic] = p.payload
    assert got == {"rw/1": b"new", "rw/2": b"two"}
    sub.expect_nothing(0.3)


def test_retained_qos_is_min_of_stored_and_subscription(broker):
    pub = broker.raw()
    pub.connect()
    pub.publish("rq/t", b"q2", qos=2, retain=True)
    for sub_qos in (0, 1, 2):
        sub = broker.raw()
        sub.connect()
        sub.subscribe([("rq/t", sub_qos)])
        p = sub.recv_publish()
        assert (p.qos, p.retain, p.payload) == (sub_qos, True, b"q2")


def test_empty_retained_payload_clears(broker):
    pub = broker.raw()
    pub.connect()
    pub.publish("rc/t", b"soon gone", qos=1, retain=True)
    live = broker.raw()
    live.connect()
    live.subscribe([("rc/t", 1)])
    assert live.recv_publish().payload == b"soon gone"
    pub.publish("rc/t", b"", qos=1, pid=2, retain=True)
    # The zero-byte retained PUBLISH still goes to current subscribers [MQTT-3.3.1-6/7 v5].
    p = live.recv_publish()
    assert p.payload == b""
    sub = broker.raw()
    sub.connect()
    sub.subscribe([("rc/#", 1)])
    # [MQTT-3.3.1-6] (v5) / [MQTT-3.3.1-10] (3.1.1): nothing retained is left.
    sub.expect_nothing(0.4)


def test_retain_handling_0_1_2(broker):
    pub = broker.raw()
    pub.connect()
    pub.publish("rh/t", b"r", qos=1, retain=True)
    c = broker.raw()
    c.connect("rh")
    # 0: send at every subscribe [MQTT-3.3.1-9]
    c.subscribe([("rh/t", R.sub_options(1, retain_handling=0))], pid=1)
    assert c.recv_publish().retain
    c.subscribe([("rh/t", R.sub_options(1, retain_handling=0))], pid=2)
    assert c.recv_publish().retain
    # 1: only if the subscription did not exist [MQTT-3.3.1-10]
    c.subscribe([("rh/t", R.sub_options(1, retain_handling=1))], pid=3)
    c.expect_nothing(0.3)
    c.subscribe([("rh/+", R.sub_options(1, retain_handling=1))], pid=4)
    assert c.recv_publish().payload == b"r"
    # 2: never at subscribe [MQTT-3.3.1-11]
    c.subscribe([("rh/#", R.sub_options(1, retain_handling=2))], pid=5)
    c.expect_nothing(0.3)


def test_retain_as_published(broker):
    c = broker.raw()
    c.connect("rap")
    c.subscribe([("rap/keep", R.sub_options(1, rap=True)), ("rap/clear", R.sub_options(1))])
    pub = broker.raw()
    pub.connect()
    pub.publish("rap/keep", b"k", qos=1, retain=True)
    p = c.recv_publish()
    assert p.retain  # [MQTT-3.3.1-13]
    pub.publish("rap/clear", b"c", qos=1, pid=2, retain=True)
    p = c.recv_publish()
    assert not p.retain  # [MQTT-3.3.1-12]


def test_retained_v5_properties_kept(broker, paho_client):
    pub = paho_client(broker)
    props = Properties(PacketTypes.PUBLISH)
    props.ContentType = "text/plain"
    props.UserProperty = [("k", "v")]
    pub.publish("rp/t", b"p", qos=1, retain=True, props=props)
    sub = paho_client(broker)
    sub.subscribe("rp/t", 1)
    m = sub.expect()
    assert m.retain
    assert m.properties.ContentType == "text/plain"
    assert m.properties.UserProperty == [("k", "v")]


def test_connack_says_retain_available(broker):
    c = broker.raw()
    ack = c.connect()
    # Absent means available; if present it must be 1 since the broker retains.
    assert ack.props.get(R.RETAIN_AVAILABLE, 1) == 1
