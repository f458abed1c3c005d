"""A raw MQTT-SN 1.2 client for Ferry's integration tests: encode/decode every message
type by hand (independently of protocol/sn), a UDP socket per client, and the client
side of the QoS handshakes with retransmission (DUP) after a timeout, so it also works
through tests/integration/lossy_relay.py.

Message tuples: `decode(datagram)` -> Msg(type, fields...) with attributes by name.
"""
import socket
import struct
import time

ADVERTISE, SEARCHGW, GWINFO = 0x00, 0x01, 0x02
CONNECT, CONNACK = 0x04, 0x05
WILLTOPICREQ, WILLTOPIC, WILLMSGREQ, WILLMSG = 0x06, 0x07, 0x08, 0x09
REGISTER, REGACK = 0x0A, 0x0B
PUBLISH, PUBACK, PUBCOMP, PUBREC, PUBREL = 0x0C, 0x0D, 0x0E, 0x0F, 0x10
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 0x12, 0x13, 0x14, 0x15
PINGREQ, PINGRESP, DISCONNECT = 0x16, 0x17, 0x18
WILLTOPICUPD, WILLTOPICRESP, WILLMSGUPD, WILLMSGRESP = 0x1A, 0x1B, 0x1C, 0x1D
ENCAPSULATED = 0xFE

NAMES = {v: k for k, v in dict(globals()).items() if k.isupper() and isinstance(v, int)}

# TopicIdType [MQTT-SN 5.3.4]
NORMAL, PREDEFINED, SHORT = 0, 1, 2
# ReturnCode [MQTT-SN 5.3.10]
ACCEPTED, CONGESTION, INVALID_TOPIC_ID, NOT_SUPPORTED = 0, 1, 2, 3


def flags(dup=False, qos=0, retain=False, will=False, clean=False, tid_type=NORMAL):
    q = 0b11 if qos == -1 else qos
    return (dup << 7) | (q << 5) | (retain << 4) | (will << 3) | (clean << 2) | tid_type


def parse_flags(b):
    q = (b >> 5) & 0b11
    return {"dup": bool(b & 0x80), "qos": -1 if q == 3 else q, "retain": bool(b & 0x10),
            "will": bool(b & 0x08), "clean": bool(b & 0x04), "tid_type": b & 0b11}


def frame(msg_type, body=b""):
    """Length + MsgType + body, with the 3-octet Length when it does not fit in one."""
    n = len(body) + 2
    if n <= 255:
        return bytes([n, msg_type]) + body
    return b"\x01" + struct.pack("!H", n + 2) + bytes([msg_type]) + body


def b(s):
    return s.encode() if isinstance(s, str) else bytes(s)


# --- encoders (client -> gateway, plus a few the tests forge) -------------------------
def searchgw(radius=0):
    return frame(SEARCHGW, bytes([radius]))


def connect(client_id, duration=60, clean=True, will=False):
    return frame(CONNECT, bytes([flags(clean=clean, will=will), 0x01]) +
                 struct.pack("!H", duration) + b(client_id))


def willtopic(topic, qos=0, retain=False):
    if topic is None:
        return frame(WILLTOPIC)  # empty WILLTOPIC: no will
    return frame(WILLTOPIC, bytes([flags(qos=qos, retain=retain)]) + b(topic))


def willmsg(payload):
    return frame(WILLMSG, b(payload))


def willtopicupd(topic, qos=0, retain=False):
    if topic is None:
        return frame(WILLTOPICUPD)
    return frame(WILLTOPICUPD, bytes([flags(qos=qos, retain=retain)]) + b(topic))


def willmsgupd(payload):
    return frame(WILLMSGUPD, b(payload))


def register(topic, msg_id, topic_id=0):
    return frame(REGISTER, struct.pack("!HH", topic_id, msg_id) + b(topic))


def regack(topic_id, msg_id, rc=ACCEPTED):
    return frame(REGACK, struct.pack("!HHB", topic_id, msg_id, rc))


