"""Crash test (issue 4): no acknowledged message is ever lost, not even to kill -9.

A broker with SQLite storage (sync = "ack") is killed with SIGKILL at random moments,
at least 20 times, and restarted on the same data directory and the same TCP port,
while publishers publish QoS 1 and QoS 2 messages continuously and one persistent
subscriber (QoS 2 on crash/#) comes and goes. The clients behave like real clients
with persistent sessions: they reconnect with Clean Start 0 and complete what was in
flight (publishers resend unacknowledged PUBLISHes with DUP, or PUBREL once PUBREC was
seen; the subscriber keeps its "PUBREC sent, waiting for PUBREL" packet ids across
connections, which is the receiver side of QoS 2 exactly-once, [MQTT-4.3.3]).

At the end: every message a publisher saw acknowledged (PUBACK for QoS 1, PUBREC for
QoS 2) reached the subscriber, no QoS 2 message reached it twice, retained messages
published before the kills are intact and the subscription still routes.

Set FERRY_CRASH_SEED to replay a run's random choices (the seed is printed) and
FERRY_CRASH_KILLS to change the number of kills.
"""
import collections
import os
import random
import shutil
import signal
import socket
import tempfile
import threading
import time

import pytest

import mqttraw as R
from conftest import Broker

KILLS = int(os.environ.get("FERRY_CRASH_KILLS", "22"))
PUBLISHERS = 3
WINDOW = 8  # QoS 1/2 messages each publisher keeps in flight
RATE = 400  # new messages per second and publisher at most (the machine is shared)
SUB_TOPIC = "crash/#"
RETAINED = 8


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pin_port(b, port=None):
    """Makes the broker's TCP listener bind an explicit port, so that restarts reuse it
    (the fixture's default is port 0: a new port at every start). Call before start()."""
    port = port or free_port()
    text = b.config_path.read_text()
    assert 'bind = "127.0.0.1:0"' in text
    b.config_path.write_text(text.replace('bind = "127.0.0.1:0"', f'bind = "127.0.0.1:{port}"'))
    return port


