"""The integrated MQTT-SN 1.2 gateway (issue 5), driven over UDP by the raw client in
snraw.py, `ferry pub/sub mqttsn://...`, and MQTT clients (mosquitto_pub/sub, paho) on
the same broker: discovery, connect, publish/subscribe with registered, predefined and
short topic ids at QoS -1..2, the will dialogue and will updates, sleeping clients,
forwarder encapsulation, malformed datagrams, a persistent session across a restart,
and QoS delivery guarantees through a relay that drops 10% of the datagrams.

Brokers here get an extra `mqttsn` listener on an ephemeral UDP port (conftest's Broker
only builds tcp + unix listeners), and `[[mqttsn.predefined]]` tables.
"""
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

import snraw as S
from conftest import FERRY_BIN, Broker, render_config
from lossy_relay import LossyRelay

LISTEN_SN = re.compile(r"listening on mqttsn ([0-9.]+):(\d+) \(gateway id (\d+)")

PREDEFINED = [
    {"id": 10, "topic": "pre/global"},
    {"id": 20, "topic": "pre/other"},
    {"id": 20, "topic": "pre/alice", "client": "alice"},
    {"id": 30, "topic": "pre/alice-only", "client": "alice"},
]


class SnBroker(Broker):
    """A Broker with an MQTT-SN listener (and predefined topic ids)."""

    def __init__(self, workdir, overrides, sn_listener, predefined):
        super().__init__(workdir, overrides)
        text = self.config_path.read_text()
        listener = {"transport": "mqttsn", "bind": "127.0.0.1:0", **sn_listener}
        text += "\n" + render_config({}, [listener])
        for p in predefined:
            text += "\n[[mqttsn.predefined]]\n" + "\n".join(
                f"{k} = {v if isinstance(v, int) else chr(34) + v + chr(34)}"
                for k, v in p.items()) + "\n"
        self.config_path.write_text(text)
        self.sn_addr = None
        self.gateway_id = None
        self._sn_clients = []

    def start(self, timeout=10.0):
        super().start(timeout)
        m = LISTEN_SN.search(self._current_log())
        assert m, f"no mqttsn listener line:\n{self.log()[-2000:]}"
        self.sn_addr = (m.group(1), int(m.group(2)))
        self.gateway_id = int(m.group(3))
        return self

    def sn(self, node_id=None, **kw):
        c = S.SnClient(self.sn_addr, node_id=node_id, **kw)
        self._sn_clients.append(c)
        return c


@pytest.fixture
def sn_factory():
    made, dirs = [], []

    def make(overrides=None, listener=None, predefined=PREDEFINED):
        d = tempfile.mkdtemp(prefix="ferry-sn-")
        dirs.append(d)
        cfg = {"mqttsn": {"retry_ms": 300, "max_retries": 5}}
        for section, keys in (overrides or {}).items():
            cfg.setdefault(section, {}).update(keys)
        b = SnBroker(d, cfg, listener or {}, predefined)
        made.append(b)
        return b.start()

    yield make
    for b in made:
        for c in b._sn_clients:
            c.close()
        b.kill()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def sb(sn_factory):
    return sn_factory()


def mqtt_sub(paho_client, broker, *topics, qos=2):
    p = paho_client(broker, version=4)
    for t in topics:
        p.subscribe(t, qos)
    return p


def mqtt_pub(broker, topic, payload, qos=0, retain=False):
    args = ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-t", topic,
            "-m", payload, "-q", str(qos)] + (["-r"] if retain else [])
    r = subprocess.run(args, capture_output=True, timeout=10)
    assert r.returncode == 0, r.stderr


