"""A small raw-byte MQTT client: hand-built packets in, exact packets out.

Used where a real client library hides what we must check (exact reason-code bytes,
malformed input, protocol limits). Packets are built with the helpers below; incoming
packets are parsed into `Packet` objects with decoded v5 properties.
"""
import socket
import struct
import time

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = \
    8, 9, 10, 11, 12, 13, 14, 15

NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL",
         7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK",
         12: "PINGREQ", 13: "PINGRESP", 14: "DISCONNECT", 15: "AUTH"}

# v5 property identifiers and their wire types.
PAYLOAD_FORMAT, MESSAGE_EXPIRY, CONTENT_TYPE, RESPONSE_TOPIC, CORRELATION_DATA = 1, 2, 3, 8, 9
SUBSCRIPTION_ID, SESSION_EXPIRY, ASSIGNED_CLIENT_ID, SERVER_KEEP_ALIVE = 0x0B, 0x11, 0x12, 0x13
AUTH_METHOD, AUTH_DATA, REQUEST_PROBLEM_INFO, WILL_DELAY = 0x15, 0x16, 0x17, 0x18
REQUEST_RESPONSE_INFO, RESPONSE_INFO, SERVER_REFERENCE, REASON_STRING = 0x19, 0x1A, 0x1C, 0x1F
RECEIVE_MAXIMUM, TOPIC_ALIAS_MAXIMUM, TOPIC_ALIAS, MAXIMUM_QOS = 0x21, 0x22, 0x23, 0x24
RETAIN_AVAILABLE, USER_PROPERTY, MAXIMUM_PACKET_SIZE = 0x25, 0x26, 0x27
WILDCARD_AVAILABLE, SUB_ID_AVAILABLE, SHARED_AVAILABLE = 0x28, 0x29, 0x2A

PROP_TYPES = {
    0x01: "byte", 0x02: "u32", 0x03: "str", 0x08: "str", 0x09: "bin", 0x0B: "varint",
    0x11: "u32", 0x12: "str", 0x13: "u16", 0x15: "str", 0x16: "bin", 0x17: "byte",
    0x18: "u32", 0x19: "byte", 0x1A: "str", 0x1C: "str", 0x1F: "str", 0x21: "u16",
    0x22: "u16", 0x23: "u16", 0x24: "byte", 0x25: "byte", 0x26: "pair", 0x27: "u32",
    0x28: "byte", 0x29: "byte", 0x2A: "byte",
}
MULTI = {USER_PROPERTY, SUBSCRIPTION_ID}


# --- encoding ---------------------------------------------------------------------
def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            b |= 0x80
        out.append(b)
        if not n:
            return bytes(out)


def s(text):
    b = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return struct.pack("!H", len(b)) + b


def props(items=()):
    """items: iterable of (id, value); value of a pair is (key, value)."""
    body = bytearray()
    for pid, val in items:
        t = PROP_TYPES[pid]
        body += varint(pid)
        if t == "byte":
            body += bytes([val])
        elif t == "u16":
            body += struct.pack("!H", val)
        elif t == "u32":
            body += struct.pack("!I", val)
        elif t == "varint":
            body += varint(val)
        elif t in ("str", "bin"):
            body += s(val)
        elif t == "pair":
            body += s(val[0]) + s(val[1])
    return varint(len(body)) + bytes(body)


def packet(ptype, flags, body):
    return bytes([(ptype << 4) | flags]) + varint(len(body)) + bytes(body)


def connect(client_id="", version=5, clean=True, keepalive=60, properties=(),
            will=None, username=None, password=None):
    """will: dict(topic, payload, qos=0, retain=False, properties=())."""
    name, level = {3: ("MQIsdp", 3), 4: ("MQTT", 4), 5: ("MQTT", 5)}[version]
    flags = 0x02 if clean else 0
    if will:
        flags |= 0x04 | (will.get("qos", 0) << 3) | (0x20 if will.get("retain") else 0)
    if username is not None:
        flags |= 0x80
    if password is not None:
        flags |= 0x40
    body = s(name) + bytes([level, flags]) + struct.pack("!H", keepalive)
    if version == 5:
        body += props(properties)
    body += s(client_id)
    if will:
        if version == 5:
            body += props(will.get("properties", ()))
        body += s(will["topic"]) + s(will["payload"])
    if username is not None:
        body += s(username)
    if password is not None:
        body += s(password)
    return packet(CONNECT, 0, body)