def open_client(addr, timeout=1.0):
    sock = socket.create_connection(addr, timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return R.RawClient(sock, 5, timeout=timeout)


def payload_key(payload):
    idx, seq, qos = payload.decode().split(":")
    return (int(idx), int(seq)), int(qos)


class Pending:
    __slots__ = ("seq", "qos", "state")

    def __init__(self, seq, qos):
        self.seq, self.qos, self.state = seq, qos, "sent"


class Publisher(threading.Thread):
    """Publishes QoS 1/2 messages `idx:seq:qos` on crash/p<idx>/q<qos>, WINDOW in flight."""

    def __init__(self, idx, addr, seed, stop_new, stop_all):
        super().__init__(daemon=True, name=f"pub{idx}")
        self.idx, self.addr = idx, addr
        self.rng = random.Random(seed)
        self.stop_new, self.stop_all = stop_new, stop_all
        self.cid = f"crash-pub-{idx}"
        self.next_seq = 0
        self.next_pid = 0
        self.pending = collections.OrderedDict()  # packet id -> Pending
        self.acked = {}  # (idx, seq) -> qos
        self.sent = 0
        self.resent = 0
        self.refused = 0
        self.connects = 0
        self.session_lost = 0
        self.errors = []

    def alloc_pid(self):
        while True:
            self.next_pid = self.next_pid % 65535 + 1
            if self.next_pid not in self.pending:
                return self.next_pid

    def topic(self, qos):
        return f"crash/p{self.idx}/q{qos}"

    def body(self, m):
        return f"{self.idx}:{m.seq}:{m.qos}".encode()

    def run(self):
        self.started = time.monotonic()
        first = True
        while not self.stop_all.is_set():
            if self.stop_new.is_set() and not self.pending:
                return
            try:
                c = open_client(self.addr)
            except OSError:
                time.sleep(0.05)
                continue
            try:
                c.send(R.connect(self.cid, 5, clean=first,
                                 properties=[(R.SESSION_EXPIRY, 300)]))
                ack = c.recv(2.0)
                if ack.type != R.CONNACK or ack.rc != 0:
                    self.errors.append(f"CONNACK {ack!r}")
                    continue
                if not first and not ack.session_present:
                    self.session_lost += 1
                first = False
                self.connects += 1
                for pid, m in list(self.pending.items()):
                    if m.state == "sent":
                        c.send(R.publish(self.topic(m.qos), self.body(m), m.qos, pid, dup=True))
                    else:
                        c.send(R.ack(R.PUBREL, pid))
                    self.resent += 1
                self.serve(c)
            except (R.Closed, TimeoutError, OSError):
                pass
            finally:
                c.close()

    def serve(self, c):
        while not self.stop_all.is_set():
            budget = RATE * (time.monotonic() - self.started) - self.sent
            while not self.stop_new.is_set() and len(self.pending) < WINDOW and budget >= 1:
                budget -= 1
                m = Pending(self.next_seq, self.rng.choice((1, 2)))
                self.next_seq += 1
                pid = self.alloc_pid()
                self.pending[pid] = m
                self.sent += 1
                c.send(R.publish(self.topic(m.qos), self.body(m), m.qos, pid))
            if self.stop_new.is_set() and not self.pending:
                c.disconnect()
                return
            try:
                p = c.recv(0.2 if self.pending else 1.0 / RATE)
            except TimeoutError:
                continue
            self.handle(c, p)

    def handle(self, c, p):
        m = self.pending.get(p.pid) if p.type in (R.PUBACK, R.PUBREC, R.PUBCOMP) else None
        if p.type == R.PUBACK and m and m.qos == 1:
            del self.pending[p.pid]
            if p.rc < 0x80:
                self.acked[(self.idx, m.seq)] = 1
            else:
                self.refused += 1
        elif p.type == R.PUBREC and m and m.qos == 2:
            if p.rc < 0x80:
                self.acked[(self.idx, m.seq)] = 2
                m.state = "rec"
                c.send(R.ack(R.PUBREL, p.pid))
            else:
                del self.pending[p.pid]
                self.refused += 1
        elif p.type == R.PUBCOMP and m and m.qos == 2 and m.state == "rec":
            del self.pending[p.pid]
        elif p.type == R.DISCONNECT:
            raise R.Closed(f"DISCONNECT {p.rc:#04x}")
        else:
            self.errors.append(f"unexpected {p!r}")


class Subscriber(threading.Thread):
    """The persistent subscriber: online and offline at random moments until `drain`."""

    CID = "crash-sub"

    def __init__(self, addr, seed, stop):
        super().__init__(daemon=True, name="sub")
        self.addr = addr
        self.rng = random.Random(seed)
        self.stop = stop
        self.drain = threading.Event()  # stay online from now on
        self.online = threading.Event()
        self.received = collections.Counter()  # (idx, seq) -> deliveries to the application
        self.on_wire = set()  # every key seen in a PUBLISH, even one discarded as a duplicate
        self.pid_reuse = []  # QoS 2 packet id used for another message before its PUBREL
        self.qos_seen = {}
        self.awaiting_rel = {}  # packet id -> key: PUBREC sent, PUBREL not yet received
        self.publishes = 0
        self.dup_flags = 0
        self.redeliveries_qos2 = 0
        self.other = []  # messages outside the publishers' scheme (the final probe)
        self.connects = 0
        self.session_lost = 0
        self.offline_spells = 0
        self.errors = []
        self.last_activity = time.monotonic()

    @staticmethod
    def setup(addr):
        """Creates the session and the QoS 2 subscription (before any kill)."""
        c = open_client(addr, timeout=3.0)
        c.connect(Subscriber.CID, clean=True, properties=[(R.SESSION_EXPIRY, 300)])
        assert c.subscribe([(SUB_TOPIC, R.sub_options(qos=2))]) == [2]
        c.disconnect()

    def run(self):
        while not self.stop.is_set():
            try:
                c = open_client(self.addr)
            except OSError:
                time.sleep(0.05)
                continue
            try:
                c.send(R.connect(self.CID, 5, clean=False, properties=[(R.SESSION_EXPIRY, 300)]))
                ack = c.recv(2.0)
                if ack.type != R.CONNACK or ack.rc != 0:
                    self.errors.append(f"CONNACK {ack!r}")
                    continue
                self.connects += 1
                self.last_activity = time.monotonic()
                if not ack.session_present:
                    # The broker lost the session: note it, start over as a client must.
                    self.session_lost += 1
                    self.awaiting_rel.clear()
                    c.send(R.subscribe(0xFFF0, [(SUB_TOPIC, R.sub_options(qos=2))]))
                self.online.set()
                offline_at = time.monotonic() + self.rng.uniform(0.3, 2.0)
                while not self.stop.is_set():
                    if not self.drain.is_set() and time.monotonic() >= offline_at:
                        break
                    try:
                        p = c.recv(0.1)
                    except TimeoutError:
                        continue
                    self.handle(c, p)
                if self.stop.is_set():
                    c.disconnect()
                    return
                # Go offline: half the time politely, half the time by dropping the link.
                if self.rng.random() < 0.5:
                    c.disconnect()
                else:
                    c.close()
                self.online.clear()
                self.offline_spells += 1
                time.sleep(self.rng.uniform(0.1, 1.0))
            except (R.Closed, TimeoutError, OSError):
                self.online.clear()
            finally:
                c.close()

    def handle(self, c, p):
        self.last_activity = time.monotonic()
        if p.type == R.PUBLISH:
            self.publishes += 1
            self.dup_flags += p.dup
            if not p.topic.startswith("crash/p"):
                self.other.append((p.topic, p.payload))
                key = None
            else:
                key, pub_qos = payload_key(p.payload)
                self.on_wire.add(key)
                if p.qos != pub_qos:
                    self.errors.append(f"{key} published at QoS {pub_qos}, delivered at {p.qos}")
            if p.qos == 2 and p.pid in self.awaiting_rel:
                self.redeliveries_qos2 += 1  # same message again before PUBREL: not new
                if key is not None and self.awaiting_rel[p.pid] != key:
                    # The broker sent another message with a packet id whose QoS 2
                    # exchange is unfinished [MQTT-2.2.1-3]; a receiver takes it for
                    # the earlier message and drops it [MQTT-4.3.3-10].
                    self.pid_reuse.append((p.pid, self.awaiting_rel[p.pid], key, p.dup))
                c.send(R.ack(R.PUBREC, p.pid))
                return
            # Delivered to the application first, then acknowledged.
            if key is not None:
                self.received[key] += 1
                self.qos_seen[key] = p.qos
            if p.qos == 1:
                c.send(R.ack(R.PUBACK, p.pid))
            elif p.qos == 2:
                self.awaiting_rel[p.pid] = key
                c.send(R.ack(R.PUBREC, p.pid))
        elif p.type == R.PUBREL:
            self.awaiting_rel.pop(p.pid, None)
            c.send(R.ack(R.PUBCOMP, p.pid))
        elif p.type == R.SUBACK:
            pass
        elif p.type == R.DISCONNECT:
            raise R.Closed(f"DISCONNECT {p.rc:#04x}")
        else:
            self.errors.append(f"unexpected {p!r}")


def publish_retained(addr):
    c = open_client(addr, timeout=3.0)
    c.connect("crash-retainer", clean=True)
    for i in range(RETAINED):
        ack = c.publish(f"crashret/{i}", f"retained-{i}".encode(), qos=1, pid=i + 1, retain=True)
        assert ack.rc == 0
    c.disconnect()


def read_retained(addr):
    c = open_client(addr, timeout=3.0)
    c.connect("crash-retained-reader", clean=True)
    c.subscribe([("crashret/#", R.sub_options(qos=1))])
    got = {}
    try:
        while len(got) < RETAINED:
            p = c.recv_publish(timeout=3.0)
            got[p.topic] = (p.payload, p.retain)
    except TimeoutError:
        pass
    c.disconnect()
    return got


class Run:
    """What one crash run observed; the tests below each check one property of it."""


def run_scenario(b, seed):
    rng = random.Random(seed)
    addr = (b.host, b.port)
    r = Run()
    r.seed, r.t0 = seed, time.monotonic()

    publish_retained(addr)
    Subscriber.setup(addr)

    stop_new, stop_all, sub_stop = threading.Event(), threading.Event(), threading.Event()
    sub = Subscriber(addr, rng.random(), sub_stop)
    pubs = [Publisher(i, addr, rng.random(), stop_new, stop_all) for i in range(PUBLISHERS)]
    r.sub, r.pubs = sub, pubs
    r.kills, r.early_exits, r.restarts_failed = 0, [], []
    sub.start()
    for p in pubs:
        p.start()

    def kill_and_start(down=0.0):
        if b.proc.poll() is not None:  # died on its own: a crash, not our kill
            r.early_exits.append(b.proc.returncode)
        b.stop(signal.SIGKILL)
        r.kills += 1
        time.sleep(down)
        b.start()
        assert b.port == addr[1]

    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.3, 1.2))
            kill_and_start(rng.choice((0.0, 0.0, rng.uniform(0.05, 0.5))))

        # Publishers stop publishing and finish what is in flight; then one more kill.
        time.sleep(0.5)
        stop_new.set()
        deadline = time.monotonic() + 8
        for p in pubs:
            p.join(max(0.1, deadline - time.monotonic()))
        stop_all.set()
        for p in pubs:
            p.join(2)
        connects_before = sub.connects
        kill_and_start()
        m = b.wait_log(r"restored (\d+) sessions, (\d+) subscriptions, (\d+) retained, "
                       r"(\d+) queued messages")
        r.restored = m.group(0) if m else "no 'restored' line"

        # The subscriber stays online and drains until quiet.
        sub.drain.set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if (sub.connects > connects_before and sub.online.is_set()
                    and time.monotonic() - sub.last_activity > 2.0):
                break
            time.sleep(0.1)

        # A message published after the last restart, to check the subscription.
        probe = open_client(addr, timeout=3.0)
        probe.connect("crash-probe", clean=True)
        r.probe_ack = probe.publish("crash/final", b"after-the-last-restart", qos=1, pid=1).rc
        probe.disconnect()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not sub.other:
            time.sleep(0.05)
    finally:
        stop_new.set()
        stop_all.set()
        sub_stop.set()
        for p in pubs:
            p.join(2)
        sub.join(3)

    r.retained = read_retained(addr)
    r.elapsed = time.monotonic() - r.t0
    r.acked = {}
    for p in pubs:
        r.acked.update(p.acked)
    r.missing = sorted(k for k in r.acked if sub.received[k] == 0)
    r.missing_on_wire = sorted(k for k in r.acked if k not in sub.on_wire)
    r.qos2_twice = sorted(k for k, n in sub.received.items() if n > 1 and sub.qos_seen[k] == 2)
    r.qos1_dups = sum(n - 1 for k, n in sub.received.items() if sub.qos_seen[k] == 1)
    r.log_tail = b.log()[-3000:]
    return r


