"""MQTT 5 features: CONNACK properties, topic aliases both ways, properties passed
through, message expiry, subscription identifiers, no-local, payload format, keep alive."""
import time

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

import mqttraw as R


def test_connack_announces_limits(broker_factory):
    broker = broker_factory({"limits": {"receive_maximum": 100, "topic_alias_maximum": 7,
                                        "max_packet_size": 4096}})
    c = broker.raw()
    ack = c.connect(keepalive=30)
    assert ack.props[R.RECEIVE_MAXIMUM] == 100
    assert ack.props[R.TOPIC_ALIAS_MAXIMUM] == 7
    assert ack.props[R.MAXIMUM_PACKET_SIZE] == 4096
    # Server Keep Alive only when the server changes it; if sent, it must equal ours.
    assert ack.props.get(R.SERVER_KEEP_ALIVE, 30) == 30


def test_server_keep_alive_caps_request(broker_factory):
    broker = broker_factory({"server": {"max_keepalive": 10}})
    c = broker.raw()
    ack = c.connect(keepalive=60)
    assert ack.props[R.SERVER_KEEP_ALIVE] == 10  # [MQTT-3.2.2-21]
    c0 = broker.raw()
    ack = c0.connect(keepalive=0)  # 0 = no keep alive, above the cap too
    assert ack.props[R.SERVER_KEEP_ALIVE] == 10


def test_paho_sees_server_keep_alive(broker_factory, paho_client):
    broker = broker_factory({"server": {"max_keepalive": 5}})
    c = paho_client(broker, connect=False)
    flags, rc, props = c.connect(keepalive=120)
    assert rc == 0 and props.ServerKeepAlive == 5


def test_keepalive_timeout_v5_gets_0x8d(broker):
    c = broker.raw()
    c.connect("ka5", keepalive=1)
    t0 = time.monotonic()
    got = c.expect_closed(3.5)
    elapsed = time.monotonic() - t0
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x8D)]  # Keep Alive timeout
    assert 1.2 <= elapsed <= 3.0, elapsed  # [MQTT-3.1.2-22] one and a half times
    assert broker.wait_log(r"disconnect client=ka5 .*reason=0x8d")


def test_keepalive_timeout_v311_closes(broker):
    c = broker.raw(version=4)
    c.connect("ka4", keepalive=1)
    assert c.expect_closed(3.5) == []


def test_pings_keep_connection_alive(broker):
    c = broker.raw()
    c.connect("pinger", keepalive=1)
    for _ in range(5):
        time.sleep(0.5)
        c.ping()


def test_other_traffic_keeps_connection_alive(broker):
    c = broker.raw()
    c.connect("talker", keepalive=1)
    for i in range(5):
        time.sleep(0.5)
        c.publish("talk/t", b"x", qos=1, pid=i + 1)


def test_user_properties_and_request_response_passthrough_paho(broker, paho_client):
    sub = paho_client(broker)
    sub.subscribe("pp/t", 1)
    pub = paho_client(broker)
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = [("b", "2"), ("a", "1"), ("a", "1 again")]
    props.ResponseTopic = "reply/here"
    props.CorrelationData = b"\x00corr\xff"
    props.ContentType = "application/x-ferry"
    props.PayloadFormatIndicator = 1
    pub.publish("pp/t", "ünïcode".encode(), qos=1, props=props)
    m = sub.expect()
    # [MQTT-3.3.2-17/18] user properties forwarded unaltered, in order.
    assert m.properties.UserProperty == [("b", "2"), ("a", "1"), ("a", "1 again")]
    assert m.properties.ResponseTopic == "reply/here"  # [MQTT-3.3.2-15]
    assert m.properties.CorrelationData == b"\x00corr\xff"  # [MQTT-3.3.2-16]
    assert m.properties.ContentType == "application/x-ferry"  # [MQTT-3.3.2-20]
    assert m.properties.PayloadFormatIndicator == 1  # [MQTT-3.3.2-4]


def test_message_expiry_forwarded_live(broker):
    sub = broker.raw()
    sub.connect()
    sub.subscribe([("exp/t", 1)])
    pub = broker.raw()
    pub.connect()
    pub.publish("exp/t", b"x", qos=1, properties=[(R.MESSAGE_EXPIRY, 30)])
    p = sub.recv_publish()
    assert 29 <= p.props[R.MESSAGE_EXPIRY] <= 30  # [MQTT-3.3.2-6]
    pub.publish("exp/t", b"y", qos=1, pid=2)
    assert R.MESSAGE_EXPIRY not in sub.recv_publish().props


def test_expired_retained_not_sent(broker):
    pub = broker.raw()
    pub.connect()
    pub.publish("exr/t", b"x", qos=1, retain=True, properties=[(R.MESSAGE_EXPIRY, 1)])
    time.sleep(1.3)
    sub = broker.raw()
    sub.connect()
    sub.subscribe([("exr/t", 1)])
    sub.expect_nothing(0.3)  # [MQTT-3.3.2-5]


def test_subscription_identifier(broker):
    c = broker.raw()
    c.connect()
    c.subscribe([("sid/a", 1)], pid=1, properties=[(R.SUBSCRIPTION_ID, 268435455)])
    c.subscribe([("sid/b", 1)], pid=2)
    pub = broker.raw()
    pub.connect()
    pub.publish("sid/a", b"a", qos=1)
    assert c.recv_publish().props[R.SUBSCRIPTION_ID] == [268435455]
    pub.publish("sid/b", b"b", qos=1, pid=2)
    assert R.SUBSCRIPTION_ID not in c.recv_publish().props