def short_id(name):
    name = b(name)
    assert len(name) == 2
    return (name[0] << 8) | name[1]


def publish(topic_id, payload, qos=0, msg_id=0, tid_type=NORMAL, retain=False, dup=False):
    return frame(PUBLISH, bytes([flags(dup=dup, qos=qos, retain=retain, tid_type=tid_type)]) +
                 struct.pack("!HH", topic_id, msg_id) + b(payload))


def puback(topic_id, msg_id, rc=ACCEPTED):
    return frame(PUBACK, struct.pack("!HHB", topic_id, msg_id, rc))


def pubrec(msg_id):
    return frame(PUBREC, struct.pack("!H", msg_id))


def pubrel(msg_id):
    return frame(PUBREL, struct.pack("!H", msg_id))


def pubcomp(msg_id):
    return frame(PUBCOMP, struct.pack("!H", msg_id))


def subscribe(topic, msg_id, qos=0, tid_type=NORMAL, dup=False):
    if tid_type == NORMAL:
        tail = b(topic)
    elif tid_type == SHORT and isinstance(topic, str):
        tail = struct.pack("!H", short_id(topic))
    else:
        tail = struct.pack("!H", topic)
    return frame(SUBSCRIBE, bytes([flags(dup=dup, qos=qos, tid_type=tid_type)]) +
                 struct.pack("!H", msg_id) + tail)


def unsubscribe(topic, msg_id, tid_type=NORMAL):
    tail = b(topic) if tid_type == NORMAL else struct.pack("!H", topic)
    return frame(UNSUBSCRIBE, bytes([tid_type]) + struct.pack("!H", msg_id) + tail)


def pingreq(client_id=""):
    return frame(PINGREQ, b(client_id))


def disconnect(duration=None):
    return frame(DISCONNECT, b"" if duration is None else struct.pack("!H", duration))


def encapsulate(inner, node_id, ctrl=0):
    node_id = b(node_id)
    return bytes([3 + len(node_id), ENCAPSULATED, ctrl]) + node_id + inner


# --- decoder -------------------------------------------------------------------------
class Msg:
    def __init__(self, msg_type, **fields):
        self.type = msg_type
        self.__dict__.update(fields)

    def __repr__(self):
        rest = {k: v for k, v in self.__dict__.items() if k != "type"}
        return f"{NAMES.get(self.type, hex(self.type))}{rest}"


def decode(data):
    """One datagram -> Msg. Raises ValueError for anything malformed."""
    if len(data) < 2:
        raise ValueError("too short")
    if data[0] == 0x01:
        length, t, off = struct.unpack("!H", data[1:3])[0], data[3], 4
    else:
        length, t, off = data[0], data[1], 2
    if t == ENCAPSULATED:
        hdr = data[:length]
        return Msg(t, ctrl=hdr[2], node_id=bytes(hdr[3:]), inner=decode(data[length:]),
                   raw_inner=bytes(data[length:]))
    if length != len(data):
        raise ValueError(f"length {length} != datagram {len(data)}")
    body = bytes(data[off:])
    u16 = lambda i: struct.unpack("!H", body[i:i + 2])[0]  # noqa: E731
    if t == ADVERTISE:
        return Msg(t, gw_id=body[0], duration=u16(1))
    if t == GWINFO:
        return Msg(t, gw_id=body[0], gw_add=body[1:])
    if t in (CONNACK, WILLTOPICRESP, WILLMSGRESP):
        return Msg(t, rc=body[0])
    if t in (WILLTOPICREQ, WILLMSGREQ, PINGRESP):
        return Msg(t)
    if t == REGISTER:
        return Msg(t, topic_id=u16(0), msg_id=u16(2), topic=body[4:].decode())
    if t in (REGACK, PUBACK):
        return Msg(t, topic_id=u16(0), msg_id=u16(2), rc=body[4])
    if t == PUBLISH:
        return Msg(t, flags=parse_flags(body[0]), qos=parse_flags(body[0])["qos"],
                   dup=parse_flags(body[0])["dup"], retain=parse_flags(body[0])["retain"],
                   tid_type=body[0] & 3, topic_id=u16(1), msg_id=u16(3), payload=body[5:])
    if t in (PUBREC, PUBREL, PUBCOMP, UNSUBACK):
        return Msg(t, msg_id=u16(0))
    if t == SUBACK:
        return Msg(t, qos=parse_flags(body[0])["qos"], topic_id=u16(1), msg_id=u16(3),
                   rc=body[5])
    if t == DISCONNECT:
        return Msg(t, duration=u16(0) if len(body) >= 2 else None)
    return Msg(t, body=body)