class MosquittoSub:
    """mosquitto_sub with -d: returns once its SUBACK arrived; lines() gives messages."""

    def __init__(self, broker, topic, count, qos=2):
        self.p = subprocess.Popen(
            ["stdbuf", "-oL", "mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-t", topic,
             "-q", str(qos), "-C", str(count), "-W", "10", "-d", "-F", "MSG|%t|%q|%p"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in self.p.stdout:
            if "received SUBACK" in line:
                return
        raise AssertionError("mosquitto_sub never subscribed")

    def lines(self):
        out, _ = self.p.communicate(timeout=15)
        return [ln[4:] for ln in out.splitlines() if ln.startswith("MSG|")]


def sn_connected(b, client_id, **kw):
    c = b.sn(**{k: v for k, v in kw.items() if k in ("node_id", "retry", "attempts")})
    rc = c.connect(client_id, **{k: v for k, v in kw.items()
                                 if k in ("duration", "clean", "will")})
    assert rc == S.ACCEPTED
    return c


# --- connect, publish, subscribe ------------------------------------------------------
def test_connect_ping_disconnect(sb):
    c = sn_connected(sb, "sn-basic")
    assert c.ping().type == S.PINGRESP
    assert c.disconnect().type == S.DISCONNECT
    c.send(S.pingreq())  # no session any more: nothing comes back
    assert c.recv(0.4) is None


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_sn_publish_registered_topic_reaches_mosquitto_sub(sb, qos):
    sub = MosquittoSub(sb, "sn/up/#", 1)
    c = sn_connected(sb, f"sn-up-{qos}")
    tid = c.register(f"sn/up/q{qos}", msg_id=1)
    assert tid not in (0, 0xFFFF)
    ack = c.publish(tid, f"hello {qos}", qos=qos, msg_id=2)
    if qos == 1:
        assert (ack.type, ack.topic_id, ack.msg_id, ack.rc) == (S.PUBACK, tid, 2, S.ACCEPTED)
    if qos == 2:
        assert (ack.type, ack.msg_id) == (S.PUBCOMP, 2)
    assert sub.lines() == [f"sn/up/q{qos}|{qos}|hello {qos}"]


def test_publish_to_unknown_topic_id_is_refused(sb):
    c = sn_connected(sb, "sn-badid")
    ack = c.publish(777, "x", qos=1, msg_id=5)
    assert (ack.type, ack.topic_id, ack.msg_id, ack.rc) == (S.PUBACK, 777, 5, S.INVALID_TOPIC_ID)


@pytest.mark.parametrize("qos", [1, 2])
def test_mosquitto_pub_reaches_sn_subscriber_by_name(sb, qos):
    c = sn_connected(sb, f"sn-down-{qos}")
    ack = c.subscribe("sn/down/t", msg_id=3, qos=qos)
    assert (ack.rc, ack.qos, ack.msg_id) == (S.ACCEPTED, qos, 3)
    assert ack.topic_id not in (0, 0xFFFF)  # a topic name gets its id in SUBACK [5.4.16]
    mqtt_pub(sb, "sn/down/t", "to sn", qos=qos)
    assert c.messages(1) == [("sn/down/t", b"to sn", qos, False)]
    m = [x for x in c.raw_log if x.type == S.PUBLISH][0]
    assert (m.tid_type, m.topic_id) == (S.NORMAL, ack.topic_id)
    assert not [x for x in c.raw_log if x.type == S.REGISTER]  # id known from SUBACK


def test_wildcard_subscription_gets_register_before_publish(sb):
    c = sn_connected(sb, "sn-wild")
    ack = c.subscribe("wild/+/x", msg_id=1, qos=1)
    assert ack.rc == S.ACCEPTED and ack.topic_id == 0  # a wildcard has no id [5.4.16]
    c.auto_regack = False
    mqtt_pub(sb, "wild/a/x", "first", qos=1)
    reg = c.recv(2.0, raw=True)
    assert reg is not None and reg.type == S.REGISTER, reg
    assert reg.topic == "wild/a/x" and reg.topic_id not in (0, 0xFFFF)
    # No PUBLISH until the client accepted the id (a resent REGISTER is fine).
    early = [m for m in c.quiet(0.2) if m.type == S.PUBLISH]
    assert early == []
    c.send(S.regack(reg.topic_id, reg.msg_id))
    c.auto_regack = True
    c.topics[reg.topic_id] = reg.topic
    assert c.messages(1) == [("wild/a/x", b"first", 1, False)]
    pub = [m for m in c.raw_log if m.type == S.PUBLISH][0]
    assert pub.topic_id == reg.topic_id
    # The same topic again: no second REGISTER.
    mqtt_pub(sb, "wild/a/x", "second", qos=1)
    assert c.messages(2)[1] == ("wild/a/x", b"second", 1, False)
    assert len({m.topic_id for m in c.raw_log if m.type == S.REGISTER}) == 1


def test_retained_message_delivered_on_subscribe(sb):
    mqtt_pub(sb, "ret/sn", "kept", qos=1, retain=True)
    c = sn_connected(sb, "sn-ret")
    ack = c.subscribe("ret/sn", msg_id=1, qos=1)
    assert ack.rc == S.ACCEPTED
    assert c.messages(1) == [("ret/sn", b"kept", 1, False)]
    assert [m.retain for m in c.raw_log if m.type == S.PUBLISH] == [True]


# --- predefined and short topic ids --------------------------------------------------
def test_predefined_global_both_directions(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "pre/#")
    c = sn_connected(sb, "sn-pre")
    ack = c.publish(10, "up", qos=1, msg_id=1, tid_type=S.PREDEFINED)
    assert ack.rc == S.ACCEPTED
    m = p.expect()
    assert (m.topic, m.payload) == ("pre/global", b"up")
    ack = c.subscribe(10, msg_id=2, qos=1, tid_type=S.PREDEFINED)
    assert ack.rc == S.ACCEPTED
    p.publish("pre/global", b"down", qos=1)
    assert c.messages(1) == [(("predefined", 10), b"down", 1, False)]


def test_predefined_per_client(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "pre/#")
    alice = sn_connected(sb, "alice")
    bob = sn_connected(sb, "bob")
    assert alice.publish(20, "from alice", qos=1, msg_id=1, tid_type=S.PREDEFINED).rc == 0
    assert bob.publish(20, "from bob", qos=1, msg_id=1, tid_type=S.PREDEFINED).rc == 0
    got = sorted((m.topic, m.payload) for m in p.expect(2))
    assert got == [("pre/alice", b"from alice"), ("pre/other", b"from bob")]
    # Id 30 exists for alice only.
    ack = bob.publish(30, "x", qos=1, msg_id=2, tid_type=S.PREDEFINED)
    assert ack.rc == S.INVALID_TOPIC_ID
    assert alice.subscribe(30, msg_id=3, qos=1, tid_type=S.PREDEFINED).rc == S.ACCEPTED
    p.publish("pre/alice-only", b"for alice", qos=1)
    assert alice.messages(1) == [(("predefined", 30), b"for alice", 1, False)]


def test_short_topic_names_both_directions(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "ab")
    c = sn_connected(sb, "sn-short")
    ack = c.publish(S.short_id("ab"), "short up", qos=1, msg_id=1, tid_type=S.SHORT)
    assert ack.rc == S.ACCEPTED
    m = p.expect()
    assert (m.topic, m.payload) == ("ab", b"short up")
    assert c.subscribe("cd", msg_id=2, qos=1, tid_type=S.SHORT).rc == S.ACCEPTED
    p.publish("cd", b"short down", qos=1)
    assert c.messages(1) == [("cd", b"short down", 1, False)]
    pub = [m for m in c.raw_log if m.type == S.PUBLISH][0]
    assert (pub.tid_type, pub.topic_id) == (S.SHORT, S.short_id("cd"))


def test_qos_minus_one_from_unconnected_socket(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "pre/global", "qm")
    c = sb.sn()  # never connects
    c.send(S.publish(10, "minus one", qos=-1, tid_type=S.PREDEFINED))
    c.send(S.publish(S.short_id("qm"), "short minus one", qos=-1, tid_type=S.SHORT))
    got = sorted((m.topic, m.payload) for m in p.expect(2))
    assert got == [("pre/global", b"minus one"), ("qm", b"short minus one")]
    c.send(S.publish(1, "normal id", qos=-1, tid_type=S.NORMAL))  # not resolvable: dropped
    p.expect_none(0.4)
    assert c.recv(0.1) is None


def test_allow_list_limits_qos_minus_one_and_forwarders(sn_factory, paho_client):
    """`allow` on the listener: QoS -1 senders and forwarders outside it are refused
    (counted); ordinary clients still connect from anywhere."""
    b = sn_factory(listener={"allow": "10.0.0.0/8, fd00::/8"})
    p = mqtt_sub(paho_client, b, "qm")
    c = b.sn()
    c.send(S.publish(S.short_id("qm"), "refused", qos=-1, tid_type=S.SHORT))
    p.expect_none(0.4)
    fwd = b.sn(node_id="n1", attempts=2, retry=0.3)
    with pytest.raises(S.Timeout):
        fwd.connect("behind-fwd")  # the forwarder's address is not in the list
    assert sn_connected(b, "direct-ok").ping().type == S.PINGRESP
    ok = sn_factory(listener={"allow": "10.0.0.0/8, 127.0.0.0/8"})
    p2 = mqtt_sub(paho_client, ok, "qm")
    ok.sn().send(S.publish(S.short_id("qm"), "admitted", qos=-1, tid_type=S.SHORT))
    m = p2.expect()
    assert (m.topic, m.payload) == ("qm", b"admitted")


def test_bad_allow_list_names_file_line_and_key(tmp_path):
    conf = tmp_path / "sn.toml"
    conf.write_text('[[listener]]\ntransport = "mqttsn"\nbind = "127.0.0.1:0"\n'
                    'allow = "10.0.0.0/33"\n')
    r = subprocess.run([FERRY_BIN, "check", "--config", str(conf)], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode != 0
    assert "sn.toml:4: listener[0].allow: invalid address range '10.0.0.0/33'" in r.stderr, \
        r.stderr


# --- will ----------------------------------------------------------------------------
def test_will_dialogue_published_when_keep_alive_lapses(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "will/#")
    c = sn_connected(sb, "sn-will", duration=1, will=("will/sn", "gone", 1, False))
    assert [m.type for m in c.raw_log[:3]] == [S.WILLTOPICREQ, S.WILLMSGREQ, S.CONNACK]
    p.expect_none(0.5)  # still alive within 1.5 x Duration
    m = p.expect(timeout=4.0)  # silent from here: lost after 1.5 s
    assert (m.topic, m.payload, m.qos) == ("will/sn", b"gone", 1)


def test_no_will_after_normal_disconnect(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "will/#")
    c = sn_connected(sb, "sn-will-ok", duration=1, will=("will/ok", "gone", 0, False))
    c.disconnect()
    p.expect_none(2.5)


def test_will_topic_and_message_updates(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "will/#")
    c = sn_connected(sb, "sn-willupd", duration=2, will=("will/old", "old", 0, False))
    c.send(S.willtopicupd("will/new", qos=1, retain=False))
    assert c.expect(S.WILLTOPICRESP).rc == S.ACCEPTED
    c.send(S.willmsgupd("new message"))
    assert c.expect(S.WILLMSGRESP).rc == S.ACCEPTED
    m = p.expect(timeout=5.0)
    assert (m.topic, m.payload, m.qos) == ("will/new", b"new message", 1)
    p.expect_none(0.3)


def test_empty_willtopicupd_removes_will(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "will/#")
    c = sn_connected(sb, "sn-willdel", duration=1, will=("will/del", "x", 0, False))
    c.send(S.willtopicupd(None))
    assert c.expect(S.WILLTOPICRESP).rc == S.ACCEPTED
    p.expect_none(3.0)  # the client lapsed, with no will left


# --- sleeping clients ----------------------------------------------------------------
def test_sleeping_client_gets_buffered_messages_on_pingreq(sb, paho_client):
    c = sn_connected(sb, "sn-sleeper")
    assert c.subscribe("sleep/t", msg_id=1, qos=1).rc == S.ACCEPTED
    d = c.disconnect(duration=10)
    assert d.type == S.DISCONNECT
    p = paho_client(sb, version=4)
    for i in range(3):
        p.publish("sleep/t", f"m{i}".encode(), qos=1)
    assert c.recv(0.5, raw=True) is None  # asleep: nothing is sent
    c.send(S.pingreq("sn-sleeper"))
    c.expect(S.PINGRESP, timeout=3.0)  # buffered messages come first, acked on the way
    assert [x[1] for x in c.received] == [b"m0", b"m1", b"m2"]
    types = [m.type for m in c.raw_log if m.type in (S.PUBLISH, S.PINGRESP)]
    assert types == [S.PUBLISH] * 3 + [S.PINGRESP]
    # Asleep again: a new message waits for the next PINGREQ.
    p.publish("sleep/t", b"m3", qos=1)
    assert c.recv(0.4, raw=True) is None
    c.send(S.pingreq("sn-sleeper"))
    c.expect(S.PINGRESP, timeout=3.0)
    assert [x[1] for x in c.received] == [b"m0", b"m1", b"m2", b"m3"]


# --- forwarder encapsulation ---------------------------------------------------------
def test_forwarder_encapsulation(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "fwd/#")
    n1 = sn_connected(sb, "node-1", node_id=b"\x01\x02")
    tid = n1.register("fwd/n1", 1)
    assert n1.publish(tid, "via forwarder", qos=1, msg_id=2).rc == S.ACCEPTED
    m = p.expect()
    assert (m.topic, m.payload) == ("fwd/n1", b"via forwarder")
    # A second node behind the same forwarder address is a different client.
    n2 = S.SnClient(sb.sn_addr, node_id=b"\x03")
    n2.sock.close()
    n2.sock = n1.sock
    assert n2.connect("node-2") == S.ACCEPTED
    assert n2.subscribe("fwd/down", 1, qos=1).rc == S.ACCEPTED
    p.publish("fwd/down", b"to node 2", qos=1)
    assert n2.messages(1) == [("fwd/down", b"to node 2", 1, False)]
    assert n1.ping().type == S.PINGRESP  # node 1 still connected


# --- malformed input -----------------------------------------------------------------
MALFORMED = [
    b"",
    b"\x05",                                   # too short
    b"\x09\x04\x04\x01\x00\x3cab",             # Length 9, 8 octets
    b"\x03\x0c\x00",                           # PUBLISH cut short
    b"\x02\x03",                               # reserved MsgType 0x03
    b"\x02\xff",                               # reserved MsgType 0xFF
    b"\x01\x00",                               # 3-octet Length cut short
    b"\x01\x00\x05\x0c\x00",                   # 3-octet Length, PUBLISH truncated
    b"\x06\x04\x04\x02\x00\x3c",               # ProtocolId 0x02, no ClientId
    b"\x07\xfe\x00n1\x02\x16",                 # encapsulation header overrunning
    b"\x04\xfe\x00n\x05\x0c\x00",              # encapsulated truncated PUBLISH
]


def test_malformed_datagrams_dropped_without_disturbing_others(sb):
    good = sn_connected(sb, "sn-good")
    assert good.subscribe("mal/t", 1, qos=1).rc == S.ACCEPTED
    evil = sb.sn()
    for d in MALFORMED:
        evil.send_raw(d)
        good.send_raw(d)  # from a connected client's own address too
    assert evil.recv(0.3, raw=True) is None
    assert good.ping().type == S.PINGRESP
    mqtt_pub(sb, "mal/t", "still here", qos=1)
    assert good.messages(1) == [("mal/t", b"still here", 1, False)]
    # The gateway still serves new clients.
    assert sn_connected(sb, "sn-after").ping().type == S.PINGRESP


# --- persistence ---------------------------------------------------------------------
def test_persistent_sn_session_survives_restart(sn_factory):
    b = sn_factory({"storage": {"backend": "sqlite", "sync": "ack"}})
    c = sn_connected(b, "sn-persist", clean=False)
    assert c.subscribe("persist/t", 1, qos=1).rc == S.ACCEPTED
    c.disconnect()
    mqtt_pub(b, "persist/t", "before restart", qos=1)  # queued for the offline session
    b.restart()
    mqtt_pub(b, "persist/t", "after restart", qos=1)
    c.addr = b.sn_addr  # a new ephemeral port; the topic id from the SUBACK still holds
    assert c.connect("sn-persist", clean=False) == S.ACCEPTED
    got = c.messages(2, timeout=5.0)
    assert [(t, pl, q) for t, pl, q, _ in got] == [
        ("persist/t", b"before restart", 1), ("persist/t", b"after restart", 1)]
    # The subscription itself survived: a new message arrives too.
    mqtt_pub(b, "persist/t", "live", qos=1)
    assert c.messages(3)[2][:2] == ("persist/t", b"live")


def test_topic_ids_survive_a_gateway_restart(sn_factory, paho_client):
    """A sleeping sensor that registered a topic before the restart publishes with the
    same id afterwards, without a new REGISTER (CleanSession 0, sqlite)."""
    b = sn_factory({"storage": {"backend": "sqlite", "sync": "ack"}})
    c = sn_connected(b, "sn-topics", clean=False)
    tid = c.register("kept/temperature", msg_id=1)
    c.disconnect(duration=60)  # asleep
    b.stop(signal.SIGKILL)
    b.start()
    p = mqtt_sub(paho_client, b, "kept/#")
    c.addr = b.sn_addr
    assert c.connect("sn-topics", clean=False) == S.ACCEPTED
    assert c.publish(tid, "22.5", qos=1, msg_id=2).rc == S.ACCEPTED
    m = p.expect()
    assert (m.topic, m.payload) == ("kept/temperature", b"22.5")


@pytest.mark.parametrize("qos", [1, 2])
def test_acknowledged_sn_messages_are_not_redelivered_after_restart(sn_factory, qos):
    """The stored rows follow the MQTT-SN acknowledgements: what the client acknowledged
    (PUBACK, or PUBREC + PUBCOMP) is gone after a kill -9; the rest comes back."""
    b = sn_factory({"storage": {"backend": "sqlite", "sync": "ack"}})
    c = sn_connected(b, f"sn-acked-{qos}", clean=False)
    assert c.subscribe("acked/t", 1, qos=qos).rc == S.ACCEPTED
    for i in range(3):
        mqtt_pub(b, "acked/t", f"m{i}", qos=qos)
    assert [p for _, p, _, _ in c.messages(3, timeout=5)] == [b"m0", b"m1", b"m2"]
    c.quiet(0.5)  # the last acknowledgements reach the gateway
    c.disconnect()
    mqtt_pub(b, "acked/t", "while away", qos=qos)
    b.stop(signal.SIGKILL)
    b.start()
    c.addr = b.sn_addr
    c.topics.clear()
    c.received.clear()
    c.awaiting_rel.clear()
    assert c.connect(f"sn-acked-{qos}", clean=False) == S.ACCEPTED
    c.messages(2, timeout=3.0)
    assert [p for _, p, _, _ in c.received] == [b"while away"]



# --- more session behaviour ----------------------------------------------------------
def test_unsubscribe_stops_delivery(sb):
    c = sn_connected(sb, "sn-unsub")
    assert c.subscribe("unsub/t", 1, qos=1).rc == S.ACCEPTED
    c.send(S.unsubscribe("unsub/t", 2))
    assert c.expect(S.UNSUBACK).msg_id == 2
    mqtt_pub(sb, "unsub/t", "gone", qos=1)
    assert [m for m in c.quiet(0.5) if m.type == S.PUBLISH] == []


def test_will_when_lost_while_asleep(sb, paho_client):
    p = mqtt_sub(paho_client, sb, "will/#")
    c = sn_connected(sb, "sn-nap", duration=30, will=("will/nap", "overslept", 0, False))
    c.disconnect(duration=1)
    p.expect_none(0.8)  # asleep, within 1.5 x the sleep Duration
    m = p.expect(timeout=3.0)
    assert (m.topic, m.payload) == ("will/nap", b"overslept")


def test_gateway_retransmits_with_dup_then_gives_up(sn_factory, paho_client):
    b = sn_factory({"mqttsn": {"retry_ms": 300, "max_retries": 2}})
    p = mqtt_sub(paho_client, b, "will/#")
    c = sn_connected(b, "sn-deaf", duration=60, will=("will/deaf", "no acks", 0, False))
    assert c.subscribe("deaf/t", 1, qos=1).rc == S.ACCEPTED
    mqtt_pub(b, "deaf/t", "ack me", qos=1)
    got = []
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        m = c.recv(0.1, raw=True)  # never acknowledged
        if m is not None:
            got.append(m)
    pubs = [m for m in got if m.type == S.PUBLISH]
    assert [m.dup for m in pubs] == [False, True, True]  # Nretry = 2 [MQTT-SN 6.13]
    assert len({m.msg_id for m in pubs}) == 1
    m = p.expect(timeout=2.0)  # the client is considered lost
    assert (m.topic, m.payload) == ("will/deaf", b"no acks")


def test_same_client_id_from_new_address_takes_over(sb):
    a = sn_connected(sb, "sn-move", clean=False)
    assert a.subscribe("move/t", 1, qos=1).rc == S.ACCEPTED
    b2 = sn_connected(sb, "sn-move", clean=False)
    assert a.expect(S.DISCONNECT).type == S.DISCONNECT  # the old address is told
    b2.topics = dict(a.topics)  # the same device: the session's topic ids go with it
    mqtt_pub(sb, "move/t", "moved", qos=1)
    assert b2.messages(1) == [("move/t", b"moved", 1, False)]
    assert a.quiet(0.3) == []


def test_subscribe_by_name_publishes_with_suback_topic_id(sb):
    c = sn_connected(sb, "sn-name-of-predef")
    ack = c.subscribe("pre/global", 1, qos=1)  # a name that also has predefined id 10
    assert ack.rc == S.ACCEPTED and ack.topic_id != 0
    mqtt_pub(sb, "pre/global", "which id?", qos=1)
    c.messages(1)
    pub = [m for m in c.raw_log if m.type == S.PUBLISH][0]
    assert (pub.tid_type, pub.topic_id) == (S.NORMAL, ack.topic_id)


def test_searchgw_through_forwarder(sb):
    c = sb.sn(node_id=b"\x07")
    c.send(S.searchgw())
    assert c.expect(S.GWINFO).gw_id == sb.gateway_id


# --- ferry pub / ferry sub over MQTT-SN -----------------------------------------------
def ferry(*args, timeout=15):
    return subprocess.run([FERRY_BIN, *args], capture_output=True, text=True, timeout=timeout)


def sn_url(b):
    return f"mqttsn://{b.sn_addr[0]}:{b.sn_addr[1]}"


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_ferry_pub_mqttsn_by_name(sb, paho_client, qos):
    p = mqtt_sub(paho_client, sb, "cli/#")
    r = ferry("pub", sn_url(sb), "-t", "cli/name", "-m", f"n{qos}", "-q", str(qos), "-C", "2")
    assert r.returncode == 0, r.stderr
    got = [(m.topic, m.payload, m.qos) for m in p.expect(2)]
    assert got == [("cli/name", f"n{qos}".encode(), qos)] * 2


@pytest.mark.parametrize("args,topic", [
    (["-q", "-1", "--topic-id", "10"], "pre/global"),
    (["-q", "-1", "--short", "-t", "qs"], "qs"),
    (["-q", "1", "--topic-id", "10"], "pre/global"),
    (["-q", "2", "--short", "-t", "qs"], "qs"),
    (["-q", "1", "--topic-id", "20", "-i", "alice"], "pre/alice"),
])
def test_ferry_pub_mqttsn_topic_ids(sb, paho_client, args, topic):
    p = mqtt_sub(paho_client, sb, "pre/#", "qs")
    r = ferry("pub", sn_url(sb), *args, "-m", "by id")
    assert r.returncode == 0, r.stderr
    m = p.expect()
    assert (m.topic, m.payload) == (topic, b"by id")


def test_ferry_pub_mqttsn_refusals(sb):
    r = ferry("pub", sn_url(sb), "-t", "cli/x", "-q", "-1", "-m", "x")
    assert r.returncode != 0 and "QoS -1" in r.stderr
    r = ferry("pub", sn_url(sb), "--topic-id", "999", "-q", "1", "-m", "x")
    assert r.returncode != 0 and "0x02" in r.stderr  # invalid topic id
    r = ferry("pub", sb.url, "-t", "cli/x", "-q", "-1", "-m", "x")  # MQTT has no QoS -1
    assert r.returncode != 0


def test_ferry_sub_mqttsn_wildcard_with_retained(sb):
    mqtt_pub(sb, "cli/a/w", "retained", qos=1, retain=True)
    s = subprocess.Popen([FERRY_BIN, "sub", sn_url(sb), "-t", "cli/+/w", "-q", "2", "-C", "2",
                          "-W", "10", "-v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    assert s.stdout.readline() == "cli/a/w retained\n"  # so it is subscribed
    mqtt_pub(sb, "cli/b/w", "live", qos=2)
    out, err = s.communicate(timeout=15)
    assert s.returncode == 0, err
    assert out == "cli/b/w live\n"


def publish_until_exit(b, proc, topic, payload, qos=1, timeout=10):
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        mqtt_pub(b, topic, payload, qos=qos)
        time.sleep(0.3)
    return proc.communicate(timeout=5)


@pytest.mark.parametrize("args,topic", [
    (["--topic-id", "10"], "pre/global"),
    (["--short", "-t", "sh"], "sh"),
    (["-t", "cli/exact"], "cli/exact"),
])
def test_ferry_sub_mqttsn_topic_kinds(sb, args, topic):
    s = subprocess.Popen([FERRY_BIN, "sub", sn_url(sb), *args, "-q", "1", "-C", "1", "-W", "10"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = publish_until_exit(sb, s, topic, "hit")
    assert s.returncode == 0, err
    assert out == "hit\n"


def test_ferry_sub_mqttsn_sleeping(sb):
    s = subprocess.Popen([FERRY_BIN, "sub", sn_url(sb), "-t", "cli/sleep", "-q", "1",
                          "--sleep", "1", "-C", "3", "-W", "10", "-i", "cli-sleeper"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert sb.wait_log(r"connect client=cli-sleeper ", 3)
    time.sleep(0.3)  # subscribed and asleep
    for i in range(3):
        mqtt_pub(sb, "cli/sleep", f"z{i}", qos=1)
    out, err = s.communicate(timeout=15)
    assert s.returncode == 0, err
    assert out.splitlines() == ["z0", "z1", "z2"]


def test_ferry_pub_to_ferry_sub_mqttsn(sb):
    s = subprocess.Popen([FERRY_BIN, "sub", sn_url(sb), "-t", "cli/rt", "-q", "2", "-C", "1",
                          "-W", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while s.poll() is None and time.monotonic() < deadline:
        assert ferry("pub", sn_url(sb), "-t", "cli/rt", "-q", "2", "-m", "sn to sn").returncode == 0
        time.sleep(0.3)
    out, err = s.communicate(timeout=5)
    assert s.returncode == 0, err
    assert out == "sn to sn\n"


def test_ferry_sub_mqttsn_timeout_exit_code(sb):
    r = ferry("sub", sn_url(sb), "-t", "cli/none", "-C", "1", "-W", "1")
    assert r.returncode == 2, r.stderr


# --- lossy network (10% of datagrams dropped each way) ---------------------------------
LOSSY = {"mqttsn": {"retry_ms": 200, "max_retries": 20}}
LOSSY_N = 40


@pytest.fixture
def lossy(sn_factory):
    b = sn_factory(LOSSY)
    relays = []

    def client(client_id, seed):
        relay = LossyRelay(b.sn_addr, loss=0.10, seed=seed)
        relays.append(relay)
        c = S.SnClient(relay.addr, retry=0.3, attempts=40)
        b._sn_clients.append(c)
        assert c.connect(client_id, duration=60) == S.ACCEPTED
        return c, relay

    yield b, client
    for r in relays:
        print("relay (forwarded, dropped):", r.stats())
        r.close()


def assert_lossy(relay):
    st = relay.stats()
    assert st["up"][1] > 0 and st["down"][1] > 0, f"the relay dropped nothing: {st}"


@pytest.mark.parametrize("qos", [1, 2])
def test_lossy_sn_to_mqtt(lossy, paho_client, qos):
    b, make = lossy
    p = mqtt_sub(paho_client, b, "lossy/up", qos=2)
    c, relay = make(f"lossy-up-{qos}", seed=10 + qos)
    tid = c.register("lossy/up", 1)
    start = time.monotonic()
    for i in range(LOSSY_N):
        ack = c.publish(tid, f"u{i}", qos=qos, msg_id=i + 2)
        assert ack.type == (S.PUBACK if qos == 1 else S.PUBCOMP)
    got = [m.payload.decode() for m in p.drain(0.5)]
    want = [f"u{i}" for i in range(LOSSY_N)]
    dups = len(got) - len(set(got))
    print(f"QoS {qos} up: {LOSSY_N} sent, {len(got)} delivered ({dups} duplicates) "
          f"in {time.monotonic() - start:.1f}s, relay {relay.stats()}")
    assert_lossy(relay)
    assert set(got) == set(want)  # every message at least once
    if qos == 2:
        assert got == want  # exactly once, in order


@pytest.mark.parametrize("qos", [1, 2])
def test_lossy_mqtt_to_sn(lossy, paho_client, qos):
    b, make = lossy
    c, relay = make(f"lossy-down-{qos}", seed=20 + qos)
    assert c.subscribe("lossy/down", 1, qos=qos).rc == S.ACCEPTED
    p = paho_client(b, version=4)
    for i in range(LOSSY_N):
        p.publish("lossy/down", f"d{i}".encode(), qos=qos)
    want = {f"d{i}" for i in range(LOSSY_N)}
    deadline = time.monotonic() + 25
    while {x[1].decode() for x in c.received} != want and time.monotonic() < deadline:
        c.recv(0.2)
    c.quiet(1.0)  # let retransmissions settle: acks for late duplicates
    got = [x[1].decode() for x in c.received]
    print(f"QoS {qos} down: {LOSSY_N} sent, {len(got)} delivered "
          f"({len(got) - len(set(got))} duplicates), relay {relay.stats()}")
    assert_lossy(relay)
    assert set(got) == want
    if qos == 2:
        assert got == [f"d{i}" for i in range(LOSSY_N)]  # exactly once, in order


def test_lossy_qos0_loss_is_reported(lossy, paho_client):
    b, make = lossy
    n = 200
    p = mqtt_sub(paho_client, b, "lossy/q0/#", qos=0)
    c, relay = make("lossy-q0", seed=30)
    tid = c.register("lossy/q0/up", 1)
    assert c.subscribe("lossy/q0/down", 2, qos=0).rc == S.ACCEPTED
    for i in range(n):
        c.publish(tid, f"u{i}", qos=0)
        time.sleep(0.001)
    up = len(p.drain(0.5))
    for i in range(n):
        p.publish("lossy/q0/down", f"d{i}".encode(), qos=0)
        time.sleep(0.001)
    c.quiet(1.0)
    down = len([x for x in c.received if x[1].startswith(b"d")])
    print(f"QoS 0 through 10% loss: up {up}/{n} delivered ({100 * (n - up) / n:.1f}% lost), "
          f"down {down}/{n} delivered ({100 * (n - down) / n:.1f}% lost), relay {relay.stats()}")
    assert_lossy(relay)
    # No retransmission at QoS 0: some loss is expected, and nothing arrives twice.
    assert 0.7 * n <= up <= n and 0.7 * n <= down <= n
