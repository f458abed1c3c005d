"""Restarts with SQLite storage (issue 4): every kind of state survives a SIGTERM and a
kill -9: sessions and subscriptions, retained messages, offline queues (contents and
order), in-flight QoS 1/2 messages towards subscribers, inbound QoS 2 packet ids; session
expiry counts the time the broker was down; clean sessions leave nothing behind; the
"periodic" and "off" sync policies start and serve.

Durability barrier: with sync = "ack" a QoS 1 PUBACK for a publish that stored
something is sent only once everything the broker wrote before it is durable (one writer,
commits in order). `barrier()` sets and clears a retained message at QoS 1 (both stored,
the store left as it was), so its last PUBACK is how a test knows earlier state (a
subscription, a message marked sent, a PUBACK from a subscriber) is on disk before it
kills the broker. A PINGREQ/PINGRESP round trip first makes sure the broker has processed
a client's earlier packets.
"""
import re
import signal
import time

import pytest

import mqttraw as R

SIGNALS = [pytest.param(signal.SIGTERM, id="sigterm"), pytest.param(signal.SIGKILL, id="kill9")]
EXPIRY = [(R.SESSION_EXPIRY, 300)]
RESTORED = re.compile(r"restored (\d+) sessions, (\d+) subscriptions, (\d+) retained, "
                      r"(\d+) queued messages")


def sqlite_broker(broker_factory, sync="ack", **storage):
    return broker_factory({"storage": {"backend": "sqlite", "sync": sync, **storage}})


def restart(b, sig, down=0.0):
    """Stops the broker with `sig` and starts it on the same data dir; returns the
    (sessions, subscriptions, retained, queued) counts it logged at start."""
    b.stop(sig)
    if sig == signal.SIGTERM:
        assert b.returncode == 0, b.log()[-2000:]
    if down:
        time.sleep(down)
    b.start()
    m = b.wait_log(RESTORED.pattern)
    assert m, f"no 'restored ...' line:\n{b.log()[-2000:]}"
    return tuple(int(x) for x in m.groups())


_barrier_pid = [0]


def barrier(b):
    """Returns once everything the broker wrote so far is durable (see module doc)."""
    c = b.raw()
    c.connect("", clean=True)
    for payload in (b"x", b""):  # set, then clear: retained messages are always stored
        _barrier_pid[0] = _barrier_pid[0] % 60000 + 1
        ack = c.publish("ferry-test/barrier", payload, qos=1, pid=_barrier_pid[0], retain=True)
        assert ack.rc == 0
    c.disconnect()


def persistent(b, client_id, version=5, clean=True, expect_present=None):
    c = b.raw(version=version)
    ack = c.connect(client_id, clean=clean, properties=EXPIRY if version == 5 else ())
    if expect_present is not None:
        assert ack.session_present == expect_present, f"{client_id}: {ack!r}"
    return c


def publisher(b, client_id=""):
    c = b.raw()
    c.connect(client_id, clean=True)
    return c


# --- sessions and subscriptions ----------------------------------------------------
@pytest.mark.parametrize("sig", SIGNALS)
def test_session_and_subscription_restored(broker_factory, sig):
    b = sqlite_broker(broker_factory)
    s = persistent(b, "rs-sub")
    assert s.subscribe([("rs/#", R.sub_options(qos=1))]) == [1]
    s.disconnect()
    b.wait_gone("rs-sub")
    barrier(b)

    assert restart(b, sig) == (1, 1, 0, 0)
    s = persistent(b, "rs-sub", clean=False, expect_present=True)
    p = publisher(b)
    assert p.publish("rs/a", b"to the restored subscription", qos=1).rc == 0
    m = s.recv_publish()
    assert (m.topic, m.payload, m.qos) == ("rs/a", b"to the restored subscription", 1)


# --- retained ----------------------------------------------------------------------
@pytest.mark.parametrize("sig", SIGNALS)
def test_retained_restored_and_cleared_stays_cleared(broker_factory, sig):
    b = sqlite_broker(broker_factory)
    p = publisher(b)
    p.publish("rt/a", b"A", qos=1, pid=1, retain=True)
    p.publish("rt/b", b"B", qos=2, pid=2, retain=True)
    p.publish("rt/c", b"C", qos=1, pid=3, retain=True)
    p.publish("rt/c", b"", qos=1, pid=4, retain=True)  # clears rt/c [MQTT-3.3.1-6]
    p.publish("rt/a", b"A2", qos=1, pid=5, retain=True)  # replaces rt/a
    p.disconnect()

    assert restart(b, sig)[2] == 2
    s = b.raw()
    s.connect("rt-reader")
    s.subscribe([("rt/#", R.sub_options(qos=1))])
    got = {}
    for _ in range(2):
        m = s.recv_publish()
        assert m.retain
        got[m.topic] = m.payload
    assert got == {"rt/a": b"A2", "rt/b": b"B"}
    s.expect_nothing(0.5)  # the cleared rt/c did not come back