def test_subscription_identifier_zero_is_protocol_error(broker):
    c = broker.raw()
    c.connect()
    c.send(R.subscribe(1, [("sid0/t", 0)], properties=[(R.SUBSCRIPTION_ID, 0)]))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x82)]  # [MQTT-3.8.2-?] 1..


def test_no_local(broker):
    c = broker.raw()
    c.connect("nl")
    c.subscribe([("nl/t", R.sub_options(1, no_local=True)), ("nl/other", 1)])
    c.publish("nl/t", b"mine", qos=1, pid=1)
    c.expect_nothing(0.3)  # [MQTT-3.8.3-3]
    other = broker.raw()
    other.connect()
    other.publish("nl/t", b"theirs", qos=1)
    assert c.recv_publish().payload == b"theirs"
    c.publish("nl/other", b"echo", qos=1, pid=2)
    p = c.recv_publish()
    assert p.payload == b"echo"


def test_client_topic_alias(broker):
    sub = broker.raw()
    sub.connect()
    sub.subscribe([("alias/#", 1)])
    c = broker.raw()
    ack = c.connect()
    assert ack.props[R.TOPIC_ALIAS_MAXIMUM] >= 2
    c.publish("alias/one", b"1", qos=1, pid=1, properties=[(R.TOPIC_ALIAS, 1)])
    c.publish("", b"2", qos=1, pid=2, properties=[(R.TOPIC_ALIAS, 1)])
    c.publish("alias/two", b"3", qos=1, pid=3, properties=[(R.TOPIC_ALIAS, 1)])  # remap
    c.publish("", b"4", qos=1, pid=4, properties=[(R.TOPIC_ALIAS, 1)])
    got = [(p.topic, p.payload) for p in (sub.recv_publish() for _ in range(4))]
    assert got == [("alias/one", b"1"), ("alias/one", b"2"), ("alias/two", b"3"),
                   ("alias/two", b"4")]
    for p in []:
        pass


@pytest.mark.parametrize("alias", [0, 65])
def test_client_topic_alias_out_of_range(broker, alias):
    c = broker.raw()
    c.connect()  # topic_alias_maximum = 64
    c.send(R.publish("bad/alias", b"x", qos=0, properties=[(R.TOPIC_ALIAS, alias)]))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x94)]  # [MQTT-3.3.2-8/9]


def test_client_unknown_topic_alias_is_protocol_error(broker):
    c = broker.raw()
    c.connect()
    c.send(R.publish("", b"x", qos=0, properties=[(R.TOPIC_ALIAS, 3)]))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x82)]  # [MQTT-3.3.4-?]


def test_server_topic_alias_to_client(broker):
    c = broker.raw()
    c.connect("wants-alias", properties=[(R.TOPIC_ALIAS_MAXIMUM, 5)])
    c.subscribe([("srv/#", 1)])
    pub = broker.raw()
    pub.connect()
    topics = ["srv/a", "srv/a", "srv/b", "srv/a", "srv/b", "srv/a"]
    for i, t in enumerate(topics, start=1):
        pub.publish(t, b"%d" % i, qos=1, pid=i)
    aliases = {}
    resolved = []
    used_empty = False
    for _ in topics:
        p = c.recv_publish()
        alias = p.props.get(R.TOPIC_ALIAS)
        if alias is not None:
            assert 1 <= alias <= 5  # [MQTT-3.3.2-10]
            if p.topic:
                aliases[alias] = p.topic
            else:
                used_empty = True
        topic = p.topic or aliases[alias]
        resolved.append((topic, p.payload))
    assert resolved == [(t, b"%d" % i) for i, t in enumerate(topics, start=1)]
    assert used_empty, "the broker never sent a topic alias in place of a topic"


def test_no_server_topic_alias_without_client_maximum(broker):
    c = broker.raw()
    c.connect("no-alias")
    c.subscribe([("na/#", 1)])
    pub = broker.raw()
    pub.connect()
    for i in range(1, 4):
        pub.publish("na/t", b"x", qos=1, pid=i)
    for _ in range(3):
        p = c.recv_publish()
        assert p.topic == "na/t"
        assert R.TOPIC_ALIAS not in p.props  # [MQTT-3.3.2-10 / 3.1.2-26]


def test_payload_format_invalid_utf8_disconnects_0x99(broker):
    sub = broker.raw()
    sub.connect()
    sub.subscribe([("pf/t", 1)])
    c = broker.raw()
    c.connect()
    c.send(R.publish("pf/t", b"\xff\xfe\xc0", qos=1, pid=1, properties=[(R.PAYLOAD_FORMAT, 1)]))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x99)]  # Payload format invalid
    sub.expect_nothing(0.3)
    ok = broker.raw()
    ok.connect()
    ok.publish("pf/t", "valid ✓".encode(), qos=1, properties=[(R.PAYLOAD_FORMAT, 1)])
    assert sub.recv_publish().payload == "valid ✓".encode()


def test_request_problem_information_zero_still_connects(broker):
    c = broker.raw()
    ack = c.connect(properties=[(R.REQUEST_PROBLEM_INFO, 0), (R.REQUEST_RESPONSE_INFO, 0)])
    assert ack.rc == 0
    c.ping()


def test_connect_user_properties_accepted(broker):
    c = broker.raw()
    assert c.connect(properties=[(R.USER_PROPERTY, ("x", "y"))]).rc == 0


def test_unsupported_auth_method_rejected(broker):
    c = broker.raw()
    ack = c.connect(properties=[(R.AUTH_METHOD, "SCRAM-SHA-1")], expect_rc=None)
    # [MQTT-4.12.0-1] an unsupported method: CONNACK 0x8C Bad authentication method, close.
    assert ack.rc == 0x8C
    c.expect_closed(2)
