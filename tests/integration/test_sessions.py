"""Sessions: clean session / clean start, session expiry, offline queues, takeover,
assigned client identifiers, redelivery of unacknowledged messages."""
import time

import pytest

import mqttraw as R


def offline_publish(broker, topic, items):
    pub = broker.raw()
    pub.connect()
    for i, (payload, qos) in enumerate(items, start=1):
        pub.publish(topic, payload, qos=qos, pid=i)
    pub.disconnect()


def test_v311_persistent_session_queues_qos1_and_qos2_only(broker, paho_client):
    sub = paho_client(broker, client_id="persist311", version=4, clean=False)
    sub.subscribe("ps/t", 2)
    sub.disconnect()
    broker.wait_gone("persist311")
    offline_publish(broker, "ps/t", [(b"q1", 1), (b"q0", 0), (b"q2", 2)])
    sub2 = paho_client(broker, client_id="persist311", version=4, clean=False, connect=False)
    flags, rc, _ = sub2.connect()
    assert rc == 0 and flags["session present"] == 1  # [MQTT-3.2.2-2]
    got = [m.payload for m in sub2.drain(0.6)]
    assert got == [b"q1", b"q2"]


def test_v311_clean_session_discards_state(broker, paho_client):
    sub = paho_client(broker, client_id="clean311", version=4, clean=False)
    sub.subscribe("cs/t", 1)
    sub.disconnect()
    broker.wait_gone("clean311")
    offline_publish(broker, "cs/t", [(b"x", 1)])
    sub2 = paho_client(broker, client_id="clean311", version=4, clean=True, connect=False)
    flags, rc, _ = sub2.connect()
    assert flags["session present"] == 0  # [MQTT-3.2.2-1]
    sub2.expect_none(0.4)
    # The subscription is gone as well [MQTT-3.1.2-6].
    offline_publish(broker, "cs/t", [(b"y", 1)])
    sub2.expect_none(0.3)


def test_v311_clean_session_ends_at_disconnect(broker):
    c = broker.raw(version=4)
    c.connect("cs-end", clean=True)
    c.subscribe([("ce/t", 1)])
    c.disconnect()
    broker.wait_gone("cs-end")
    c = broker.raw(version=4)
    ack = c.connect("cs-end", clean=False)
    assert not ack.session_present


def test_v5_session_expiry_zero_ends_session(broker):
    c = broker.raw()
    c.connect("se0", clean=False)  # no Session Expiry Interval = 0
    c.subscribe([("se0/t", 1)])
    c.disconnect()
    broker.wait_gone("se0")
    c = broker.raw()
    ack = c.connect("se0", clean=False)
    assert not ack.session_present  # [MQTT-3.1.2-23 note] session ends with the connection


def test_v5_session_expiry_keeps_then_expires(broker):
    c = broker.raw()
    c.connect("se1", clean=True, properties=[(R.SESSION_EXPIRY, 1)])
    c.subscribe([("se1/t", 1)])
    c.disconnect()
    broker.wait_gone("se1")
    offline_publish(broker, "se1/t", [(b"queued", 1)])
    c = broker.raw()
    ack = c.connect("se1", clean=False, properties=[(R.SESSION_EXPIRY, 1)])
    assert ack.session_present
    assert c.recv_publish().payload == b"queued"
    c.disconnect()
    time.sleep(1.6)
    c = broker.raw()
    ack = c.connect("se1", clean=False, properties=[(R.SESSION_EXPIRY, 1)])
    assert not ack.session_present  # expired after 1 s [MQTT-3.1.2-23]


def test_v5_disconnect_can_shorten_session_expiry_to_zero(broker):
    c = broker.raw()
    c.connect("se-dis", properties=[(R.SESSION_EXPIRY, 60)])
    c.disconnect(0x00, [(R.SESSION_EXPIRY, 0)])
    broker.wait_gone("se-dis")
    c = broker.raw()
    assert not c.connect("se-dis", clean=False).session_present


def test_v5_disconnect_setting_expiry_after_zero_is_protocol_error(broker):
    # [MQTT-3.14.2-2] Session Expiry 0 at CONNECT, non-zero at DISCONNECT: Protocol Error.
    c = broker.raw()
    c.connect("se-err")
    c.send(R.disconnect(0x00, [(R.SESSION_EXPIRY, 30)]))
    got = c.expect_closed(2)
    assert [p.type for p in got] in ([], [R.DISCONNECT])
    if got:
        assert got[0].rc == 0x82


