"""Malformed and forbidden input, as raw bytes: the exact CONNACK/DISCONNECT that comes
back, that the connection is then closed, and that the broker still serves others."""
import struct

import pytest

import mqttraw as R


@pytest.fixture
def still_serving(broker):
    """After the test body: a fresh client can still connect, subscribe and get a message."""
    yield broker
    a = broker.raw()
    a.connect("after-check")
    a.subscribe([("after/t", 1)])
    a.publish("after/t", b"alive", qos=1)
    assert a.recv_publish().payload == b"alive"


def v5_connected(broker):
    c = broker.raw()
    c.connect()
    return c


def assert_disconnect(c, rc):
    got = c.expect_closed(2)
    assert len(got) == 1 and got[0].type == R.DISCONNECT, got
    assert got[0].rc == rc, f"DISCONNECT reason {got[0].rc:#04x}, wanted {rc:#04x}"
    # Either the short form (rc only) or rc + empty properties.
    assert got[0].raw in (bytes([0xE0, 1, rc]), bytes([0xE0, 2, rc, 0])) or \
        got[0].raw[2] == rc


# --- before / during CONNECT ------------------------------------------------------
def test_first_packet_not_connect_closes(still_serving):
    c = still_serving.raw()
    c.send(R.pingreq())
    assert c.expect_closed(2) == []  # [MQTT-3.1.0-1] close, no CONNACK


def test_garbage_first_bytes_close(still_serving):
    c = still_serving.raw()
    # 'G' reads as a PUBACK header with remaining length 'E' (69): send enough bytes.
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".ljust(200, b"x"))
    got = c.expect_closed(2)
    assert all(p.type == R.CONNACK and p.rc != 0 for p in got), got


def test_unsupported_protocol_level(still_serving):
    body = R.s("MQTT") + bytes([6, 0x02]) + struct.pack("!H", 60) + R.s("lvl6")
    c = still_serving.raw(version=4)
    c.send(R.packet(R.CONNECT, 0, body))
    got = c.expect_closed(2)
    # 3.1.1 [MQTT-3.1.2-2]: CONNACK 0x01 then close; v5 allows 0x84 instead.
    assert [p.raw for p in got] in ([b"\x20\x02\x00\x01"], [b"\x20\x03\x00\x84\x00"],
                                    [b"\x20\x02\x00\x84"]), got


def test_wrong_protocol_name(still_serving):
    body = R.s("MQTX") + bytes([5, 0x02]) + struct.pack("!H", 60) + R.props() + R.s("n")
    c = still_serving.raw()
    c.send(R.packet(R.CONNECT, 0, body))
    got = c.expect_closed(2)
    # [MQTT-3.1.2-1] MAY disconnect; any CONNACK must refuse (0x84, 0x81, or 3.1.1's 0x01).
    assert all(p.type == R.CONNACK and p.rc != 0 for p in got), got


def test_connect_reserved_flag_set_v5(still_serving):
    pkt = bytearray(R.connect("resv"))
    pkt[9] |= 0x01  # connect flags byte: reserved bit [MQTT-3.1.2-3]
    c = still_serving.raw()
    c.send(bytes(pkt))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] in ([], [(R.CONNACK, 0x81)]), got


def test_connect_reserved_flag_set_v311(still_serving):
    pkt = bytearray(R.connect("resv", version=4))
    pkt[9] |= 0x01
    c = still_serving.raw(version=4)
    c.send(bytes(pkt))
    assert c.expect_closed(2) == []  # [MQTT-3.1.2-3] close, no CONNACK


def test_will_qos_without_will_flag(still_serving):
    pkt = bytearray(R.connect("wq"))
    pkt[9] |= 0x08  # Will QoS 1 with Will Flag 0 [MQTT-3.1.2-11]
    c = still_serving.raw()
    c.send(bytes(pkt))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] in ([], [(R.CONNACK, 0x81)]), got


def test_will_qos_3(still_serving):
    c = still_serving.raw()
    c.send(R.connect("wq3", will={"topic": "w", "payload": b"x", "qos": 3}))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] in ([], [(R.CONNACK, 0x81)]), got  # [MQTT-3.1.2-12]


