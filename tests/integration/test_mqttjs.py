"""Interop with MQTT.js (npm `mqtt`, pinned in tests/interop/package.json), v3.1.1 and v5."""
import json
import pathlib
import shutil
import subprocess

import pytest

INTEROP = pathlib.Path(__file__).resolve().parents[1] / "interop"
SCRIPT = INTEROP / "roundtrip.js"

pytestmark = pytest.mark.skipif(
    not shutil.which("node") or not (INTEROP / "node_modules" / "mqtt").is_dir(),
    reason="node or MQTT.js missing: run scripts/test-deps.sh")


def run_js(broker, **cfg):
    cfg.setdefault("url", f"mqtt://{broker.host}:{broker.port}")
    r = subprocess.run(["node", str(SCRIPT), json.dumps(cfg)], capture_output=True,
                       timeout=20, cwd=str(INTEROP))
    lines = r.stdout.decode().strip().splitlines()
    assert lines, f"no output from node (rc {r.returncode}): {r.stderr.decode()}"
    out = json.loads(lines[-1])
    assert r.returncode == 0 and out["ok"], out
    return out


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_roundtrip(broker, version, qos):
    out = run_js(broker, protocolVersion=version, topic="js/t", filter="js/#", qos=qos,
                 count=10, clientId=f"js{version}{qos}")
    assert out["granted"] == [qos]
    assert [m["payload"] for m in out["received"]] == [f"msg-{i}" for i in range(10)]
    assert all(m["topic"] == "js/t" and m["qos"] == qos and not m["retain"]
               for m in out["received"])


def test_v5_connack_and_properties(broker):
    out = run_js(broker, protocolVersion=5, topic="jsp/t", qos=1, count=3,
                 userProperties={"trace": "abc", "n": "1"}, contentType="text/plain",
                 topicAliasMaximum=10)
    assert out["connack"]["reasonCode"] == 0
    assert out["connack"]["properties"]["topicAliasMaximum"] == 64
    for m in out["received"]:
        assert m["userProperties"] == {"trace": "abc", "n": "1"}
        assert m["contentType"] == "text/plain"
        assert m["topic"] == "jsp/t"  # MQTT.js resolves broker topic aliases


def test_v311_retained(broker):
    pub = broker.raw()
    pub.connect()
    pub.publish("jsr/t", b"stored", qos=1, retain=True)
    # The subscriber first gets the stored message (retain=1), then the live one.
    out = run_js(broker, protocolVersion=4, topic="jsr/t", qos=1, count=1, expect=2,
                 payloadPrefix="live-")
    got = [(m["payload"], m["retain"]) for m in out["received"]]
    assert got == [("stored", True), ("live-0", False)]


def test_shared_subscription_mqttjs(broker):
    out = run_js(broker, protocolVersion=5, topic="jss/t", filter="$share/js/jss/t", qos=1,
                 count=5)
    assert [m["payload"] for m in out["received"]] == [f"msg-{i}" for i in range(5)]
