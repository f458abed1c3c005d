"""QoS 2 exactly once while the first copy is being made durable (issue 4, storage
sync = "ack"): the broker acknowledges and routes a QoS 2 PUBLISH only when its rows are
committed. A publisher that loses its connection before the PUBREC reconnects and
resends with DUP; if that resend arrives while the first copy's commit still runs, it
must wait for that commit instead of being routed a second time [MQTT 4.3.3].

The test holds SQLite's write lock from outside (BEGIN EXCLUSIVE) to keep the commit
running for as long as it needs; the broker's writer waits for it (busy_timeout).
With two shards the reconnect lands on either shard, so both the local and the
cross-shard takeover are exercised across the repetitions.
"""
import sqlite3
import time

import pytest

import mqttraw as R

SQLITE = {"storage": {"backend": "sqlite", "sync": "ack"}}


def connect(b, client_id):
    c = b.raw(version=4)
    c.send(R.connect(client_id, version=4, clean=False))
    return c, c.expect(R.CONNACK)


@pytest.mark.parametrize("round_", range(6))
def test_qos2_resend_during_the_first_commit_is_delivered_once(broker_factory, paho_client,
                                                               round_):
    b = broker_factory(SQLITE)
    sub = paho_client(b, client_id=f"eo-sub-{round_}", version=4)
    sub.subscribe("eo/t", 2)
    pub, _ = connect(b, f"eo-pub-{round_}")
    lock = sqlite3.connect(str(b.data_dir / "ferry.db"), timeout=5, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the broker's next commit waits behind this
    try:
        pub.send(R.publish("eo/t", b"once", qos=2, pid=7, version=4))
        with pytest.raises(TimeoutError):
            pub.expect(R.PUBREC, timeout=0.3)  # not durable yet: no PUBREC
        pub.sock.close()
        again, ack = connect(b, f"eo-pub-{round_}")
        assert ack.session_present
        again.send(R.publish("eo/t", b"once", qos=2, pid=7, dup=True, version=4))
        time.sleep(0.3)  # the resend reaches the broker while the commit still waits
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    rec = again.expect(R.PUBREC, timeout=5.0)
    assert rec.pid == 7
    again.send(R.ack(R.PUBREL, 7, version=4))
    assert again.expect(R.PUBCOMP).pid == 7
    assert sub.expect(1, timeout=5.0).payload == b"once"
    sub.expect_none(timeout=1.0)  # no second copy