def test_password_without_username_v311(still_serving):
    c = still_serving.raw(version=4)
    c.send(R.connect("pw", version=4, password="secret"))
    got = c.expect_closed(2)
    # [MQTT-3.1.2-22] (3.1.1): password flag without user name flag is malformed.
    assert got == [] or (got[0].type == R.CONNACK and got[0].rc != 0), got


def test_truncated_connect_string(still_serving):
    body = R.s("MQTT") + bytes([5, 0x02]) + struct.pack("!H", 60) + R.props() + b"\x00\x20ab"
    c = still_serving.raw()
    c.send(R.packet(R.CONNECT, 0, body))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] in ([], [(R.CONNACK, 0x81)]), got


def test_client_id_invalid_utf8(still_serving):
    body = R.s("MQTT") + bytes([5, 0x02]) + struct.pack("!H", 60) + R.props() + \
        b"\x00\x02\xc0\x80"  # overlong NUL [MQTT-1.5.4-1/2]
    c = still_serving.raw()
    c.send(R.packet(R.CONNECT, 0, body))
    got = c.expect_closed(2)
    assert [(p.type, p.rc) for p in got] in ([], [(R.CONNACK, 0x81)], [(R.CONNACK, 0x85)]), got


def test_second_connect_is_protocol_error(still_serving):
    c = v5_connected(still_serving)
    c.send(R.connect("again"))
    assert_disconnect(c, 0x82)  # [MQTT-3.1.0-2]


def test_second_connect_v311_closes(still_serving):
    c = still_serving.raw(version=4)
    c.connect()
    c.send(R.connect("again", version=4))
    assert c.expect_closed(2) == []


# --- after CONNECT ----------------------------------------------------------------
def test_remaining_length_too_long(still_serving):
    c = v5_connected(still_serving)
    c.send(b"\x30\xff\xff\xff\xff\x01")  # five length bytes [MQTT-1.5.5-1]
    assert_disconnect(c, 0x81)


def test_reserved_packet_type_0(still_serving):
    c = v5_connected(still_serving)
    c.send(b"\x00\x00")
    got = c.expect_closed(2)
    assert len(got) == 1 and got[0].type == R.DISCONNECT and got[0].rc in (0x81, 0x82), got


def test_subscribe_wrong_fixed_header_flags(still_serving):
    c = v5_connected(still_serving)
    pkt = bytearray(R.subscribe(1, "bad/flags"))
    pkt[0] = 0x80  # must be 0x82 [MQTT-3.8.1-1]
    c.send(bytes(pkt))
    assert_disconnect(c, 0x81)


def test_publish_qos_3(still_serving):
    c = v5_connected(still_serving)
    pkt = bytearray(R.publish("q3/t", b"x", qos=2, pid=1))
    pkt[0] |= 0x06  # QoS bits 11 [MQTT-3.3.1-4]
    c.send(bytes(pkt))
    assert_disconnect(c, 0x81)


def test_publish_wildcard_topic(still_serving):
    c = v5_connected(still_serving)
    c.send(R.publish("bad/+/topic", b"x", qos=1, pid=1))
    assert_disconnect(c, 0x90)  # Topic Name invalid [MQTT-3.3.2-2]


def test_publish_wildcard_topic_v311(still_serving):
    c = still_serving.raw(version=4)
    c.connect()
    c.send(R.publish("bad/#", b"x", qos=0, version=4))
    assert c.expect_closed(2) == []


def test_publish_invalid_utf8_topic(still_serving):
    c = v5_connected(still_serving)
    body = b"\x00\x03a\xff\xfe" + b"\x00"  # topic + empty properties
    c.send(R.packet(R.PUBLISH, 0, body))
    got = c.expect_closed(2)
    assert len(got) == 1 and got[0].rc in (0x81, 0x90), got  # [MQTT-1.5.4-1]


def test_publish_qos1_packet_id_zero(still_serving):
    c = v5_connected(still_serving)
    c.send(R.publish("pid0/t", b"x", qos=1, pid=0))
    got = c.expect_closed(2)
    assert len(got) == 1 and got[0].rc in (0x81, 0x82), got  # [MQTT-2.2.1-3]