def test_v5_clean_start_discards_session(broker):
    c = broker.raw()
    c.connect("cstart", properties=[(R.SESSION_EXPIRY, 60)])
    c.subscribe([("cst/t", 1)])
    c.disconnect()
    broker.wait_gone("cstart")
    c = broker.raw()
    ack = c.connect("cstart", clean=True, properties=[(R.SESSION_EXPIRY, 60)])
    assert not ack.session_present  # [MQTT-3.2.2-2]
    offline_publish(broker, "cst/t", [(b"x", 1)])
    c.expect_nothing(0.3)


def test_offline_queue_bounded_by_count(broker_factory):
    broker = broker_factory({"limits": {"max_queued_messages": 5}})
    c = broker.raw()
    c.connect("qcount", properties=[(R.SESSION_EXPIRY, 60)])
    c.subscribe([("qc/t", 1)])
    c.disconnect()
    broker.wait_gone("qcount")
    offline_publish(broker, "qc/t", [(b"m%d" % i, 1) for i in range(12)])
    c = broker.raw()
    assert c.connect("qcount", clean=False, properties=[(R.SESSION_EXPIRY, 60)]).session_present
    got = []
    try:
        while True:
            got.append(c.recv_publish(timeout=0.5).payload)
    except TimeoutError:
        pass
    assert len(got) == 5, got
    assert got == sorted(got, key=lambda b: int(b[1:]))  # still in order


def test_offline_queue_bounded_by_bytes(broker_factory):
    broker = broker_factory({"limits": {"max_queued_bytes": 2000}})
    c = broker.raw()
    c.connect("qbytes", properties=[(R.SESSION_EXPIRY, 60)])
    c.subscribe([("qb/t", 1)])
    c.disconnect()
    broker.wait_gone("qbytes")
    offline_publish(broker, "qb/t", [(bytes([65 + i]) * 500, 1) for i in range(10)])
    c = broker.raw()
    c.connect("qbytes", clean=False, properties=[(R.SESSION_EXPIRY, 60)])
    got = []
    try:
        while True:
            got.append(c.recv_publish(timeout=0.5).payload)
    except TimeoutError:
        pass
    assert 1 <= len(got) <= 4, [len(g) for g in got]  # 4 x 500 B payload = 2000 B


def test_message_expiry_in_offline_queue(broker):
    c = broker.raw()
    c.connect("mexp", properties=[(R.SESSION_EXPIRY, 60)])
    c.subscribe([("me/t", 1)])
    c.disconnect()
    broker.wait_gone("mexp")
    pub = broker.raw()
    pub.connect()
    pub.publish("me/t", b"short", qos=1, pid=1, properties=[(R.MESSAGE_EXPIRY, 1)])
    pub.publish("me/t", b"long", qos=1, pid=2, properties=[(R.MESSAGE_EXPIRY, 100)])
    time.sleep(2.1)
    c = broker.raw()
    c.connect("mexp", clean=False, properties=[(R.SESSION_EXPIRY, 60)])
    p = c.recv_publish()
    # [MQTT-3.3.2-5] expired messages are not delivered; [MQTT-3.3.2-6] the forwarded
    # interval is the received value minus the time spent waiting.
    assert p.payload == b"long"
    assert 90 <= p.props[R.MESSAGE_EXPIRY] <= 98
    c.expect_nothing(0.3)


def test_unacked_qos1_redelivered_with_dup_on_reconnect(broker):
    c = broker.raw(version=4)
    c.connect("redeliver", clean=False)
    c.subscribe([("rd/t", 1)])
    pub = broker.raw()
    pub.connect()
    pub.publish("rd/t", b"needs-ack", qos=1)
    p = c.recv_publish(auto_ack=False)
    assert p.qos == 1 and not p.dup
    c.close()  # no PUBACK
    time.sleep(0.2)
    c = broker.raw(version=4)
    assert c.connect("redeliver", clean=False).session_present
    p2 = c.recv_publish()
    # [MQTT-4.4.0-1] resend unacknowledged PUBLISH with DUP=1 [MQTT-3.3.1-1].
    assert p2.payload == b"needs-ack" and p2.dup and p2.pid == p.pid
    c.expect_nothing(0.3)


