// MQTT.js interop client for Ferry's integration tests (tests/integration/test_mqttjs.py).
// Usage: node roundtrip.js '<json>' with
//   { url, protocolVersion: 4|5, topic, filter, count, expect, qos, retain, userProperties,
//     contentType, payloadPrefix, timeoutMs, clientId, topicAliasMaximum, shared }
// Connects a subscriber and a publisher, publishes `count` messages, and prints one JSON
// object: { ok, connack, received: [{topic, payload, qos, retain, properties}], error }.
'use strict';
const mqtt = require('mqtt');

const cfg = JSON.parse(process.argv[2] || '{}');
const v = cfg.protocolVersion || 5;
const count = cfg.count || 1;
const qos = cfg.qos || 0;
const expectN = cfg.expect || count; // messages to receive (retained ones add to count)
const result = { ok: false, connack: null, received: [], error: null };

function finish(code) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(code);
}
const timer = setTimeout(() => { result.error = 'timeout'; finish(2); }, cfg.timeoutMs || 5000);

function connect(id, extra) {
  return mqtt.connect(cfg.url, Object.assign({
    protocolVersion: v, clientId: id, clean: true, reconnectPeriod: 0, connectTimeout: 3000,
  }, extra || {}));
}

const subProps = v === 5 && cfg.topicAliasMaximum ? { topicAliasMaximum: cfg.topicAliasMaximum } : {};
const sub = connect((cfg.clientId || 'js') + '-sub', { properties: subProps });
sub.on('error', (e) => { result.error = 'sub: ' + e.message; finish(1); });
sub.on('connect', (connack) => {
  result.connack = { sessionPresent: connack.sessionPresent, returnCode: connack.returnCode,
                     reasonCode: connack.reasonCode, properties: connack.properties || null };
  sub.subscribe(cfg.filter || cfg.topic, { qos }, (err, granted) => {
    if (err) { result.error = 'subscribe: ' + err.message; finish(1); }
    result.granted = granted.map((g) => g.qos);
    const pub = connect((cfg.clientId || 'js') + '-pub');
    pub.on('error', (e) => { result.error = 'pub: ' + e.message; finish(1); });
    pub.on('connect', () => {
      for (let i = 0; i < count; i++) {
        const opts = { qos, retain: !!cfg.retain };
        if (v === 5) {
          opts.properties = {};
          if (cfg.userProperties) { opts.properties.userProperties = cfg.userProperties; }
          if (cfg.contentType) { opts.properties.contentType = cfg.contentType; }
        }
        pub.publish(cfg.topic, (cfg.payloadPrefix || 'msg-') + i, opts);
      }
    });
  });
});
sub.on('message', (topic, payload, packet) => {
  const props = packet.properties || {};
  result.received.push({ topic, payload: payload.toString(), qos: packet.qos,
                         retain: packet.retain,
                         userProperties: props.userProperties || null,
                         contentType: props.contentType || null });
  if (result.received.length >= expectN) {
    clearTimeout(timer);
    result.ok = true;
    sub.end(false, {}, () => finish(0));
  }
});
