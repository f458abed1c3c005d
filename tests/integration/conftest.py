"""Fixtures for Ferry's integration tests: the real `ferry` binary, real clients.

`broker(**overrides)` starts `ferry run` on an ephemeral TCP port and a Unix socket in
its own temporary directory (so parallel ctest runs never collide), waits for the
"listening" lines and returns a `Broker`. Every broker is killed at teardown.

Clients: python3-paho-mqtt 1.6.1 (`paho_client`), the raw-byte client in mqttraw.py
(`raw`), mosquitto_pub/sub and MQTT.js (in their own test files).
"""
import os
import pathlib
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import paho.mqtt.client as mqtt
import pytest

import mqttraw

REPO = pathlib.Path(__file__).resolve().parents[2]
FERRY_BIN = os.environ.get("FERRY_BIN") or str(REPO / "build" / "ferry")

DEFAULT_CONFIG = {
    "server": {
        "threads": 2,
        "max_keepalive": 65535,
        "log_level": "info",
        "shutdown_timeout_ms": 2000,
    },
    "limits": {
        "max_packet_size": 268435460,
        "receive_maximum": 65535,
        "max_queued_messages": 1000,
        "max_queued_bytes": 67108864,
        "max_connections": 100000,
        "topic_alias_maximum": 64,
        "max_inflight_messages": 1024,
        "max_session_expiry": 4294967295,
        "connect_timeout_ms": 10000,
    },
    "storage": {"backend": "memory"},
    "auth": {"allow_anonymous": True},
}

LISTEN_TCP = re.compile(r"listening on tcp ([0-9.]+):(\d+)")
LISTEN_UNIX = re.compile(r"listening on unix (\S+)")


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_config(cfg, listeners):
    lines = []
    for section, keys in cfg.items():
        lines.append(f"[{section}]")
        for k, v in keys.items():
            lines.append(f"{k} = {toml_value(v)}")
        lines.append("")
    for lst in listeners:
        lines.append("[[listener]]")
        for k, v in lst.items():
            lines.append(f"{k} = {toml_value(v)}")
        lines.append("")
    return "\n".join(lines)