def test_unacked_qos2_pubrel_resumes_on_reconnect(broker):
    c = broker.raw()
    c.connect("q2resume", properties=[(R.SESSION_EXPIRY, 60)])
    c.subscribe([("q2r/t", 2)])
    pub = broker.raw()
    pub.connect()
    pub.publish("q2r/t", b"two", qos=2)
    p = c.recv_publish(auto_ack=False)
    c.send(R.ack(R.PUBREC, p.pid))
    assert c.expect(R.PUBREL).pid == p.pid
    c.close()  # PUBREL not completed
    time.sleep(0.2)
    c = broker.raw()
    assert c.connect("q2resume", clean=False, properties=[(R.SESSION_EXPIRY, 60)]).session_present
    rel = c.expect(R.PUBREL)  # [MQTT-4.4.0-1] resend PUBREL, not the PUBLISH
    assert rel.pid == p.pid
    c.send(R.ack(R.PUBCOMP, rel.pid))
    c.expect_nothing(0.3)


@pytest.mark.parametrize("old_version", [4, 5])
def test_takeover_disconnects_old_client(broker, old_version):
    old = broker.raw(version=old_version)
    old.connect("dup-id")
    new = broker.raw()
    new.connect("dup-id")
    got = old.expect_closed(2)  # [MQTT-3.1.4-3]
    if old_version == 5:
        assert len(got) == 1 and got[0].type == R.DISCONNECT and got[0].rc == 0x8E, got
    else:
        assert got == []
    new.ping()


def test_takeover_keeps_session_when_not_clean(broker):
    old = broker.raw()
    old.connect("take-sess", properties=[(R.SESSION_EXPIRY, 60)])
    old.subscribe([("tk/t", 1)])
    new = broker.raw()
    ack = new.connect("take-sess", clean=False, properties=[(R.SESSION_EXPIRY, 60)])
    assert ack.session_present
    pub = broker.raw()
    pub.connect()
    pub.publish("tk/t", b"to-new", qos=1)
    assert new.recv_publish().payload == b"to-new"


def test_v5_empty_client_id_gets_assigned_identifier(broker):
    ids = set()
    for _ in range(2):
        c = broker.raw()
        ack = c.connect("")
        assigned = ack.props.get(R.ASSIGNED_CLIENT_ID)
        assert assigned  # [MQTT-3.2.2-16]
        ids.add(assigned)
    assert len(ids) == 2
    assert any(f"client={i} " in broker.log() for i in ids)


def test_v311_empty_client_id_requires_clean_session(broker):
    c = broker.raw(version=4)
    ack = c.connect("", clean=False, expect_rc=None)
    # [MQTT-3.1.3-8] CONNACK 0x02 (identifier rejected) then close.
    assert ack.raw == b"\x20\x02\x00\x02"
    c.expect_closed(2)
    c = broker.raw(version=4)
    assert c.connect("", clean=True).raw == b"\x20\x02\x00\x00"


def test_v311_takeover_of_clean_session_does_not_carry_state(broker):
    # [MQTT-3.1.2-6] a CleanSession=1 session lasts only as long as its network connection;
    # after a takeover, a CleanSession=0 CONNECT finds no session.
    old = broker.raw(version=4)
    old.connect("tk311", clean=True)
    old.subscribe([("tk311/t", 1)])
    new = broker.raw(version=4)
    ack = new.connect("tk311", clean=False)
    assert not ack.session_present
    assert old.expect_closed(2) == []
    pub = broker.raw()
    pub.connect()
    pub.publish("tk311/t", b"x", qos=1)
    new.expect_nothing(0.3)


def test_takeover_churn_across_shards_keeps_broker_serving(broker):
    # Many reconnects of one client id, alternating clean start and session expiry, land
    # on both shards (threads = 2): sessions move between shards by message. The broker
    # must answer every CONNECT (0x00, or 0x89 while a takeover of that id is under way)
    # and keep the persistent subscription working at the end.
    clients = []
    for i in range(40):
        c = broker.raw()
        ack = c.connect("churn", clean=(i % 3 == 0), properties=[(R.SESSION_EXPIRY, 60)],
                        expect_rc=None)
        assert ack.rc in (0x00, 0x89), ack
        clients.append(c)
    final = broker.raw()
    final.connect("churn", clean=True, properties=[(R.SESSION_EXPIRY, 60)])
    final.subscribe([("churn/t", 1)])
    pub = broker.raw()
    pub.connect()
    pub.publish("churn/t", b"still-here", qos=1)
    assert final.recv_publish().payload == b"still-here"