# --- client --------------------------------------------------------------------------
class Timeout(AssertionError):
    pass


class SnClient:
    """One UDP socket talking MQTT-SN to `addr`; optionally behind a forwarder (every
    datagram wrapped in 0xFE with `node_id`, replies expected wrapped too)."""

    def __init__(self, addr, node_id=None, retry=0.5, attempts=8):
        self.addr = addr
        self.node_id = node_id
        self.retry = retry
        self.attempts = attempts
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.pending = []      # messages received while waiting for something else
        self.topics = {}       # topic id -> name (REGISTER from the gateway, REGACK, SUBACK)
        self.awaiting_rel = set()
        self.received = []     # (topic, payload, qos, dup) delivered to the application
        self.auto_regack = True
        self.raw_log = []      # every datagram received, decoded

    def close(self):
        self.sock.close()

    # transport
    def send_raw(self, data):
        self.sock.sendto(data, self.addr)

    def send(self, data):
        self.send_raw(encapsulate(data, self.node_id) if self.node_id is not None else data)

    def _recv_one(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, _ = self.sock.recvfrom(65535)
        except (socket.timeout, BlockingIOError):
            return None
        except ConnectionRefusedError:
            return None
        m = decode(data)
        if self.node_id is not None:
            assert m.type == ENCAPSULATED, f"reply not encapsulated: {m}"
            assert m.node_id == b(self.node_id), m
            m = m.inner
        self.raw_log.append(m)
        return m

    def recv(self, timeout=2.0, raw=False):
        """Next message (pending first); None on timeout. Unless `raw`, gateway REGISTERs
        and PUBLISH/PUBREL handshakes are answered and PUBLISHes recorded."""
        if self.pending:
            m = self.pending.pop(0)
        else:
            m = self._recv_one(timeout)
        if m is not None and not raw:
            self._auto(m)
        return m

    def _auto(self, m):
        if m.type == REGISTER:
            self.topics[m.topic_id] = m.topic
            if self.auto_regack:
                self.send(regack(m.topic_id, m.msg_id))
        elif m.type == PUBLISH:
            self._on_publish(m)
        elif m.type == PUBREL:
            self.awaiting_rel.discard(m.msg_id)
            self.send(pubcomp(m.msg_id))

    def _on_publish(self, m):
        if m.tid_type == SHORT:
            topic = bytes([m.topic_id >> 8, m.topic_id & 0xFF]).decode()
        elif m.tid_type == PREDEFINED:
            topic = ("predefined", m.topic_id)
        else:
            topic = self.topics.get(m.topic_id)
        if m.qos == 1:
            self.send(puback(m.topic_id, m.msg_id))
        elif m.qos == 2:
            self.send(pubrec(m.msg_id))
            if m.msg_id in self.awaiting_rel:
                return  # retransmission of a message already delivered
            self.awaiting_rel.add(m.msg_id)
        self.received.append((topic, bytes(m.payload), m.qos, m.dup))

    def expect(self, msg_type, timeout=2.0, match=None):
        """Waits for a message of `msg_type` (others are handled and set aside)."""
        want = lambda m: ((msg_type is None or m.type == msg_type)  # noqa: E731
                          and (match is None or match(m)))
        for i, m in enumerate(self.pending):
            if want(m):
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        skipped = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout(f"no {NAMES.get(msg_type)} within {timeout}s; got {skipped}")
                m = self._recv_one(left)
                if m is None:
                    continue
                if want(m):
                    return m
                self._auto(m)
                if m.type not in (REGISTER, PUBLISH, PUBREL):
                    skipped.append(m)
        finally:
            self.pending.extend(skipped)

    def request(self, data, msg_type, match=None, dup_data=None):
        """Sends `data` and waits for `msg_type`, resending (dup_data when given) after
        `retry` seconds, `attempts` times in all."""
        for attempt in range(self.attempts):
            self.send(data if attempt == 0 or dup_data is None else dup_data)
            try:
                return self.expect(msg_type, self.retry, match)
            except Timeout:
                continue
        raise Timeout(f"no {NAMES.get(msg_type)} after {self.attempts} attempts")

    def messages(self, n, timeout=3.0):
        """Runs the receive loop until `n` application messages arrived."""
        deadline = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < deadline:
            self.recv(min(0.2, max(deadline - time.monotonic(), 0.001)))
        return self.received[:n]

    def quiet(self, timeout=0.5):
        """Handles whatever arrives for `timeout` seconds; returns it."""
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv(deadline - time.monotonic())
            if m is not None:
                out.append(m)
        return out

    # flows
    def connect(self, client_id, duration=60, clean=True, will=None):
        """CONNECT (+ will dialogue when `will` = (topic, payload, qos, retain))."""
        self.client_id = client_id
        if will is None:
            ack = self.request(connect(client_id, duration, clean), CONNACK)
            return ack.rc
        self.request(connect(client_id, duration, clean, will=True), WILLTOPICREQ)
        topic, payload, qos, retain = will
        self.request(willtopic(topic, qos, retain), WILLMSGREQ)
        return self.request(willmsg(payload), CONNACK).rc

    def register(self, topic, msg_id):
        ack = self.request(register(topic, msg_id), REGACK, lambda m: m.msg_id == msg_id)
        assert ack.rc == ACCEPTED, ack
        self.topics[ack.topic_id] = topic
        return ack.topic_id

    def publish(self, topic_id, payload, qos=0, msg_id=0, tid_type=NORMAL, retain=False):
        """PUBLISH with the client side of QoS 1/2, retransmitting with DUP. Returns the
        PUBACK (QoS 1, or a refusal) or the PUBCOMP (QoS 2)."""
        if qos <= 0:
            self.send(publish(topic_id, payload, qos, 0, tid_type, retain))
            return None
        first = publish(topic_id, payload, qos, msg_id, tid_type, retain)
        again = publish(topic_id, payload, qos, msg_id, tid_type, retain, dup=True)
        if qos == 1:
            return self.request(first, PUBACK, lambda m: m.msg_id == msg_id, again)
        ack = self._request_any(first, again, msg_id)
        if ack.type == PUBACK:
            return ack
        return self.request(pubrel(msg_id), PUBCOMP, lambda m: m.msg_id == msg_id)

    def _request_any(self, first, again, msg_id):
        for attempt in range(self.attempts):
            self.send(first if attempt == 0 else again)
            try:
                return self.expect(None, self.retry,
                                   lambda m: m.type in (PUBREC, PUBACK) and m.msg_id == msg_id)
            except Timeout:
                continue
        raise Timeout("no PUBREC")

    def subscribe(self, topic, msg_id, qos=0, tid_type=NORMAL):
        ack = self.request(subscribe(topic, msg_id, qos, tid_type), SUBACK,
                           lambda m: m.msg_id == msg_id)
        if ack.rc == ACCEPTED and tid_type == NORMAL and ack.topic_id:
            self.topics[ack.topic_id] = topic
        return ack

    def ping(self):
        return self.request(pingreq(), PINGRESP)

    def disconnect(self, duration=None):
        return self.request(disconnect(duration), DISCONNECT)
