"""Per-publisher delivery order across shards (threads = 2), several publishers at once."""
import threading

import pytest

import mqttraw as R

PUBLISHERS = 6
PER_PUBLISHER = 150


def run_publisher(broker, idx, errors, use_unix):
    try:
        c = broker.raw(unix=use_unix, timeout=10)
        c.connect(f"order-pub-{idx}")
        # Pipeline: send all, then collect the PUBACKs.
        out = bytearray()
        for seq in range(PER_PUBLISHER):
            out += R.publish(f"order/{idx}", b"%d:%d" % (idx, seq), qos=1, pid=seq + 1)
        c.send(bytes(out))
        for _ in range(PER_PUBLISHER):
            c.expect(R.PUBACK, timeout=10)
        c.disconnect()
    except Exception as e:  # pragma: no cover - reported below
        errors.append(repr(e))


@pytest.mark.parametrize("sub_qos", [1, 2])
def test_per_publisher_order_kept(broker, sub_qos):
    subs = []
    for i in range(2):  # two subscribers, likely on different shards
        s = broker.raw(timeout=10)
        s.connect(f"order-sub-{i}", properties=[(R.RECEIVE_MAXIMUM, 65535)])
        s.subscribe([("order/+", sub_qos)])
        subs.append(s)
    errors = []
    threads = [threading.Thread(target=run_publisher, args=(broker, i, errors, i % 2 == 1))
               for i in range(PUBLISHERS)]
    for t in threads:
        t.start()
    results = [dict() for _ in subs]

    def consume(s, seen):
        for _ in range(PUBLISHERS * PER_PUBLISHER):
            p = s.recv_publish(timeout=10)
            idx, seq = map(int, p.payload.split(b":"))
            seen.setdefault(idx, []).append(seq)

    readers = [threading.Thread(target=consume, args=(s, r)) for s, r in zip(subs, results)]
    for t in readers:
        t.start()
    for t in threads + readers:
        t.join(30)
    assert not errors, errors
    for seen in results:
        assert sorted(seen) == list(range(PUBLISHERS))
        for idx, seqs in seen.items():
            assert seqs == list(range(PER_PUBLISHER)), f"publisher {idx} out of order"
