"""The `ferry` command line: check, pub/sub, env overrides, shutdown on SIGTERM/SIGINT."""
import re
import signal
import subprocess
import time

import pytest

import conftest
import mqttraw as R


def ferry(*args, env=None, timeout=10):
    import os
    return subprocess.run([conftest.FERRY_BIN, *args], capture_output=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})))


def test_check_good_config(broker_factory):
    b = broker_factory(start=False)
    r = ferry("check", "--config", str(b.config_path))
    assert r.returncode == 0, r.stderr
    assert b"ok" in r.stdout + r.stderr


def test_check_shipped_default_config():
    r = ferry("check", "--config", str(conftest.REPO / "config" / "ferry.toml"))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("text,line,key,problem", [
    ("[server]\nthreads = 2\nthreadz = 3\n", 3, "server.threadz", "unknown key"),
    ("[server]\nthreads = 2\n\nthreads_x = 1\n", 4, "server.threads_x", "unknown key"),
    ("[server]\nthreads = -5\n", 2, "server.threads", ""),
    ("[limits]\nreceive_maximum = 0\n", 2, "limits.receive_maximum", ""),
    ("[server]\nlog_level = \"loud\"\n", 2, "server.log_level", ""),
    ("[server]\nthreads = \"two\"\n", 2, "server.threads", ""),
    ("[[listener]]\ntransport = \"carrier-pigeon\"\nbind = \"x\"\n", 2, "transport", ""),
])
def test_check_bad_config_names_file_line_key(tmp_path, text, line, key, problem):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    r = ferry("check", "--config", str(cfg))
    assert r.returncode == 2
    msg = (r.stderr + r.stdout).decode()
    # file:line: key: problem
    m = re.search(re.escape(str(cfg)) + r":(\d+): ([\w.\[\]]+): (.+)", msg)
    assert m, msg
    assert int(m.group(1)) == line, msg
    assert key in m.group(2), msg
    assert problem in m.group(3), msg


def test_check_syntax_error_names_line(tmp_path):
    cfg = tmp_path / "syntax.toml"
    cfg.write_text("[server]\nthreads = 2\n[limits\n")
    r = ferry("check", "--config", str(cfg))
    assert r.returncode == 2
    assert re.search(re.escape(str(cfg)) + r":3: ", r.stderr.decode()), r.stderr


def test_check_missing_file(tmp_path):
    r = ferry("check", "--config", str(tmp_path / "nope.toml"))
    assert r.returncode == 2 and b"nope.toml" in r.stderr


def test_env_override_bad_value(broker_factory):
    b = broker_factory(start=False)
    r = ferry("check", "--config", str(b.config_path), env={"FERRY_SERVER_THREADS": "abc"})
    assert r.returncode == 2 and b"FERRY_SERVER_THREADS" in r.stderr


def test_env_override_applies_to_run(broker_factory):
    b = broker_factory(env={"FERRY_SERVER_THREADS": "3", "FERRY_SERVER_MAX_KEEPALIVE": "7"})
    assert "running with 3 shards" in b.log()
    ack = b.raw().connect(keepalive=100)
    assert ack.props[R.SERVER_KEEP_ALIVE] == 7


def test_run_with_bad_config_exits_2(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[server]\nthreadz = 1\n")
    r = ferry("run", "--config", str(cfg))
    assert r.returncode == 2 and b"threadz" in r.stderr


@pytest.mark.parametrize("version", ["3.1.1", "5"])
@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_ferry_pub_sub_roundtrip(broker, version, transport):
    url = broker.url if transport == "tcp" else f"unix://{broker.unix_path}"
    sub = subprocess.Popen([conftest.FERRY_BIN, "sub", url, "-t", "cli/#", "-q", "1", "-C", "2",
                            "-W", "5", "-v", "-V", version, "-i", "cli-sub"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert broker.wait_log(r"connect client=cli-sub ", 3)
    time.sleep(0.15)
    r = ferry("pub", url, "-t", "cli/x", "-m", "hello world", "-q", "1", "-V", version, "-C", "2")
    assert r.returncode == 0, r.stderr
    out, err = sub.communicate(timeout=10)
    assert sub.returncode == 0, err
    assert out.decode().splitlines() == ["cli/x hello world", "cli/x hello world"]


def test_ferry_sub_timeout_exit_2(broker):
    r = ferry("sub", broker.url, "-t", "never/#", "-C", "1", "-W", "0.5")
    assert r.returncode == 2


def test_ferry_pub_retained_and_user_property(broker):
    r = ferry("pub", broker.url, "-t", "clir/t", "-m", "kept", "-r", "-q", "1", "-V", "5",
              "-D", "k=v")
    assert r.returncode == 0, r.stderr
    c = broker.raw()
    c.connect()
    c.subscribe([("clir/t", 1)])
    p = c.recv_publish()
    assert p.retain and p.payload == b"kept"
    assert p.props.get(R.USER_PROPERTY) == [("k", "v")]


def test_ferry_pub_qos2_to_paho(broker, paho_client):
    s = paho_client(broker, version=4)
    s.subscribe("cliq/t", 2)
    r = ferry("pub", f"unix://{broker.unix_path}", "-t", "cliq/t", "-m", "q2", "-q", "2")
    assert r.returncode == 0, r.stderr
    m = s.expect()
    assert (m.payload, m.qos) == (b"q2", 2)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_signal(broker, sig):
    v5 = broker.raw()
    v5.connect("shut5")
    v4 = broker.raw(version=4)
    v4.connect("shut4")
    unix5 = broker.raw(unix=True)
    unix5.connect("shut-unix")
    t0 = time.monotonic()
    rc = broker.stop(sig, timeout=6)
    assert rc == 0, broker.log()
    assert time.monotonic() - t0 < 5.0
    for c in (v5, unix5):
        got = c.expect_closed(1)
        assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x8B)]  # Server shutting down
        assert got[0].raw[:3] == b"\xe0" + got[0].raw[1:2] + b"\x8b"
    assert v4.expect_closed(1) == []


def test_sigterm_then_restart_serves_again(broker):
    assert broker.stop() == 0
    broker.start()
    c = broker.raw()
    c.connect()
    c.ping()