# --- offline queue -----------------------------------------------------------------
@pytest.mark.parametrize("sig", SIGNALS)
def test_offline_queue_contents_and_order_restored(broker_factory, sig):
    b = sqlite_broker(broker_factory)
    s = persistent(b, "oq-sub")
    s.subscribe([("oq/#", R.sub_options(qos=2))])
    s.disconnect()
    b.wait_gone("oq-sub")
    p = publisher(b)
    items = [(f"m{i:02}".encode(), (1, 2, 0)[i % 3]) for i in range(21)]
    for i, (payload, qos) in enumerate(items, start=1):
        p.publish(f"oq/{i % 4}", payload, qos=qos, pid=i)
    p.disconnect()
    barrier(b)
    kept = [(payload, qos) for payload, qos in items if qos > 0]  # QoS 0 is not queued

    assert restart(b, sig) == (1, 1, 0, len(kept))
    s = persistent(b, "oq-sub", clean=False, expect_present=True)
    got = [(m.payload, m.qos) for m in (s.recv_publish() for _ in kept)]
    assert got == kept
    s.expect_nothing(0.5)


# --- in-flight towards a subscriber --------------------------------------------------
@pytest.mark.parametrize("sig", SIGNALS)
def test_inflight_qos1_resent_with_dup_and_same_packet_ids(broker_factory, sig):
    b = sqlite_broker(broker_factory)
    s = persistent(b, "if-sub")
    s.subscribe([("if/#", R.sub_options(qos=1))])
    p = publisher(b)
    for i in range(3):
        assert p.publish("if/t", f"f{i}".encode(), qos=1, pid=i + 1).rc == 0
    first = [s.recv_publish(auto_ack=False) for _ in range(3)]  # never acknowledged
    assert [m.payload for m in first] == [b"f0", b"f1", b"f2"]
    assert not any(m.dup for m in first)
    barrier(b)

    restart(b, sig)
    s = persistent(b, "if-sub", clean=False, expect_present=True)
    again = [s.recv_publish(auto_ack=False) for _ in range(3)]
    assert [m.payload for m in again] == [b"f0", b"f1", b"f2"]
    assert all(m.dup and m.qos == 1 for m in again)  # [MQTT-3.3.1-1]
    assert [m.pid for m in again] == [m.pid for m in first]  # [MQTT-4.4.0-1]
    # While those packet ids are in use, a new message must get another one.
    p = publisher(b)
    p.publish("if/t", b"new", qos=1)
    new = s.recv_publish(auto_ack=False)
    assert new.payload == b"new" and new.pid not in [m.pid for m in first], \
        "packet id of an unacknowledged message reused [MQTT-2.2.1-3]"
    for m in again + [new]:
        s.send(R.ack(R.PUBACK, m.pid))
    s.ping()
    barrier(b)

    # Acknowledged now: not sent again after another restart.
    restart(b, sig)
    s = persistent(b, "if-sub", clean=False, expect_present=True)
    s.expect_nothing(0.6)


@pytest.mark.parametrize("sig", SIGNALS)
def test_inflight_qos2_publish_resent_before_pubrec(broker_factory, sig):
    b = sqlite_broker(broker_factory)
    s = persistent(b, "q2p-sub")
    s.subscribe([("q2p/#", R.sub_options(qos=2))])
    p = publisher(b)
    p.publish("q2p/t", b"exactly once", qos=2)
    first = s.recv_publish(auto_ack=False)  # no PUBREC

    restart(b, sig)
    s = persistent(b, "q2p-sub", clean=False, expect_present=True)
    again = s.recv_publish(auto_ack=False)
    assert (again.payload, again.qos, again.dup) == (b"exactly once", 2, True)
    assert again.pid == first.pid  # [MQTT-4.4.0-1]
    s.send(R.ack(R.PUBREC, again.pid))
    rel = s.expect(R.PUBREL)
    assert rel.pid == again.pid
    s.send(R.ack(R.PUBCOMP, rel.pid))
    s.expect_nothing(0.5)


