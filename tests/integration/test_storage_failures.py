"""Storage failures (issue 4): a corrupt or foreign ferry.db is refused and left untouched,
an unusable data_dir is a clear start-up error, and a full disk refuses QoS >= 1 (v5:
reason 0x97 Quota exceeded; 3.1.1: no acknowledgement) while QoS 0 is still served, the
broker recovering by itself when space comes back.
"""
import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time

import pytest

import mqttraw as R
from conftest import FERRY_BIN

SQLITE = {"storage": {"backend": "sqlite"}}


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_ferry(config_path, timeout=10):
    """`ferry run` that is expected to fail at start; returns (code, stdout, stderr)."""
    try:
        p = subprocess.run([FERRY_BIN, "run", "--config", str(config_path)],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                           cwd=str(config_path.parent))
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"ferry run did not exit within {timeout}s: {e.stderr!r}")
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def assert_refused(b, db):
    before = sha256(db)
    size = db.stat().st_size
    t0 = time.monotonic()
    code, out, err = run_ferry(b.config_path)
    assert code != 0, f"ferry accepted {db}:\n{out}{err}"
    assert time.monotonic() - t0 < 5
    assert str(db) in err, f"stderr does not name {db}:\n{err}"
    assert db.stat().st_size == size and sha256(db) == before, f"{db} was modified"
    return err


# --- refused files -------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["random", "sqlite-header-then-garbage"])
def test_corrupt_database_is_refused_and_left_untouched(broker_factory, kind):
    b = broker_factory(SQLITE, start=False)
    db = b.data_dir / "ferry.db"
    body = os.urandom(64 * 1024)
    if kind != "random":
        body = b"SQLite format 3\x00" + body[16:]
    db.write_bytes(body)
    assert_refused(b, db)


def test_foreign_sqlite_database_is_refused_and_left_untouched(broker_factory):
    b = broker_factory(SQLITE, start=False)
    db = b.data_dir / "ferry.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer TEXT, total REAL)")
    con.executemany("INSERT INTO invoices (customer, total) VALUES (?, ?)",
                    [("acme", 12.5), ("globex", 99.0)])
    con.commit()
    con.close()
    assert_refused(b, db)
    con = sqlite3.connect(db)  # still the other application's intact database
    assert con.execute("SELECT count(*) FROM invoices").fetchone() == (2,)
    con.close()


def test_second_broker_on_the_same_data_dir_is_refused(broker_factory):
    first = broker_factory(SQLITE)
    second = broker_factory({**SQLITE, "server": {"data_dir": str(first.data_dir)}}, start=False)
    code, out, err = run_ferry(second.config_path)
    assert code != 0
    assert f"{first.data_dir / 'ferry.db'}: in use by another Ferry process (pid " \
        f"{first.proc.pid})" in err, err
    # The first keeps working; once it is gone (even by kill -9) the data dir is free.
    r = first.raw()
    r.connect("still-here")
    first.kill()
    second.start()
    assert second.raw().connect("next-owner").rc == 0


def test_data_dir_that_cannot_be_created_is_a_clear_error(broker_factory):
    # A short path under /tmp: the Unix socket path (data_dir/ferry.sock) must stay valid.
    d = tempfile.mkdtemp(prefix="ferry-blk-")
    try:
        blocker = os.path.join(d, "a-regular-file")
        with open(blocker, "w") as f:
            f.write("not a directory")
        target = os.path.join(blocker, "data")
        b = broker_factory({**SQLITE, "server": {"data_dir": target}}, start=False)
        code, out, err = run_ferry(b.config_path)
        assert code != 0
        assert target in err or blocker in err, err
        assert "not a directory" in err.lower(), err
        assert "Traceback" not in err and "terminate called" not in err
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_read_only_data_dir_is_a_clear_error(broker_factory):
    mnt = mount_tmpfs("1m", options="ro")
    try:
        b = broker_factory({**SQLITE, "server": {"data_dir": mnt}}, start=False)
        code, out, err = run_ferry(b.config_path)
        assert code != 0, out + err
        assert mnt in err, err
        assert "read-only" in err.lower() or "permission" in err.lower(), err
    finally:
        unmount(mnt)


