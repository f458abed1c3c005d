"""Will messages: abnormal close, normal DISCONNECT, reason 0x04, will delay, retain."""
import time

import pytest

import mqttraw as R


def watcher(broker, topic="will/#", version=5):
    w = broker.raw(version=version)
    w.connect()
    w.subscribe([(topic, 1)])
    return w


@pytest.mark.parametrize("version", [3, 4, 5])
def test_will_sent_on_abnormal_close_paho(broker, paho_client, version):
    w = watcher(broker)
    c = paho_client(broker, client_id=f"dying{version}", version=version, connect=False)
    c.c.will_set(f"will/{version}", b"gone", qos=1)
    c.connect()
    c.drop()
    p = w.recv_publish(timeout=3)
    assert (p.topic, p.payload, p.qos) == (f"will/{version}", b"gone", 1)  # [MQTT-3.1.2-8]


def test_no_will_on_normal_disconnect(broker, paho_client):
    w = watcher(broker)
    c = paho_client(broker, client_id="polite", version=4, connect=False)
    c.c.will_set("will/polite", b"never", qos=1)
    c.connect()
    c.disconnect()
    w.expect_nothing(0.6)  # [MQTT-3.1.2-10] (3.1.1) / [MQTT-3.1.2-8] (v5)


def test_v5_disconnect_with_will_reason_sends_will(broker):
    w = watcher(broker)
    c = broker.raw()
    c.connect("with-will", will={"topic": "will/x04", "payload": b"asked", "qos": 1})
    c.disconnect(0x04)  # Disconnect with Will Message
    p = w.recv_publish()
    assert (p.topic, p.payload) == ("will/x04", b"asked")


def test_will_properties_and_retain(broker):
    w = watcher(broker)
    c = broker.raw()
    c.connect("will-props", will={
        "topic": "will/props", "payload": b"{}", "qos": 1, "retain": True,
        "properties": [(R.CONTENT_TYPE, "application/json"), (R.USER_PROPERTY, ("a", "b")),
                       (R.RESPONSE_TOPIC, "resp/t"), (R.CORRELATION_DATA, b"\x01\x02")]})
    c.close()
    p = w.recv_publish()
    assert p.payload == b"{}"
    assert p.props[R.CONTENT_TYPE] == "application/json"
    assert p.props[R.USER_PROPERTY] == [("a", "b")]
    assert p.props[R.RESPONSE_TOPIC] == "resp/t"
    assert p.props[R.CORRELATION_DATA] == b"\x01\x02"
    late = broker.raw()
    late.connect()
    late.subscribe([("will/props", 1)])
    r = late.recv_publish()
    assert r.retain and r.payload == b"{}"  # [MQTT-3.1.2-17] will retain


def test_will_delay_interval(broker):
    w = watcher(broker)
    c = broker.raw()
    c.connect("delayed", properties=[(R.SESSION_EXPIRY, 30)],
              will={"topic": "will/delay", "payload": b"late", "qos": 1,
                    "properties": [(R.WILL_DELAY, 1)]})
    t0 = time.monotonic()
    c.close()
    w.expect_nothing(0.6)  # [MQTT-3.1.3-9] not before the delay
    p = w.recv_publish(timeout=2.5)
    assert p.payload == b"late"
    assert time.monotonic() - t0 >= 0.9


def test_will_delay_cancelled_by_reconnect(broker):
    w = watcher(broker)
    c = broker.raw()
    c.connect("comeback", properties=[(R.SESSION_EXPIRY, 30)],
              will={"topic": "will/comeback", "payload": b"no", "qos": 1,
                    "properties": [(R.WILL_DELAY, 1)]})
    c.close()
    time.sleep(0.3)
    c = broker.raw()
    c.connect("comeback", clean=False, properties=[(R.SESSION_EXPIRY, 30)])
    w.expect_nothing(1.5)  # [MQTT-3.1.3-9] reconnect within the delay: no will


def test_will_delay_cancelled_by_normal_disconnect(broker):
    w = watcher(broker)
    c = broker.raw()
    c.connect("normal-bye", properties=[(R.SESSION_EXPIRY, 30)],
              will={"topic": "will/bye", "payload": b"no", "qos": 1,
                    "properties": [(R.WILL_DELAY, 1)]})
    c.disconnect(0x00)
    w.expect_nothing(1.5)


def test_will_sent_when_session_ends_before_delay(broker):
    # [MQTT-3.1.3-9 / 3.1.2.5] the will is sent when the session ends, if that is sooner.
    w = watcher(broker)
    c = broker.raw()
    c.connect("short-session", properties=[(R.SESSION_EXPIRY, 0)],
              will={"topic": "will/short", "payload": b"now", "qos": 1,
                    "properties": [(R.WILL_DELAY, 30)]})
    c.close()
    assert w.recv_publish(timeout=2).payload == b"now"


def test_will_on_keepalive_timeout(broker):
    w = watcher(broker)
    c = broker.raw(version=4)
    c.connect("sleepy", keepalive=1, will={"topic": "will/ka", "payload": b"timeout"})
    p = w.recv_publish(timeout=3)  # 1.5 x keep alive [MQTT-3.1.2-24]
    assert p.payload == b"timeout"
    c.expect_closed(1)


def test_will_on_protocol_error_close(broker):
    w = watcher(broker)
    c = broker.raw()
    c.connect("bad-boy", will={"topic": "will/err", "payload": b"err"})
    c.send(R.connect("bad-boy"))  # second CONNECT: Protocol Error
    c.expect_closed(2)
    assert w.recv_publish().payload == b"err"