@pytest.mark.parametrize("sig", SIGNALS)
def test_inflight_qos2_pubrel_resent_after_pubrec(broker_factory, sig):
    b = sqlite_broker(broker_factory)
    s = persistent(b, "q2r-sub")
    s.subscribe([("q2r/#", R.sub_options(qos=2))])
    p = publisher(b)
    p.publish("q2r/t", b"released", qos=2)
    m = s.recv_publish(auto_ack=False)
    s.send(R.ack(R.PUBREC, m.pid))
    assert s.expect(R.PUBREL).pid == m.pid  # no PUBCOMP: the broker must keep the PUBREL
    s.ping()
    barrier(b)

    restart(b, sig)
    s = persistent(b, "q2r-sub", clean=False, expect_present=True)
    first = s.recv()
    assert first.type == R.PUBREL and first.pid == m.pid, \
        f"expected PUBREL {m.pid} resent [MQTT-4.4.0-1], got {first!r}"
    # While that packet id is still in use, a new message must get another one.
    p = publisher(b)
    p.publish("q2r/t", b"new", qos=2)
    new = s.recv_publish(auto_ack=False)
    assert new.payload == b"new"
    assert new.pid != m.pid, "packet id of an unfinished QoS 2 exchange reused [MQTT-2.2.1-3]"
    s.send(R.ack(R.PUBCOMP, m.pid))
    s.send(R.ack(R.PUBREC, new.pid))
    assert s.expect(R.PUBREL).pid == new.pid
    s.send(R.ack(R.PUBCOMP, new.pid))
    s.expect_nothing(0.5)


# --- inbound QoS 2 from a publisher --------------------------------------------------
@pytest.mark.parametrize("sig", SIGNALS)
def test_inbound_qos2_not_delivered_twice_across_restart(broker_factory, sig):
    b = sqlite_broker(broker_factory)
    s = persistent(b, "dd-sub")
    s.subscribe([("dd/#", R.sub_options(qos=2))])
    p = persistent(b, "dd-pub")
    p.send(R.publish("dd/t", b"once", qos=2, pid=7))
    rec = p.expect(R.PUBREC)
    assert rec.pid == 7 and rec.rc == 0
    m = s.recv_publish()  # full QoS 2 handshake on the subscriber's side
    assert m.payload == b"once"
    s.ping()
    barrier(b)

    restart(b, sig)
    s = persistent(b, "dd-sub", clean=False, expect_present=True)
    p = persistent(b, "dd-pub", clean=False, expect_present=True)
    # The publisher sends the PUBLISH again with the same packet id (as if it had not
    # seen the PUBREC): the broker must answer PUBREC without routing it again
    # [MQTT-4.3.3-10].
    p.send(R.publish("dd/t", b"once", qos=2, pid=7, dup=True))
    rec = p.expect(R.PUBREC)
    assert rec.pid == 7 and rec.rc < 0x80
    p.send(R.ack(R.PUBREL, 7))
    comp = p.expect(R.PUBCOMP)
    assert comp.pid == 7 and comp.rc == 0
    s.expect_nothing(0.8)
    # The packet id is free again: a new message with it is a new message.
    p.publish("dd/t", b"next", qos=2, pid=7)
    assert s.recv_publish().payload == b"next"


# --- session expiry ------------------------------------------------------------------
@pytest.mark.parametrize("sig", SIGNALS)
def test_session_expiry_counts_broker_downtime(broker_factory, sig):
    b = sqlite_broker(broker_factory)
    short = b.raw()
    short.connect("exp-short", properties=[(R.SESSION_EXPIRY, 2)])
    short.subscribe([("exp/#", R.sub_options(qos=1))])
    short.disconnect()
    long_ = persistent(b, "exp-long")
    long_.subscribe([("exp/#", R.sub_options(qos=1))])
    long_.disconnect()
    b.wait_gone("exp-short")
    b.wait_gone("exp-long")
    barrier(b)

    restart(b, sig, down=3.0)  # 3 s down > the 2 s expiry
    c = b.raw()
    ack = c.connect("exp-short", clean=False, properties=[(R.SESSION_EXPIRY, 2)])
    assert not ack.session_present, "a session expired during the downtime came back"
    persistent(b, "exp-long", clean=False, expect_present=True)