# --- disk full -----------------------------------------------------------------------
def mount_tmpfs(size, options=""):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    # A short path under /tmp: the Unix socket lives in data_dir (sun_path <= 108 bytes).
    mnt = tempfile.mkdtemp(prefix="ferry-full-")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(filter(None, [f"size={size}", options])), "tmpfs", mnt],
                       capture_output=True, text=True)
    if p.returncode != 0:
        os.rmdir(mnt)
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.strip() or p.returncode}")
    return mnt


def unmount(mnt):
    if subprocess.run(["umount", mnt], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", mnt], capture_output=True)
    shutil.rmtree(mnt, ignore_errors=True)


def fill(path):
    """Writes `path` until the file system is full; returns the bytes written."""
    chunk = b"\xff" * 65536
    n = 0
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                n += f.write(chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                break
        for size in (4096, 512, 1):  # the last few blocks too
            while True:
                try:
                    n += f.write(b"\xff" * size)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return n


def test_disk_full_refuses_qos1_serves_qos0_and_recovers(broker_factory):
    mnt = mount_tmpfs("2m")
    b = None
    try:
        data = os.path.join(mnt, "data")
        b = broker_factory({"storage": {"backend": "sqlite", "sync": "ack"},
                            "server": {"data_dir": data}})
        sub = b.raw()
        sub.connect("full-sub", clean=True)
        sub.subscribe([("full/#", R.sub_options(qos=1))])
        pub = b.raw()
        pub.connect("full-pub", clean=True)
        assert pub.publish("full/ok", b"before", qos=1, pid=1).rc == 0
        assert sub.recv_publish().payload == b"before"

        filler = os.path.join(mnt, "filler")
        fill(filler)
        # Retained messages on new topics make the database grow; until SQLite needs a new
        # page some may still fit, so publish until one is refused (bounded).
        refused = None
        big = os.urandom(16 * 1024)
        for i in range(200):
            ack = pub.publish(f"full/big/{i}", big, qos=1, pid=(i % 60000) + 2, retain=True)
            if ack.rc == 0x97:
                refused = i
                break
            assert ack.rc == 0, f"PUBACK {ack!r}"
        assert refused is not None, "no QoS 1 publish refused with 0x97 on a full disk"
        while True:  # what got through before the refusal is delivered, nothing after
            try:
                sub.recv_publish(timeout=0.3)
            except TimeoutError:
                break

        # Still full: QoS 1 refused again, QoS 0 delivered, QoS 2 refused with PUBREC 0x97.
        assert pub.publish("full/t", b"q1", qos=1, pid=60001).rc == 0x97
        pub.send(R.publish("full/t", b"q2", qos=2, pid=60002))
        assert pub.expect(R.PUBREC).rc == 0x97
        pub.publish("full/t", b"q0 while full", qos=0)
        m = sub.recv_publish(timeout=3)
        assert (m.payload, m.qos) == (b"q0 while full", 0)
        sub.expect_nothing(0.3)  # the refused ones were not routed
        # 3.1.1 has no reason codes: no acknowledgement at all.
        v4 = b.raw(version=4)
        v4.connect("full-v4", clean=True)
        v4.send(R.publish("full/t", b"v4 q1", qos=1, pid=7, version=4))
        v4.expect_nothing(1.0)
        pub.ping()  # the connections stay up

        # Space comes back: QoS 1 is acknowledged again within a few seconds.
        os.unlink(filler)
        deadline = time.monotonic() + 8
        pid = 1000
        while True:
            pid += 1
            rc = pub.publish("full/back", f"back{pid}".encode(), qos=1, pid=pid).rc
            if rc == 0:
                break
            assert rc == 0x97
            assert time.monotonic() < deadline, "QoS 1 still refused 8 s after space came back"
            time.sleep(0.2)
        got = []
        while True:
            try:
                got.append(sub.recv_publish(timeout=1.0).payload)
            except TimeoutError:
                break
        assert f"back{pid}".encode() in got
        assert b"q1" not in got and b"q2" not in got and b"v4 q1" not in got
        assert "storage" in b.log().lower()
    finally:
        if b is not None:
            b.kill()
        unmount(mnt)