@pytest.fixture(scope="module")
def crash():
    """One crash run (about 30 s) shared by the tests of this file."""
    seed = int(os.environ.get("FERRY_CRASH_SEED") or time.time_ns() % 2**31)
    workdir = tempfile.mkdtemp(prefix="ferry-crash-")
    b = Broker(workdir, {
        "server": {"threads": 2},
        "storage": {"backend": "sqlite", "sync": "ack"},
        "limits": {"max_queued_messages": 1000000, "max_queued_bytes": 1 << 30},
    })
    try:
        pin_port(b)
        b.start()
        yield run_scenario(b, seed)
    finally:
        b.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def summary(r):
    acked_q1 = sum(1 for q in r.acked.values() if q == 1)
    sub, pubs = r.sub, r.pubs
    return "\n".join([
        f"crash test: seed={r.seed} kills={r.kills} elapsed={r.elapsed:.1f}s "
        f"publishers={len(pubs)} published={sum(p.sent for p in pubs)} "
        f"resent after reconnect={sum(p.resent for p in pubs)} "
        f"publisher connects={sum(p.connects for p in pubs)} "
        f"publisher sessions lost={sum(p.session_lost for p in pubs)}",
        f"  acknowledged={len(r.acked)} (QoS 1: {acked_q1}, QoS 2: {len(r.acked) - acked_q1}) "
        f"refused={sum(p.refused for p in pubs)}",
        f"  received={len(sub.received)} distinct (PUBLISH packets={sub.publishes}, "
        f"with DUP={sub.dup_flags}) QoS 1 duplicates={r.qos1_dups} "
        f"QoS 2 resent before PUBREL={sub.redeliveries_qos2} "
        f"QoS 2 delivered twice={len(r.qos2_twice)} "
        f"QoS 2 packet ids reused before PUBREL={len(sub.pid_reuse)}",
        f"  acknowledged but not received={len(r.missing)} "
        f"(never sent to the subscriber at all={len(r.missing_on_wire)}: "
        f"{[(k, r.acked[k]) for k in r.missing_on_wire[:10]]} as ((publisher, seq), qos))",
        f"  subscriber connects={sub.connects} offline spells={sub.offline_spells} "
        f"sessions lost={sub.session_lost}; last start: {r.restored}",
    ])


