"""The standalone MQTT-SN gateway (issue 5): `[gateway] upstream = "mqtt://..."`.

A Ferry with an mqttsn listener serves MQTT-SN clients (the raw client in snraw.py) for
an upstream broker: a real Mosquitto started here, or a second Ferry. Aggregating mode
(one upstream connection, subscriptions multiplexed, no echo of the gateway's own
messages) and transparent mode (one upstream connection per MQTT-SN client, its client
id, will and session carried over). Upstream outages are made by a TCP relay between the
gateway and Mosquitto that the test cuts and restores, so the subscribers on Mosquitto
itself stay connected throughout.
"""
import pathlib
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

import snraw as S
from conftest import FERRY_BIN, wait_until
from test_mqttsn import MosquittoSub, SnBroker, mqtt_pub, sn_connected

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mosquitto:
    """A real Mosquitto on an ephemeral port (memory only), killed at teardown."""

    def __init__(self, workdir):
        self.host, self.port = "127.0.0.1", free_port()
        conf = pathlib.Path(workdir) / "mosquitto.conf"
        self.log_path = pathlib.Path(workdir) / "mosquitto.log"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                        "persistence false\nlog_dest stdout\n"
                        "log_type all\nconnection_messages true\n")
        # The log goes through a file we opened: as root Mosquitto drops to its own user,
        # which could not open a file in this test's private directory.
        self._log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["stdbuf", "-oL", MOSQUITTO, "-c", str(conf)], stdout=self._log_file,
                                     stderr=subprocess.STDOUT)
        assert wait_until(self._accepts, timeout=5), "mosquitto did not start"

    def _accepts(self):
        try:
            socket.create_connection((self.host, self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def log(self):
        return self.log_path.read_text() if self.log_path.exists() else ""

    def kill(self):
        self.proc.kill()
        self.proc.wait(5)
        self._log_file.close()


class Relay:
    """TCP relay to (host, port). cut() drops every connection and refuses new ones
    until restore(): an upstream outage as the gateway sees it."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.pairs = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                a, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                a.close()
                continue
            b = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((a, b))
            for src, dst in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.up = False
        with self.lock:
            for a, b in self.pairs:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.pairs.clear()

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.listener.close()


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="ferry-gw-") as d:
        yield d


@pytest.fixture
def mosquitto(workdir):
    m = Mosquitto(workdir)
    yield m
    m.kill()


@pytest.fixture
def gateway_factory():
    made = []

    def make(upstream_port, mode, storage="memory", **gateway_keys):
        d = tempfile.mkdtemp(prefix="ferry-gwsn-")
        cfg = {"mqttsn": {"retry_ms": 300, "max_retries": 5},
               "storage": {"backend": storage},
               "gateway": {"upstream": f"mqtt://127.0.0.1:{upstream_port}", "mode": mode,
                           "reconnect_min_ms": 100, "reconnect_max_ms": 400,
                           **gateway_keys}}
        b = SnBroker(d, cfg, {}, [])
        made.append(b)
        return b.start()

    yield make
    for b in made:
        for c in b._sn_clients:
            c.close()
        b.kill()


def upstream_subscribed(mosquitto, filter_):
    """Mosquitto logged the gateway's subscription to `filter_` (log_type all)."""
    return wait_until(lambda: f"ferry-gateway 2 {filter_}\n" in mosquitto.log(), 5)


def wait_upstream(gw, timeout=5.0):
    assert gw.wait_log(r"upstream 127\.0\.0\.1:\d+: connected", timeout), gw.log()[-3000:]


# --- aggregating ----------------------------------------------------------------------
def test_aggregating_sn_publish_reaches_mosquitto_subscriber(gateway_factory, mosquitto):
    gw = gateway_factory(mosquitto.port, "aggregating")
    wait_upstream(gw)
    sub = MosquittoSub(mosquitto, "field/#", 2)
    c = sn_connected(gw, "node-1")
    tid = c.register("field/temp", msg_id=1)
    assert c.publish(tid, "21.5", qos=1, msg_id=2).rc == S.ACCEPTED
    c.publish(tid, "21.6", qos=0)
    assert sub.lines() == ["field/temp|1|21.5", "field/temp|0|21.6"]


def test_aggregating_mosquitto_publish_reaches_sn_subscribers(gateway_factory, mosquitto):
    gw = gateway_factory(mosquitto.port, "aggregating")
    wait_upstream(gw)
    a, b = sn_connected(gw, "node-a"), sn_connected(gw, "node-b")
    assert a.subscribe("cmd/+/set", msg_id=1, qos=1).rc == S.ACCEPTED
    assert b.subscribe("cmd/#", msg_id=1, qos=1).rc == S.ACCEPTED
    # Both filters are subscribed upstream (the union); wait until Mosquitto has them.
    assert upstream_subscribed(mosquitto, "cmd/+/set"), mosquitto.log()[-2000:]
    assert upstream_subscribed(mosquitto, "cmd/#"), mosquitto.log()[-2000:]
    mqtt_pub(mosquitto, "cmd/valve/set", "open", qos=1)
    for c in (a, b):
        c.messages(1, timeout=5)
    for c in (a, b):
        c.quiet(0.5)  # Mosquitto sends one copy per matching filter: only one may pass
        assert [(t, p, q) for t, p, q, _ in c.received] == [("cmd/valve/set", b"open", 1)]


def test_aggregating_own_messages_do_not_come_back(gateway_factory, mosquitto):
    """The SN subscriber gets a local publish once: the upstream subscription has No
    Local, so Mosquitto does not send the gateway's own message back."""
    gw = gateway_factory(mosquitto.port, "aggregating")
    wait_upstream(gw)
    listener = sn_connected(gw, "node-l")
    assert listener.subscribe("loop/t", msg_id=1, qos=1).rc == S.ACCEPTED
    assert upstream_subscribed(mosquitto, "loop/t"), mosquitto.log()[-2000:]
    talker = sn_connected(gw, "node-t")
    tid = talker.register("loop/t", msg_id=1)
    talker.publish(tid, "once", qos=1, msg_id=2)
    got = listener.messages(1, timeout=3)
    listener.quiet(1.0)
    assert [p for _, p, _, _ in listener.received] == [b"once"], got


def test_aggregating_unsubscribe_leaves_upstream_when_last_goes(gateway_factory, mosquitto):
    gw = gateway_factory(mosquitto.port, "aggregating")
    wait_upstream(gw)
    a = sn_connected(gw, "node-u")
    assert a.subscribe("gone/t", msg_id=1, qos=0).rc == S.ACCEPTED
    assert upstream_subscribed(mosquitto, "gone/t"), mosquitto.log()[-2000:]
    a.disconnect()  # a clean session ends: its subscription goes, and so does upstream's
    assert wait_until(lambda: "Received UNSUBSCRIBE from ferry-gateway" in mosquitto.log(), 5), \
        mosquitto.log()[-2000:]


def test_aggregating_buffers_qos1_while_upstream_is_away(gateway_factory, mosquitto):
    relay = Relay(mosquitto.host, mosquitto.port)
    try:
        gw = gateway_factory(relay.port, "aggregating")
        wait_upstream(gw)
        sub = MosquittoSub(mosquitto, "buf/#", 5, qos=1)
        relay.cut()
        assert gw.wait_log(r"upstream .*(connection closed|cannot connect)", 5), gw.log()[-2000:]
        c = sn_connected(gw, "node-buf")
        tid = c.register("buf/t", msg_id=1)
        for i in range(5):
            assert c.publish(tid, f"m{i}", qos=1, msg_id=10 + i).rc == S.ACCEPTED
        time.sleep(0.5)
        relay.restore()
        assert sub.lines() == [f"buf/t|1|m{i}" for i in range(5)]
    finally:
        relay.close()


def test_aggregating_acknowledged_messages_survive_kill_9_while_upstream_is_away(
        gateway_factory, mosquitto):
    """sqlite: a sensor's QoS 1 message acknowledged by the gateway is stored for the
    bridge until upstream acknowledges it, so kill -9 during an outage loses nothing."""
    relay = Relay(mosquitto.host, mosquitto.port)
    try:
        gw = gateway_factory(relay.port, "aggregating", storage="sqlite")
        wait_upstream(gw)
        sub = MosquittoSub(mosquitto, "durable/#", 5, qos=1)
        relay.cut()
        assert gw.wait_log(r"upstream .*(connection closed|cannot connect)", 5)
        c = sn_connected(gw, "node-durable")
        tid = c.register("durable/t", msg_id=1)
        for i in range(5):
            assert c.publish(tid, f"d{i}", qos=1, msg_id=10 + i).rc == S.ACCEPTED
        gw.stop(signal.SIGKILL)
        relay.restore()
        gw.start()
        assert sub.lines() == [f"durable/t|1|d{i}" for i in range(5)]
    finally:
        relay.close()


def test_aggregating_restart_does_not_subscribe_upstream_to_everything(
        gateway_factory, mosquitto):
    """The bridge's own local "#" subscription, restored from storage, is not a filter
    to subscribe upstream."""
    gw = gateway_factory(mosquitto.port, "aggregating", storage="sqlite")
    wait_upstream(gw)
    gw.stop()
    gw.start()
    wait_upstream(gw)
    time.sleep(0.5)
    assert "ferry-gateway 2 #\n" not in mosquitto.log(), mosquitto.log()[-2000:]


def test_aggregating_with_a_second_ferry_upstream(gateway_factory, broker_factory):
    upstream = broker_factory()
    gw = gateway_factory(upstream.port, "aggregating")
    wait_upstream(gw)
    c = sn_connected(gw, "node-f")
    assert c.subscribe("down/t", msg_id=1, qos=1).rc == S.ACCEPTED
    assert upstream.wait_log(r"connect client=ferry-gateway ", 5)
    time.sleep(0.3)  # the upstream SUBSCRIBE follows the local one
    sub = MosquittoSub(upstream, "up/#", 1)
    tid = c.register("up/t", msg_id=2)
    assert c.publish(tid, "to ferry", qos=1, msg_id=3).rc == S.ACCEPTED
    assert sub.lines() == ["up/t|1|to ferry"]
    mqtt_pub(upstream, "down/t", "from ferry", qos=1)
    got = c.messages(1, timeout=5)
    assert [(t, p) for t, p, _, _ in got] == [("down/t", b"from ferry")]


# --- transparent ----------------------------------------------------------------------
def test_transparent_client_appears_upstream_under_its_own_id(gateway_factory, mosquitto):
    gw = gateway_factory(mosquitto.port, "transparent")
    c = sn_connected(gw, "node-7")
    assert wait_until(lambda: " as node-7 " in mosquitto.log(), 5), mosquitto.log()[-2000:]
    assert c.subscribe("t/in", msg_id=1, qos=1).rc == S.ACCEPTED
    mqtt_pub(mosquitto, "t/in", "hi node-7", qos=1)
    got = c.messages(1, timeout=5)
    assert [(t, p, q) for t, p, q, _ in got] == [("t/in", b"hi node-7", 1)]
    sub = MosquittoSub(mosquitto, "t/out", 1)
    tid = c.register("t/out", msg_id=2)
    assert c.publish(tid, "from node-7", qos=2, msg_id=3).type == S.PUBCOMP
    assert sub.lines() == ["t/out|2|from node-7"]


def test_transparent_lost_client_will_is_published_upstream(gateway_factory, mosquitto):
    gw = gateway_factory(mosquitto.port, "transparent")
    sub = MosquittoSub(mosquitto, "wills/#", 1)
    c = gw.sn()
    assert c.connect("node-w", duration=1, will=("wills/node-w", "node-w gone", 1, False)) \
        == S.ACCEPTED
    assert wait_until(lambda: " as node-w " in mosquitto.log(), 5)
    c.close()  # silent: the gateway gives up after 1.5 x 1 s and drops the upstream link
    assert sub.lines() == ["wills/node-w|1|node-w gone"]


def test_transparent_disconnect_sends_no_will(gateway_factory, mosquitto):
    gw = gateway_factory(mosquitto.port, "transparent")
    c = gw.sn()
    assert c.connect("node-d", will=("wills/node-d", "not sent", 0, False)) == S.ACCEPTED
    assert wait_until(lambda: " as node-d " in mosquitto.log(), 5)
    c.disconnect()
    assert wait_until(lambda: "Client node-d disconnected." in mosquitto.log(), 5), \
        mosquitto.log()[-2000:]
    assert "Sending PUBLISH" not in mosquitto.log().split("Client node-d disconnected.")[-1]


def test_transparent_qos1_waits_for_upstream_through_an_outage(gateway_factory, mosquitto):
    """The sensor's PUBACK comes from upstream: during an outage the message waits in the
    gateway (the sensor retries), and arrives once the link is back."""
    relay = Relay(mosquitto.host, mosquitto.port)
    try:
        gw = gateway_factory(relay.port, "transparent")
        c = gw.sn(retry=0.5, attempts=12)
        assert c.connect("node-o") == S.ACCEPTED
        tid = c.register("outage/t", msg_id=1)
        sub = MosquittoSub(mosquitto, "outage/#", 1, qos=1)
        relay.cut()
        assert gw.wait_log(r"upstream .*connection closed", 5), gw.log()[-2000:]
        threading.Timer(1.0, relay.restore).start()
        t0 = time.monotonic()
        assert c.publish(tid, "after the outage", qos=1, msg_id=2).rc == S.ACCEPTED
        assert time.monotonic() - t0 >= 0.5  # not acknowledged before upstream had it
        assert sub.lines() == ["outage/t|1|after the outage"]
    finally:
        relay.close()


def test_transparent_refuses_connect_when_upstream_is_down(gateway_factory):
    gw = gateway_factory(free_port(), "transparent")  # nothing listens there
    c = gw.sn()
    assert c.connect("node-x") == S.CONGESTION  # "rejected: congestion": try again later


# --- configuration --------------------------------------------------------------------
def check_config(tmp_path, gateway_text):
    conf = tmp_path / "gw.toml"
    conf.write_text('[[listener]]\ntransport = "mqttsn"\nbind = "127.0.0.1:0"\n\n'
                    "[gateway]\n" + gateway_text)
    return subprocess.run([FERRY_BIN, "check", "--config", str(conf)], capture_output=True,
                          text=True, timeout=10)


def test_bad_upstream_url_names_file_line_and_key(tmp_path):
    r = check_config(tmp_path, 'mode = "aggregating"\nupstream = "tcp://x:1"\n')
    assert r.returncode != 0
    assert "gw.toml:7: gateway.upstream: invalid upstream 'tcp://x:1'" in r.stderr, r.stderr


def test_aggregating_needs_mqtt5_upstream(tmp_path):
    r = check_config(tmp_path, 'upstream = "mqtt://127.0.0.1:1883"\nprotocol = "3.1.1"\n')
    assert r.returncode != 0
    assert "gateway.protocol: aggregating mode needs an MQTT 5 upstream" in r.stderr, r.stderr