# --- clean sessions ------------------------------------------------------------------
@pytest.mark.parametrize("sig", SIGNALS)
def test_clean_sessions_leave_nothing_behind(broker_factory, sig):
    b = sqlite_broker(broker_factory)
    c311 = b.raw(version=4)
    c311.connect("cl-311", clean=True)
    c311.subscribe([("cl/a", 1)])
    c5 = b.raw()
    c5.connect("cl-v5", clean=True)  # Session Expiry absent = 0
    c5.subscribe([("cl/b", R.sub_options(qos=1))])
    keep = b.raw(version=4)
    assert not keep.connect("cl-keep", clean=False).session_present
    keep.subscribe([("cl/c", 1)])
    keep.disconnect()
    b.wait_gone("cl-keep")
    p = publisher(b)
    p.publish("cl/a", b"unacked", qos=1, pid=1)
    p.publish("cl/b", b"unacked", qos=1, pid=2)
    assert c311.recv_publish(auto_ack=False).payload == b"unacked"  # left in flight
    assert c5.recv_publish(auto_ack=False).payload == b"unacked"
    if sig == signal.SIGTERM:
        c311.disconnect()
        c5.disconnect()
        b.wait_gone("cl-311")
        b.wait_gone("cl-v5")
    barrier(b)  # with kill -9 the clean clients are still connected when it dies

    assert restart(b, sig) == (1, 1, 0, 0)  # only cl-keep and its subscription
    c = b.raw(version=4)
    assert not c.connect("cl-311", clean=False).session_present
    c.expect_nothing(0.3)
    c = b.raw()
    assert not c.connect("cl-v5", clean=False, properties=EXPIRY).session_present
    c = b.raw(version=4)
    assert c.connect("cl-keep", clean=False).session_present


# --- sync policies -------------------------------------------------------------------
@pytest.mark.parametrize("sync", ["periodic", "off"])
def test_other_sync_policies_start_and_serve(broker_factory, sync):
    b = sqlite_broker(broker_factory, sync=sync, sync_interval_ms=50)
    assert re.search(rf"storage: sqlite .*ferry\.db \(sync = {sync}\)", b.log())
    s = persistent(b, "sm-sub")
    s.subscribe([("sm/#", R.sub_options(qos=2))])
    p = publisher(b)
    for qos in (0, 1, 2):
        ack = p.publish(f"sm/{qos}", f"q{qos}".encode(), qos=qos, pid=qos + 1)
        assert qos == 0 or ack.rc == 0
    got = sorted((m.topic, m.payload, m.qos) for m in (s.recv_publish() for _ in range(3)))
    assert got == [("sm/0", b"q0", 0), ("sm/1", b"q1", 1), ("sm/2", b"q2", 2)]
    p.publish("sm/r", b"kept", qos=1, pid=9, retain=True)
    assert s.recv_publish().payload == b"kept"
    s.ping()
    s.disconnect()
    b.wait_gone("sm-sub")
    p.publish("sm/q", b"queued", qos=1, pid=10)
    p.disconnect()

    # A graceful stop writes everything, whatever the policy.
    assert restart(b, signal.SIGTERM) == (1, 1, 1, 1)
    s = persistent(b, "sm-sub", clean=False, expect_present=True)
    m = s.recv_publish()
    assert (m.topic, m.payload) == ("sm/q", b"queued")
    s.expect_nothing(0.3)
    r = b.raw()
    r.connect("sm-reader")
    r.subscribe([("sm/r", R.sub_options(qos=1))])
    m = r.recv_publish()
    assert (m.topic, m.payload, m.retain) == ("sm/r", b"kept", True)


@pytest.mark.parametrize("sig", SIGNALS)
def test_qos1_will_queued_for_offline_subscriber_survives_restart(broker_factory, sig):
    # A will goes the way of a PUBLISH: queued (and stored) for a persistent subscriber.
    b = sqlite_broker(broker_factory)
    s = persistent(b, "will-sub")
    s.subscribe([("willq/#", R.sub_options(qos=1))])
    s.disconnect()
    b.wait_gone("will-sub")
    w = b.raw()
    w.connect("will-owner", will={"topic": "willq/gone", "payload": b"bye", "qos": 1})
    w.close()  # no DISCONNECT: the will is published at once
    b.wait_gone("will-owner")
    barrier(b)
    restart(b, sig)
    s = persistent(b, "will-sub", clean=False, expect_present=True)
    m = s.recv_publish()
    assert (m.topic, m.payload, m.qos) == ("willq/gone", b"bye", 1)