def test_crash_run_completes(crash, capsys):
    with capsys.disabled():
        print("\n" + summary(crash))
    assert not crash.early_exits, \
        f"ferry exited by itself (codes {crash.early_exits}):\n{crash.log_tail}"
    assert crash.kills >= 20
    assert len(crash.acked) >= 50, "too few messages acknowledged for the test to mean anything"
    assert not crash.sub.errors and not any(p.errors for p in crash.pubs), \
        (crash.sub.errors[:10], [p.errors[:10] for p in crash.pubs])
    assert sum(p.refused for p in crash.pubs) == 0


def test_crash_persistent_session_and_subscription_survive(crash):
    assert crash.sub.session_lost == 0, "the subscriber's persistent session was lost"
    assert crash.probe_ack == 0
    assert ("crash/final", b"after-the-last-restart") in crash.sub.other, \
        "the subscription did not survive the last restart"


def test_crash_retained_messages_intact(crash):
    assert crash.retained == {f"crashret/{i}": (f"retained-{i}".encode(), True)
                              for i in range(RETAINED)}


def test_crash_no_acknowledged_message_lost(crash):
    assert not crash.missing_on_wire, \
        f"{len(crash.missing_on_wire)} acknowledged messages never sent to the subscriber: " \
        f"{crash.missing_on_wire[:20]}"
    assert not crash.missing, \
        f"{len(crash.missing)} acknowledged messages lost to the subscriber: {crash.missing[:20]}"


def test_crash_qos2_exactly_once(crash):
    assert not crash.sub.pid_reuse, \
        f"{len(crash.sub.pid_reuse)} QoS 2 packet ids reused before PUBREL " \
        f"(pid, first message, second message, dup): {crash.sub.pid_reuse[:10]}"
    assert not crash.qos2_twice, f"QoS 2 messages delivered twice: {crash.qos2_twice[:20]}"
