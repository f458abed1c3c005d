"""Interop with mosquitto_pub / mosquitto_sub (libmosquitto), MQTT 3.1.1 and 5, TCP and Unix."""
import shutil
import subprocess
import time

import pytest

pytestmark = pytest.mark.skipif(not shutil.which("mosquitto_sub"),
                                reason="mosquitto-clients not installed")


def conn_args(broker, transport):
    if transport == "unix":
        return ["--unix", broker.unix_path]
    return ["-h", broker.host, "-p", str(broker.port)]


def start_sub(broker, transport, version, *args):
    cmd = ["mosquitto_sub", *conn_args(broker, transport), "-V", version, *args]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p


def wait_subscribed(broker, client_id):
    assert broker.wait_log(r"connect client=" + client_id + " ", 3), broker.log()
    time.sleep(0.15)  # the SUBSCRIBE follows the CONNECT


def pub(broker, transport, version, *args):
    r = subprocess.run(["mosquitto_pub", *conn_args(broker, transport), "-V", version, *args],
                       capture_output=True, timeout=10)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("transport", ["tcp", "unix"])
@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
@pytest.mark.parametrize("qos", ["0", "1", "2"])
def test_pub_sub_roundtrip(broker, transport, version, qos):
    cid = f"msub-{transport}-{version}-{qos}"
    s = start_sub(broker, transport, version, "-i", cid, "-t", "mq/#", "-q", qos, "-C", "2",
                  "-W", "5", "-v")
    wait_subscribed(broker, cid)
    pub(broker, transport, version, "-t", "mq/a", "-m", "first", "-q", qos)
    pub(broker, "tcp", "mqttv5", "-t", "mq/b/c", "-m", "second", "-q", qos)
    out, err = s.communicate(timeout=10)
    assert s.returncode == 0, err
    assert out.decode().splitlines() == ["mq/a first", "mq/b/c second"]


def test_retained_and_clear(broker):
    pub(broker, "tcp", "mqttv311", "-t", "mr/t", "-m", "kept", "-r", "-q", "1")
    r = subprocess.run(["mosquitto_sub", *conn_args(broker, "unix"), "-t", "mr/#", "-C", "1",
                        "-W", "3", "-v", "--retained-only"], capture_output=True, timeout=10)
    assert r.returncode == 0 and r.stdout.decode().strip() == "mr/t kept"
    pub(broker, "tcp", "mqttv5", "-t", "mr/t", "-n", "-r", "-q", "1")  # -n: empty payload
    r = subprocess.run(["mosquitto_sub", *conn_args(broker, "tcp"), "-t", "mr/#", "-C", "1",
                        "-W", "1", "-v", "--retained-only"], capture_output=True, timeout=10)
    assert r.stdout == b""  # timed out with nothing


def test_v5_user_property_and_content_type(broker):
    cid = "msub-props"
    s = start_sub(broker, "tcp", "mqttv5", "-i", cid, "-t", "mp/t", "-C", "1", "-W", "5",
                  "-F", "%t|%p|%C|%P")
    wait_subscribed(broker, cid)
    pub(broker, "tcp", "mqttv5", "-t", "mp/t", "-m", "body", "-q", "1",
        "-D", "publish", "user-property", "colour", "blue",
        "-D", "publish", "content-type", "text/x-test")
    out, err = s.communicate(timeout=10)
    assert s.returncode == 0, err
    assert out.decode().strip() == "mp/t|body|text/x-test|colour:blue"


def test_persistent_session_mosquitto(broker):
    # Create the session (-c: clean session off), then leave.
    r = subprocess.run(["mosquitto_sub", *conn_args(broker, "tcp"), "-V", "mqttv311", "-i",
                        "mq-persist", "-c", "-q", "1", "-t", "mps/t", "-E"],
                       capture_output=True, timeout=10)
    assert r.returncode == 0, r.stderr
    broker.wait_gone("mq-persist")
    pub(broker, "tcp", "mqttv311", "-t", "mps/t", "-m", "while-away", "-q", "1")
    r = subprocess.run(["mosquitto_sub", *conn_args(broker, "tcp"), "-V", "mqttv311", "-i",
                        "mq-persist", "-c", "-q", "1", "-t", "mps/t", "-C", "1", "-W", "3"],
                       capture_output=True, timeout=10)
    assert r.returncode == 0 and r.stdout.decode().strip() == "while-away"


def test_will_via_mosquitto_sub(broker):
    w = broker.raw()
    w.connect()
    w.subscribe([("mw/will", 1)])
    s = start_sub(broker, "tcp", "mqttv5", "-i", "mq-will", "-t", "mw/x", "--will-topic",
                  "mw/will", "--will-payload", "bye", "--will-qos", "1")
    wait_subscribed(broker, "mq-will")
    s.kill()  # no DISCONNECT
    s.wait()
    assert w.recv_publish(timeout=3).payload == b"bye"