def test_subscribe_without_filters(still_serving):
    c = v5_connected(still_serving)
    c.send(R.packet(R.SUBSCRIBE, 2, struct.pack("!H", 1) + R.props()))
    got = c.expect_closed(2)
    assert len(got) == 1 and got[0].rc in (0x81, 0x82), got  # [MQTT-3.8.3-2]


def test_subscribe_reserved_option_bits(still_serving):
    c = v5_connected(still_serving)
    c.send(R.subscribe(1, [("opt/t", 0xC1)]))
    assert_disconnect(c, 0x81)  # [MQTT-3.8.3-5]


def test_subscribe_retain_handling_3(still_serving):
    c = v5_connected(still_serving)
    c.send(R.subscribe(1, [("opt/t", 0x30)]))
    got = c.expect_closed(2)
    assert len(got) == 1 and got[0].rc in (0x81, 0x82), got  # [MQTT-3.8.3-5? RH 3]


@pytest.mark.parametrize("filt", ["a/#/b", "a/b#", "a+/b", "#/"])
def test_invalid_topic_filter_v5(still_serving, filt):
    c = v5_connected(still_serving)
    c.send(R.subscribe(1, [(filt, 0), ("fine/t", 1)]))
    # [MQTT-4.7.1-1/2]: either a SUBACK with 0x8F for that filter or DISCONNECT 0x8F/0x81.
    p = c.recv()
    if p.type == R.SUBACK:
        assert p.codes == [0x8F, 0x01]
        c.ping()
    else:
        assert p.type == R.DISCONNECT and p.rc in (0x8F, 0x81, 0x82), p


def test_invalid_topic_filter_v311(still_serving):
    c = still_serving.raw(version=4)
    c.connect()
    c.send(R.subscribe(1, [("a/#/b", 0), ("ok/t", 1)], version=4))
    try:
        p = c.recv()
    except R.Closed:
        return  # closing is allowed [MQTT-4.8.0-1]
    assert p.type == R.SUBACK and p.codes == [0x80, 0x01]


def test_duplicate_property(still_serving):
    c = v5_connected(still_serving)
    c.send(R.publish("dup/prop", b"x", qos=0,
                     properties=[(R.PAYLOAD_FORMAT, 0), (R.PAYLOAD_FORMAT, 0)]))
    assert_disconnect(c, 0x82)  # [MQTT-2.2.2-2] a property twice is a Protocol Error


def test_unknown_property(still_serving):
    c = v5_connected(still_serving)
    body = R.s("up/t") + b"\x02\x7f\x00"  # property id 0x7F does not exist
    c.send(R.packet(R.PUBLISH, 0, body))
    got = c.expect_closed(2)
    assert len(got) == 1 and got[0].rc in (0x81, 0x82), got


def test_property_not_allowed_on_packet(still_serving):
    c = v5_connected(still_serving)
    # Session Expiry Interval is not a PUBLISH property.
    body = R.s("np/t") + R.props([(R.SESSION_EXPIRY, 5)])
    c.send(R.packet(R.PUBLISH, 0, body))
    got = c.expect_closed(2)
    assert len(got) == 1 and got[0].rc in (0x81, 0x82), got


def test_no_local_on_shared_subscription(still_serving):
    c = v5_connected(still_serving)
    c.send(R.subscribe(1, [("$share/g/nl", R.sub_options(0, no_local=True))]))
    assert_disconnect(c, 0x82)  # [MQTT-3.8.3-4]


def test_pubrel_wrong_flags(still_serving):
    c = v5_connected(still_serving)
    c.send(b"\x60\x02\x00\x01")  # PUBREL flags must be 0010 [MQTT-3.6.1-1]
    assert_disconnect(c, 0x81)


def test_disconnect_with_bad_reason_length(still_serving):
    c = v5_connected(still_serving)
    c.send(b"\xe0\x03\x00\x05\x11")  # property length 5 with 1 byte left
    got = c.expect_closed(2)
    assert all(p.type == R.DISCONNECT and p.rc == 0x81 for p in got), got


def test_many_bad_clients_then_good(still_serving):
    for bad in (b"\x10\xff", b"\xff\xff\xff\xff\xff", b"\x10\x05\x00\x04MQ", b"\x20\x02\x00\x00"):
        c = still_serving.raw()
        c.send(bad)
        c.close()