def publish(topic, payload=b"", qos=0, pid=None, retain=False, dup=False, version=5,
            properties=()):
    if isinstance(payload, str):
        payload = payload.encode()
    flags = (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = s(topic)
    if qos:
        body += struct.pack("!H", pid)
    if version == 5:
        body += props(properties)
    return packet(PUBLISH, flags, body + payload)


def subscribe(pid, filters, version=5, properties=()):
    """filters: list of (filter, options_byte) or a single filter string (QoS 0)."""
    if isinstance(filters, str):
        filters = [(filters, 0)]
    body = struct.pack("!H", pid)
    if version == 5:
        body += props(properties)
    for f, opt in filters:
        body += s(f) + bytes([opt])
    return packet(SUBSCRIBE, 2, body)


def sub_options(qos=0, no_local=False, rap=False, retain_handling=0):
    return qos | (0x04 if no_local else 0) | (0x08 if rap else 0) | (retain_handling << 4)


def unsubscribe(pid, filters, version=5):
    body = struct.pack("!H", pid) + (props() if version == 5 else b"")
    for f in filters:
        body += s(f)
    return packet(UNSUBSCRIBE, 2, body)


def ack(ptype, pid, rc=None, version=5):
    body = struct.pack("!H", pid)
    if version == 5 and rc is not None:
        body += bytes([rc])
    return packet(ptype, 2 if ptype == PUBREL else 0, body)


def pingreq():
    return b"\xc0\x00"


def disconnect(rc=None, properties=None):
    if rc is None:
        return b"\xe0\x00"
    body = bytes([rc])
    if properties is not None:
        body += props(properties)
    return packet(DISCONNECT, 0, body)


# --- decoding ---------------------------------------------------------------------
def read_varint(buf, i):
    mult, val = 1, 0
    for _ in range(4):
        b = buf[i]
        i += 1
        val += (b & 0x7F) * mult
        if not b & 0x80:
            return val, i
        mult *= 128
    raise ValueError("malformed varint")


def read_str(buf, i):
    n = struct.unpack_from("!H", buf, i)[0]
    return bytes(buf[i + 2:i + 2 + n]), i + 2 + n


def parse_props(buf, i):
    n, i = read_varint(buf, i)
    end = i + n
    out = {}
    while i < end:
        pid, i = read_varint(buf, i)
        t = PROP_TYPES.get(pid)
        if t == "byte":
            v = buf[i]
            i += 1
        elif t == "u16":
            v = struct.unpack_from("!H", buf, i)[0]
            i += 2
        elif t == "u32":
            v = struct.unpack_from("!I", buf, i)[0]
            i += 4
        elif t == "varint":
            v, i = read_varint(buf, i)
        elif t == "str":
            v, i = read_str(buf, i)
            v = v.decode("utf-8")
        elif t == "bin":
            v, i = read_str(buf, i)
        elif t == "pair":
            k, i = read_str(buf, i)
            v2, i = read_str(buf, i)
            v = (k.decode(), v2.decode())
        else:
            raise ValueError(f"unknown property {pid:#x}")
        if pid in MULTI:
            out.setdefault(pid, []).append(v)
        else:
            out[pid] = v
    return out, end


class Packet:
    def __init__(self, raw, version):
        self.raw = raw
        self.type = raw[0] >> 4
        self.flags = raw[0] & 0x0F
        _, i = read_varint(raw, 1)
        self.body = raw[i:]
        self.props = {}
        self.rc = None
        b = self.body
        v5 = version == 5
        if self.type == CONNACK:
            self.session_present = bool(b[0] & 1)
            self.rc = b[1]
            if v5 and len(b) > 2:
                self.props, _ = parse_props(b, 2)
        elif self.type == PUBLISH:
            self.qos = (self.flags >> 1) & 3
            self.retain = bool(self.flags & 1)
            self.dup = bool(self.flags & 8)
            topic, j = read_str(b, 0)
            self.topic = topic.decode("utf-8")
            self.pid = None
            if self.qos:
                self.pid = struct.unpack_from("!H", b, j)[0]
                j += 2
            if v5:
                self.props, j = parse_props(b, j)
            self.payload = bytes(b[j:])
        elif self.type in (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, SUBACK):
            self.pid = struct.unpack_from("!H", b, 0)[0]
            if self.type in (SUBACK, UNSUBACK):
                j = 2
                if v5:
                    self.props, j = parse_props(b, 2)
                self.codes = list(b[j:])
            else:
                self.rc = b[2] if len(b) > 2 else 0
                if v5 and len(b) > 3:
                    self.props, _ = parse_props(b, 3)
        elif self.type == DISCONNECT:
            self.rc = b[0] if len(b) > 0 else 0
            if len(b) > 1:
                self.props, _ = parse_props(b, 1)

    @property
    def name(self):
        return NAMES.get(self.type, "?")

    def __repr__(self):
        extra = ""
        if self.type == PUBLISH:
            extra = f" topic={self.topic!r} qos={self.qos} payload={self.payload[:40]!r}"
        elif self.rc is not None:
            extra = f" rc={self.rc:#04x}"
        return f"<{self.name}{extra} props={self.props} raw={self.raw[:24].hex()}>"


class Closed(Exception):
    pass


class RawClient:
    def __init__(self, sock, version=5, timeout=3.0):
        self.sock = sock
        self.version = version
        self.timeout = timeout
        self.buf = bytearray()
        self.eof = False
        self.stash = []  # PUBLISHes that arrived while waiting for an ack

    @classmethod
    def open(cls, broker, unix=False, timeout=3.0, version=5):
        if unix:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(broker.unix_path)
        else:
            sock = socket.create_connection((broker.host, broker.port), timeout=timeout)
        return cls(sock, version, timeout)

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no packet in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no packet in time")
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
            raise Closed("connection closed")
        self.buf += data

    def _frame_len(self):
        if len(self.buf) < 2:
            return None
        i, mult, n = 1, 1, 0
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            n += (b & 0x7F) * mult
            i += 1
            if not b & 0x80:
                break
            mult *= 128
        return i + n if len(self.buf) >= i + n else None

    def recv(self, timeout=None):
        """The next packet; raises Closed on EOF, TimeoutError on timeout."""
        if self.stash:
            return self.stash.pop(0)
        return self._recv_wire(timeout)

    def _recv_wire(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            n = self._frame_len()
            if n is not None:
                raw = bytes(self.buf[:n])
                del self.buf[:n]
                return Packet(raw, self.version)
            if self.eof:
                raise Closed("connection closed")
            self._fill(deadline)

    def expect(self, ptype, timeout=None, skip=()):
        """The next packet, which must be of `ptype` (types in `skip` are passed over)."""
        if ptype == PUBLISH and self.stash:
            return self.stash.pop(0)
        while True:
            p = self._recv_wire(timeout)
            if p.type in skip:
                continue
            if p.type == PUBLISH and ptype != PUBLISH:
                self.stash.append(p)
                continue
            assert p.type == ptype, f"expected {NAMES[ptype]}, got {p!r}"
            return p

    def expect_closed(self, timeout=None):
        """Every remaining packet until EOF (asserts EOF comes within timeout)."""
        got = []
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                got.append(self.recv(max(0.01, deadline - time.monotonic())))
            except Closed:
                return got
            except TimeoutError:
                raise AssertionError(f"connection not closed; got {got}")

    def expect_nothing(self, timeout=0.4):
        try:
            p = self.recv(timeout)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected {p!r}")

    def connect(self, client_id="", clean=True, keepalive=60, properties=(), will=None,
                username=None, password=None, expect_rc=0):
        self.send(connect(client_id, self.version, clean, keepalive, properties, will,
                          username, password))
        p = self.expect(CONNACK)
        if expect_rc is not None:
            assert p.rc == expect_rc, f"CONNACK {p!r}"
        return p

    def subscribe(self, filters, pid=1, properties=()):
        self.send(subscribe(pid, filters, self.version, properties))
        p = self.expect(SUBACK)
        assert p.pid == pid
        return p.codes

    def publish(self, topic, payload=b"", qos=0, pid=1, retain=False, properties=()):
        """Publish and complete the QoS handshake; returns the PUBACK/PUBCOMP (or None)."""
        self.send(publish(topic, payload, qos, pid, retain, version=self.version,
                          properties=properties))
        if qos == 1:
            return self.expect(PUBACK)
        if qos == 2:
            rec = self.expect(PUBREC)
            assert rec.pid == pid
            self.send(ack(PUBREL, pid, version=self.version))
            return self.expect(PUBCOMP)
        return None

    def recv_publish(self, timeout=None, auto_ack=True):
        p = self.expect(PUBLISH, timeout)
        if auto_ack and p.qos == 1:
            self.send(ack(PUBACK, p.pid, version=self.version))
        elif auto_ack and p.qos == 2:
            self.send(ack(PUBREC, p.pid, version=self.version))
            rel = self.expect(PUBREL)
            self.send(ack(PUBCOMP, rel.pid, version=self.version))
        return p

    def disconnect(self, rc=None, properties=None):
        try:
            self.send(disconnect(rc, properties))
        except OSError:
            pass
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def ping(self):
        self.send(pingreq())
        return self.expect(PINGRESP)