class Broker:
    """One running `ferry run` process."""

    def __init__(self, workdir, overrides=None, env=None):
        self.workdir = pathlib.Path(workdir)
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cfg = {s: dict(k) for s, k in DEFAULT_CONFIG.items()}
        cfg["server"]["data_dir"] = str(self.data_dir)
        for section, keys in (overrides or {}).items():
            cfg.setdefault(section, {}).update(keys)
        self.config_path = self.workdir / "ferry.toml"
        self.config_path.write_text(render_config(cfg, [
            {"transport": "tcp", "bind": "127.0.0.1:0"},
            {"transport": "unix", "bind": "ferry.sock"},
        ]))
        self.env = dict(os.environ, **(env or {}))
        self.host = "127.0.0.1"
        self.port = None
        self.unix_path = None
        self.proc = None
        self._log_path = self.workdir / "ferry.log"
        self._log_file = None
        self.returncode = None
        self._raws = []

    # -- lifecycle -------------------------------------------------------------------
    def start(self, timeout=10.0):
        self._log_file = open(self._log_path, "ab")
        self._log_offset = self._log_path.stat().st_size
        self.proc = subprocess.Popen(
            [FERRY_BIN, "run", "--config", str(self.config_path)],
            stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=self._log_file,
            env=self.env, cwd=str(self.workdir))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self._current_log()
            tcp = LISTEN_TCP.search(text)
            unix = LISTEN_UNIX.search(text)
            if tcp and unix and "running with" in text:
                self.host, self.port = tcp.group(1), int(tcp.group(2))
                self.unix_path = unix.group(1)
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"ferry exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"ferry did not start within {timeout}s:\n{self.log()}")

    def _current_log(self):
        with open(self._log_path, "rb") as f:
            f.seek(self._log_offset)
            return f.read().decode("utf-8", "replace")

    def log(self):
        """The whole log text of every run of this broker so far."""
        return self._log_path.read_bytes().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=3.0):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = rx.search(self._current_log())
            if m:
                return m
            time.sleep(0.02)
        return None

    def wait_gone(self, client_id, timeout=3.0):
        """Wait until the broker logged the end of `client_id`'s connection."""
        m = self.wait_log(r"disconnect client=" + re.escape(client_id) + " ", timeout)
        assert m, f"broker never logged the disconnect of {client_id}"

    def stop(self, sig=signal.SIGTERM, timeout=6.0):
        """Send `sig` and wait; returns the exit code (kills after `timeout`)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.returncode = None
        self._close_log()
        return self.returncode

    def kill(self):
        for r in self._raws:
            r.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._close_log()

    def _close_log(self):
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def restart(self):
        self.stop()
        return self.start()

    @property
    def url(self):
        return f"mqtt://{self.host}:{self.port}"

    # -- clients ---------------------------------------------------------------------
    def raw(self, version=5, unix=False, timeout=3.0):
        """A connected raw-byte socket client (mqttraw.RawClient)."""
        r = mqttraw.RawClient.open(self, unix=unix, timeout=timeout, version=version)
        self._raws.append(r)
        return r


@pytest.fixture
def broker_factory():
    """`broker_factory(overrides={...}, env={...})` -> started Broker."""
    brokers = []
    dirs = []

    def make(overrides=None, env=None, start=True):
        # A short path under /tmp keeps the Unix socket path below sun_path's 108 bytes.
        d = tempfile.mkdtemp(prefix="ferry-it-")
        dirs.append(d)
        b = Broker(d, overrides, env)
        brokers.append(b)
        return b.start() if start else b

    yield make
    for b in brokers:
        b.kill()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def broker(broker_factory):
    """A broker with the default test configuration (threads = 2)."""
    return broker_factory()


# --- paho ---------------------------------------------------------------------------
class UnixPahoClient(mqtt.Client):
    """paho 1.6 has no Unix transport; swap the socket it connects with."""

    unix_path = None

    def _create_socket_connection(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self._connect_timeout)
        s.connect(self.unix_path)
        return s


class Paho:
    """A paho client running its network loop in a thread, recording what arrives."""

    def __init__(self, broker, client_id="", version=5, clean=True, unix=False):
        self.broker = broker
        self.version = version
        proto = {5: mqtt.MQTTv5, 4: mqtt.MQTTv311, 3: mqtt.MQTTv31}[version]
        cls = UnixPahoClient if unix else mqtt.Client
        if version == 5:
            self.c = cls(client_id=client_id, protocol=proto)
        else:
            self.c = cls(client_id=client_id, protocol=proto, clean_session=clean)
        if unix:
            self.c.unix_path = broker.unix_path
        self.clean = clean
        self.messages = queue.Queue()
        self.connack = queue.Queue()
        self.subacks = {}
        self.disconnects = queue.Queue()
        self.unsubacks = {}
        self._events = {}
        self._lock = threading.Lock()
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        self.c.on_disconnect = self._on_disconnect
        self.c.on_unsubscribe = self._on_unsubscribe
        self.c.reconnect_delay_set(60, 120)  # never silently reconnect during a test

    # callbacks
    def _on_connect(self, c, u, flags, rc, props=None):
        self.connack.put((flags, rc, props))

    def _on_message(self, c, u, msg):
        self.messages.put(msg)

    def _event(self, mid):
        with self._lock:
            return self._events.setdefault(mid, threading.Event())

    def _on_subscribe(self, c, u, mid, granted, props=None):
        self.subacks[mid] = granted
        self._event(mid).set()

    def _on_unsubscribe(self, c, u, mid, *rest):
        self.unsubacks[mid] = rest
        self._event(mid).set()

    def _on_disconnect(self, c, u, rc, props=None):
        self.disconnects.put(rc)

    # actions
    def connect(self, keepalive=60, props=None, timeout=3.0, clean=None):
        host, port = self.broker.host, self.broker.port
        if self.version == 5:
            start = self.clean if clean is None else clean
            self.c.connect(host, port, keepalive=keepalive, clean_start=start, properties=props)
        else:
            self.c.connect(host, port, keepalive=keepalive)
        self.c.loop_start()
        flags, rc, cprops = self.connack.get(timeout=timeout)
        return flags, rc, cprops

    def subscribe(self, topic, qos=0, options=None, props=None, timeout=3.0):
        if self.version == 5:
            if options is None:
                options = mqtt.SubscribeOptions(qos=qos)
            rc, mid = self.c.subscribe(topic, options=options, properties=props)
        else:
            rc, mid = self.c.subscribe(topic, qos)
        assert rc == mqtt.MQTT_ERR_SUCCESS
        assert self._event(mid).wait(timeout), f"no SUBACK for {topic}"
        return [int(getattr(g, "value", g)) for g in self.subacks[mid]]

    def unsubscribe(self, topic, timeout=3.0):
        rc, mid = self.c.unsubscribe(topic)
        assert self._event(mid).wait(timeout), f"no UNSUBACK for {topic}"

    def publish(self, topic, payload, qos=0, retain=False, props=None, timeout=3.0):
        info = self.c.publish(topic, payload, qos=qos, retain=retain, properties=props)
        if qos > 0:
            info.wait_for_publish(timeout)
            assert info.is_published(), f"no ack for publish to {topic}"
        return info

    def expect(self, n=1, timeout=2.0):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                out.append(self.messages.get(timeout=left))
            except queue.Empty:
                break
        assert len(out) == n, f"expected {n} messages, got {[(m.topic, m.payload) for m in out]}"
        return out if n != 1 else out[0]

    def expect_none(self, timeout=0.5):
        try:
            m = self.messages.get(timeout=timeout)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected message {m.topic} {m.payload!r}")

    def drain(self, timeout=0.3):
        out = []
        while True:
            try:
                out.append(self.messages.get(timeout=timeout))
            except queue.Empty:
                return out

    def disconnect(self, props=None, reasoncode=None):
        try:
            if self.version == 5:
                self.c.disconnect(reasoncode=reasoncode, properties=props)
            else:
                self.c.disconnect()
        finally:
            self.c.loop_stop()

    def drop(self):
        """Close the socket without DISCONNECT (an abnormal disconnect)."""
        self.c.loop_stop()
        sock = self.c.socket()
        if sock:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def paho_client():
    made = []

    def make(broker, client_id="", version=5, clean=True, unix=False, connect=True, **kw):
        p = Paho(broker, client_id, version, clean, unix)
        made.append(p)
        if connect:
            flags, rc, props = p.connect(**kw)
            assert rc == 0, f"CONNACK rc {rc}"
        return p

    yield make
    for p in made:
        try:
            p.c.disconnect()
            p.c.loop_stop()
        except Exception:
            pass


def wait_until(pred, timeout=2.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()
