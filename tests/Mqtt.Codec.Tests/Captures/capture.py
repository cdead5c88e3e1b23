#!/usr/bin/env python3
"""Re-make the captures in this folder (python3 stdlib only).

  capture.py mosquitto            run mosquitto_pub / mosquitto_sub against record.py
  capture.py mqttnet DLL          run the MQTTnet capture program (built from
                                  mqttnet-capture.cs.txt, see README.md) against record.py

Each run writes the chosen packets as <name>.hex here and puts their entries
into captures.json (entries of the other client are kept). Every case runs its
own record.py on a free 127.0.0.1 port, bounded in time. Before a packet is
kept, its decoding (decode.py) is compared with the values the command asked
for ("expect" below); any difference stops the run.
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import decode  # noqa: E402

HOST = ["-h", "127.0.0.1", "-p", "{port}"]
TOPIC = ["-t", "test/topic"]
LONG = "0123456789" * 20  # 200 bytes: remaining length needs a 2-byte variable byte integer

P = "mosquitto_pub"
S = "mosquitto_sub"
V5 = ["-V", "mqttv5"]
V311 = ["-V", "mqttv311"]


def c(tool, version, args, takes, seconds=10, exit_code=0):
    return {"tool": tool, "protocol": "5" if version is V5 else "3.1.1",
            "argv": [tool] + version + HOST + args, "takes": takes, "seconds": seconds,
            "exit_code": exit_code}


def conn(cid, **kw):
    d = {"clientId": cid}
    d.update(kw)
    return d


MOSQUITTO_CASES = [
    # ---------------- mosquitto_pub, MQTT 5 ----------------
    c(P, V5, ["-i", "pub-v5"] + TOPIC + ["-m", "hello"], [
        ("c01-01-connect", "mosquitto_pub-v5-connect", conn("pub-v5", keepAlive=60, cleanStart=True, will=None, userName=None, password=None)),
        ("c01-02-publish", "mosquitto_pub-v5-publish-qos0", {"topic": "test/topic", "payload": "hello", "qos": 0, "retain": False, "packetId": None}),
        ("c01-03-disconnect", "mosquitto_pub-v5-disconnect", {"reasonCode": 0, "properties": {}}),
    ]),
    c(P, V5, ["-i", "pub-v5-will", "--will-topic", "will/topic", "--will-payload", "gone", "--will-qos", "1",
              "--will-retain"] + TOPIC + ["-m", "hello", "-q", "1"], [
        ("c01-01-connect", "mosquitto_pub-v5-connect-will", conn("pub-v5-will", will={"topic": "will/topic", "payload": "gone", "qos": 1, "retain": True, "properties": {}})),
        ("c01-02-publish", "mosquitto_pub-v5-publish-qos1", {"topic": "test/topic", "payload": "hello", "qos": 1, "retain": False, "packetId": 1}),
    ]),
    c(P, V5, ["-i", "pub-v5-auth", "-u", "user1", "-P", "secret1"] + TOPIC + ["-m", "hello", "-q", "2"], [
        ("c01-01-connect", "mosquitto_pub-v5-connect-user-password", conn("pub-v5-auth", userName="user1", password="secret1", will=None)),
        ("c01-02-publish", "mosquitto_pub-v5-publish-qos2", {"topic": "test/topic", "payload": "hello", "qos": 2, "packetId": 1}),
        ("c01-03-pubrel", "mosquitto_pub-v5-pubrel", {"packetId": 1, "reasonCode": 0}),
    ]),
    c(P, V5, ["-i", "pub-v5-auth-will", "-u", "user1", "-P", "secret1", "--will-topic", "will/topic",
              "--will-payload", "gone", "--will-qos", "2"] + TOPIC + ["-m", "hello"], [
        ("c01-01-connect", "mosquitto_pub-v5-connect-will-user-password", conn("pub-v5-auth-will", userName="user1", password="secret1", will={"topic": "will/topic", "payload": "gone", "qos": 2, "retain": False})),
    ]),
    c(P, V5, ["-i", "pub-v5-props", "-k", "30",
              "-D", "connect", "session-expiry-interval", "60",
              "-D", "connect", "receive-maximum", "10",
              "-D", "connect", "maximum-packet-size", "65536",
              "-D", "connect", "topic-alias-maximum", "5",
              "-D", "connect", "request-response-information", "1",
              "-D", "connect", "request-problem-information", "0",
              "-D", "connect", "user-property", "k", "v",
              "-D", "connect", "user-property", "k2", "v2"] + TOPIC + ["-m", "hello", "-q", "1", "-r"], [
        ("c01-01-connect", "mosquitto_pub-v5-connect-properties", conn("pub-v5-props", keepAlive=30, properties={
            "Session Expiry Interval": 60, "Receive Maximum": 10, "Maximum Packet Size": 65536, "Topic Alias Maximum": 5,
            "Request Response Information": 1, "Request Problem Information": 0, "User Property": [["k", "v"], ["k2", "v2"]]})),
        ("c01-02-publish", "mosquitto_pub-v5-publish-qos1-retain", {"topic": "test/topic", "payload": "hello", "qos": 1, "retain": True, "packetId": 1}),
    ]),
    c(P, V5, ["-i", "pub-v5-will-props", "--will-topic", "will/topic", "--will-payload", "gone", "--will-qos", "1",
              "-D", "will", "will-delay-interval", "10",
              "-D", "will", "message-expiry-interval", "300",
              "-D", "will", "content-type", "text/plain",
              "-D", "will", "payload-format-indicator", "1",
              "-D", "will", "response-topic", "will/resp",
              "-D", "will", "correlation-data", "wc1",
              "-D", "will", "user-property", "wk", "wv"] + TOPIC + ["-m", "hello"], [
        ("c01-01-connect", "mosquitto_pub-v5-connect-will-properties", conn("pub-v5-will-props", will={
            "topic": "will/topic", "payload": "gone", "qos": 1, "retain": False, "properties": {
                "Will Delay Interval": 10, "Message Expiry Interval": 300, "Content Type": "text/plain",
                "Payload Format Indicator": 1, "Response Topic": "will/resp", "Correlation Data": b"wc1".hex(),
                "User Property": [["wk", "wv"]]}})),
    ]),
    c(P, V5, ["-i", "pub-v5-pprops"] + TOPIC + ["-m", "hello", "-q", "1",
              "-D", "publish", "message-expiry-interval", "30",
              "-D", "publish", "content-type", "text/plain",
              "-D", "publish", "payload-format-indicator", "1",
              "-D", "publish", "user-property", "a", "b",
              "-D", "publish", "response-topic", "r/t",
              "-D", "publish", "correlation-data", "corr-1"], [
        ("c01-02-publish", "mosquitto_pub-v5-publish-properties", {"topic": "test/topic", "payload": "hello", "qos": 1, "packetId": 1, "properties": {
            "Message Expiry Interval": 30, "Content Type": "text/plain", "Payload Format Indicator": 1,
            "User Property": [["a", "b"]], "Response Topic": "r/t", "Correlation Data": b"corr-1".hex()}}),
    ]),
    c(P, V5, ["-i", "pub-v5-disc", "-x", "120",
              "-D", "disconnect", "session-expiry-interval", "30",
              "-D", "disconnect", "user-property", "reason", "bye"] + TOPIC + ["-m", "hello"], [
        ("c01-01-connect", "mosquitto_pub-v5-connect-session-expiry", conn("pub-v5-disc", cleanStart=True, properties={"Session Expiry Interval": 120})),
        ("c01-03-disconnect", "mosquitto_pub-v5-disconnect-properties", {"reasonCode": 0, "properties": {
            "Session Expiry Interval": 30, "User Property": [["reason", "bye"]]}}),
    ]),
    c(P, V5, ["-i", "pub-v5-empty"] + TOPIC + ["-n", "-r"], [
        ("c01-02-publish", "mosquitto_pub-v5-publish-qos0-retain-empty", {"topic": "test/topic", "payload": "", "payloadLength": 0, "qos": 0, "retain": True}),
    ]),
    c(P, V5, ["-i", "pub-v5-long", "-t", "t\u00ebst/\u00fc\u20ac", "-m", LONG, "-q", "1"], [
        ("c01-02-publish", "mosquitto_pub-v5-publish-qos1-long-utf8", {"topic": "t\u00ebst/\u00fc\u20ac", "payload": LONG, "payloadLength": 200, "qos": 1, "packetId": 1}),
    ]),
    # ---------------- mosquitto_pub, MQTT 3.1.1 ----------------
    c(P, V311, ["-i", "pub-v311"] + TOPIC + ["-m", "hello"], [
        ("c01-01-connect", "mosquitto_pub-v311-connect", conn("pub-v311", protocolLevel=4, keepAlive=60, cleanStart=True, will=None, userName=None, password=None)),
        ("c01-02-publish", "mosquitto_pub-v311-publish-qos0", {"topic": "test/topic", "payload": "hello", "qos": 0, "retain": False, "packetId": None}),
        ("c01-03-disconnect", "mosquitto_pub-v311-disconnect", {}),
    ]),
    c(P, V311, ["-i", "pub-v311-will", "--will-topic", "will/topic", "--will-payload", "gone", "--will-qos", "1",
                "--will-retain"] + TOPIC + ["-m", "hello", "-q", "1"], [
        ("c01-01-connect", "mosquitto_pub-v311-connect-will", conn("pub-v311-will", will={"topic": "will/topic", "payload": "gone", "qos": 1, "retain": True})),
        ("c01-02-publish", "mosquitto_pub-v311-publish-qos1", {"topic": "test/topic", "payload": "hello", "qos": 1, "retain": False, "packetId": 1}),
    ]),
    c(P, V311, ["-i", "pub-v311-auth", "-u", "user1", "-P", "secret1"] + TOPIC + ["-m", "hello", "-q", "2"], [
        ("c01-01-connect", "mosquitto_pub-v311-connect-user-password", conn("pub-v311-auth", userName="user1", password="secret1")),
        ("c01-02-publish", "mosquitto_pub-v311-publish-qos2", {"topic": "test/topic", "payload": "hello", "qos": 2, "packetId": 1}),
        ("c01-03-pubrel", "mosquitto_pub-v311-pubrel", {"packetId": 1}),
    ]),
    c(P, V311, ["-i", "pub-v311-auth-will", "-k", "30", "-u", "user1", "-P", "secret1", "--will-topic", "will/topic",
                "--will-payload", "gone", "--will-qos", "2", "--will-retain"] + TOPIC + ["-m", "hello", "-q", "1", "-r"], [
        ("c01-01-connect", "mosquitto_pub-v311-connect-will-user-password", conn("pub-v311-auth-will", keepAlive=30, userName="user1", password="secret1", will={"topic": "will/topic", "payload": "gone", "qos": 2, "retain": True})),
        ("c01-02-publish", "mosquitto_pub-v311-publish-qos1-retain", {"topic": "test/topic", "payload": "hello", "qos": 1, "retain": True, "packetId": 1}),
    ]),
    c(P, V311, ["-i", "pub-v311-long", "-t", "t\u00ebst/\u00fc\u20ac", "-m", LONG, "-q", "2", "-r"], [
        ("c01-02-publish", "mosquitto_pub-v311-publish-qos2-retain-long-utf8", {"topic": "t\u00ebst/\u00fc\u20ac", "payload": LONG, "payloadLength": 200, "qos": 2, "retain": True, "packetId": 1}),
    ]),
    # ---------------- mosquitto_sub, MQTT 5 ----------------
    c(S, V5, ["-i", "sub-v5", "-t", "test/#", "-E"], [
        ("c01-01-connect", "mosquitto_sub-v5-connect", conn("sub-v5", cleanStart=True)),
        ("c01-02-subscribe", "mosquitto_sub-v5-subscribe-qos0", {"packetId": 1, "properties": {}, "subscriptions": [
            {"filter": "test/#", "qos": 0, "noLocal": False, "retainAsPublished": False, "retainHandling": 0}]}),
        ("c01-03-disconnect", "mosquitto_sub-v5-disconnect", {"reasonCode": 0}),
    ]),
    c(S, V5, ["-i", "sub-v5-multi", "-t", "a/b", "-t", "c/+/d", "-t", "e/#", "-q", "2", "--retain-as-published", "-R", "-E"], [
        ("c01-02-subscribe", "mosquitto_sub-v5-subscribe-multi-qos2-rap-rh2", {"packetId": 1, "subscriptions": [
            {"filter": f, "qos": 2, "noLocal": False, "retainAsPublished": True, "retainHandling": 2} for f in ("a/b", "c/+/d", "e/#")]}),
    ]),
    c(S, V5, ["-i", "sub-v5-props", "-t", "test/topic", "-q", "1", "-D", "subscribe", "user-property", "sk", "sv", "-E"], [
        ("c01-02-subscribe", "mosquitto_sub-v5-subscribe-qos1-properties", {"packetId": 1, "properties": {"User Property": [["sk", "sv"]]}, "subscriptions": [
            {"filter": "test/topic", "qos": 1, "noLocal": False, "retainAsPublished": False, "retainHandling": 0}]}),
    ]),
    c(S, V5, ["-i", "sub-v5-unsub", "-t", "x/y", "-U", "x/y", "-E"], [
        ("c01-03-unsubscribe", "mosquitto_sub-v5-unsubscribe", {"packetId": 2, "properties": {}, "filters": ["x/y"]}),
    ]),
    c(S, V5, ["-i", "sub-v5-unsub-props", "-t", "x/y", "-U", "x/y", "-D", "unsubscribe", "user-property", "uk", "uv", "-E"], [
        ("c01-03-unsubscribe", "mosquitto_sub-v5-unsubscribe-properties", {"packetId": 2, "properties": {"User Property": [["uk", "uv"]]}, "filters": ["x/y"]}),
    ]),
    c(S, V5, ["-i", "sub-v5-persist", "-c", "-t", "test/#", "-q", "1", "-E"], [
        ("c01-01-connect", "mosquitto_sub-v5-connect-persistent", conn("sub-v5-persist", cleanStart=False, properties={"Session Expiry Interval": 4294967295})),
    ]),
    c(S, V5, ["-i", "sub-v5-ping", "-k", "5", "-W", "7", "-t", "test/#"], [
        ("c01-01-connect", "mosquitto_sub-v5-connect-keepalive5", conn("sub-v5-ping", keepAlive=5)),
        ("c01-03-pingreq", "mosquitto_sub-v5-pingreq", {}),
        # -W's time-out ends with reason 0x04 "Disconnect with Will Message"; exit code 27 = MOSQ_ERR_TIMEOUT
        ("c01-04-disconnect", "mosquitto_sub-v5-disconnect-reason-4", {"reasonCode": 4, "properties": {}}),
    ], seconds=15, exit_code=27),
    # ---------------- mosquitto_sub, MQTT 3.1.1 ----------------
    c(S, V311, ["-i", "sub-v311", "-t", "test/#", "-E"], [
        ("c01-01-connect", "mosquitto_sub-v311-connect", conn("sub-v311", cleanStart=True)),
        ("c01-02-subscribe", "mosquitto_sub-v311-subscribe-qos0", {"packetId": 1, "subscriptions": [
            {"filter": "test/#", "qos": 0, "noLocal": False, "retainAsPublished": False, "retainHandling": 0}]}),
        ("c01-03-disconnect", "mosquitto_sub-v311-disconnect", {}),
    ]),
    c(S, V311, ["-i", "sub-v311-multi", "-t", "a/b", "-t", "c/+/d", "-t", "e/#", "-q", "1", "-E"], [
        ("c01-02-subscribe", "mosquitto_sub-v311-subscribe-multi-qos1", {"packetId": 1, "subscriptions": [
            {"filter": f, "qos": 1, "noLocal": False, "retainAsPublished": False, "retainHandling": 0} for f in ("a/b", "c/+/d", "e/#")]}),
    ]),
    c(S, V311, ["-i", "sub-v311-unsub", "-t", "x/y", "-U", "x/y", "-E"], [
        ("c01-03-unsubscribe", "mosquitto_sub-v311-unsubscribe", {"packetId": 2, "filters": ["x/y"]}),
    ]),
    c(S, V311, ["-i", "sub-v311-persist", "-c", "-t", "test/#", "-q", "2", "-E"], [
        ("c01-01-connect", "mosquitto_sub-v311-connect-persistent", conn("sub-v311-persist", cleanStart=False)),
        ("c01-02-subscribe", "mosquitto_sub-v311-subscribe-qos2", {"packetId": 1, "subscriptions": [
            {"filter": "test/#", "qos": 2, "noLocal": False, "retainAsPublished": False, "retainHandling": 0}]}),
    ]),
    c(S, V311, ["-i", "sub-v311-ping", "-k", "5", "-W", "7", "-t", "test/#"], [
        ("c01-03-pingreq", "mosquitto_sub-v311-pingreq", {}),
    ], seconds=15, exit_code=27),
]


def matches(expected, actual):
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            matches(e, a) for e, a in zip(expected, actual))
    return type(expected) is type(actual) and expected == actual


def tool_version(tool):
    out = subprocess.run([tool, "--help"], capture_output=True, text=True).stdout
    # "mosquitto_pub version 2.0.11 running on libmosquitto 2.0.11."
    for line in out.splitlines():
        if " version " in line:
            return "%s %s" % (tool, line.split(" version ")[1].split()[0])
    raise SystemExit("cannot find the version of " + tool)


def record(argv, seconds, raw, max_connections=50, exit_code=0):
    cmd = [sys.executable, os.path.join(HERE, "record.py"), "--out", raw, "--timeout", str(seconds),
           "--max-connections", str(max_connections), "--"] + argv
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 15)
    print(res.stdout, end="")
    if "client exit code %d\n" % exit_code not in res.stdout:
        print(res.stderr, end="")
        raise SystemExit("client failed: " + " ".join(argv))


def keep(raw, rawname, final, protocol, client, command, expect, entries):
    data = decode.read_hex(os.path.join(raw, rawname + ".hex"))
    packet, proto, fields = decode.decode(data, protocol == "5")
    if proto is not None and proto != protocol:
        raise SystemExit("%s: protocol %s, expected %s" % (final, proto, protocol))
    if not matches(expect, fields):
        raise SystemExit("%s: decoded %s does not match expected %s"
                         % (final, json.dumps(fields), json.dumps(expect)))
    with open(os.path.join(HERE, final + ".hex"), "w") as fh:
        fh.write(data.hex() + "\n")
    entries[final + ".hex"] = {"file": final + ".hex", "client": client, "protocol": protocol,
                               "packet": packet, "command": command, "fields": fields}


def load_manifest():
    path = os.path.join(HERE, "captures.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        return {e["file"]: e for e in json.load(fh)}


def save_manifest(entries):
    with open(os.path.join(HERE, "captures.json"), "w", encoding="utf-8") as fh:
        json.dump([entries[k] for k in sorted(entries)], fh, indent=2, ensure_ascii=False)
        fh.write("\n")


def run_mosquitto():
    entries = {k: v for k, v in load_manifest().items() if not k.startswith("mosquitto_")}
    versions = {t: tool_version(t) for t in (P, S)}
    tmp = tempfile.mkdtemp(prefix="mqtt-captures-")
    try:
        for i, case in enumerate(MOSQUITTO_CASES):
            raw = os.path.join(tmp, "case%02d" % i)
            record(case["argv"], case["seconds"], raw, exit_code=case["exit_code"])
            command = shlex.join(case["argv"]).replace("'{port}'", "{port}")
            for rawname, final, expect in case["takes"]:
                keep(raw, rawname, final, case["protocol"], versions[case["tool"]], command, expect, entries)
    finally:
        shutil.rmtree(tmp)
    save_manifest(entries)


# ---------------- MQTTnet ----------------
# mqttnet-capture.cs.txt makes one connection per scenario, in order: c01, c02, c03.
# "command" in the manifest is the MQTTnet call that sent the packet, as written in that program.
MQTTNET_CLIENT = "MQTTnet 5.2.0.1603"
NET_OPTS = 'new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithTimeout(TimeSpan.FromSeconds(5))'
NET_FULL = (NET_OPTS + '.WithProtocolVersion(MqttProtocolVersion.V500).WithClientId("mqttnet-v5-full").WithCleanStart(true)'
            '.WithKeepAlivePeriod(TimeSpan.FromSeconds(30)).WithSessionExpiryInterval(300).WithReceiveMaximum(10)'
            '.WithMaximumPacketSize(1048576).WithTopicAliasMaximum(5).WithRequestProblemInformation(false)'
            '.WithRequestResponseInformation(true).WithUserProperty("app", "capture").WithUserProperty("k", "v")'
            '.WithCredentials("user1", "secret1").WithWillTopic("will/topic").WithWillPayload("gone")'
            '.WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithWillRetain(true)'
            '.WithWillDelayInterval(10).WithWillMessageExpiryInterval(300).WithWillContentType("text/plain")'
            '.WithWillPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData).WithWillResponseTopic("will/resp")'
            '.WithWillCorrelationData(new byte[] { 1, 2, 3, 4 }).WithWillUserProperty("wk", "wv").Build()')


def net_connect(version, cid, extra=""):
    return ("client.ConnectAsync(" + NET_OPTS + ".WithProtocolVersion(MqttProtocolVersion.%s).WithClientId(\"%s\")"
            ".WithCleanSession(true).WithKeepAlivePeriod(TimeSpan.FromSeconds(30))%s.Build())" % (version, cid, extra))


def net_publish(topic, payload, qos, extra=""):
    return ('client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("%s").WithPayload(%s)'
            '.WithQualityOfServiceLevel(MqttQualityOfServiceLevel.%s)%s.Build())' % (topic, payload, qos, extra))


NET_V5_SUB = ('client.SubscribeAsync(factory.CreateSubscribeOptionsBuilder()'
              '.WithTopicFilter(f => f.WithTopic("a/b").WithAtLeastOnceQoS().WithNoLocal(true).WithRetainAsPublished(true).WithRetainHandling(MqttRetainHandling.DoNotSendOnSubscribe))'
              '.WithTopicFilter(f => f.WithTopic("c/+/d").WithExactlyOnceQoS().WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly))'
              '.WithTopicFilter(f => f.WithTopic("e/#").WithAtMostOnceQoS())'
              '.WithSubscriptionIdentifier(300).WithUserProperty("sk", "sv").Build())')
NET_V311_SUB = ('client.SubscribeAsync(factory.CreateSubscribeOptionsBuilder()'
                '.WithTopicFilter(f => f.WithTopic("a/b").WithAtLeastOnceQoS())'
                '.WithTopicFilter(f => f.WithTopic("c/+/d").WithExactlyOnceQoS())'
                '.WithTopicFilter(f => f.WithTopic("e/#").WithAtMostOnceQoS()).Build())')
NET_UNSUB = 'client.UnsubscribeAsync(factory.CreateUnsubscribeOptionsBuilder().WithTopicFilter("a/b").WithTopicFilter("c/+/d")%s.Build())'
NET_TEXT = '.WithContentType("text/plain").WithUserProperty("a", "b")'
NET_JSON = ('.WithContentType("application/json").WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)'
            '.WithMessageExpiryInterval(30).WithResponseTopic("r/t").WithCorrelationData(Encoding.UTF8.GetBytes("corr-1"))'
            '.WithUserProperty("x", "1").WithUserProperty("x", "2")')
NET_WILL311 = ('.WithCredentials("user1", "secret1").WithWillTopic("will/topic").WithWillPayload("gone")'
               '.WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithWillRetain(true)')
NET_PING = "client.PingAsync()"
NET_DISC = "client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build())"
SUB_DEFAULT = {"noLocal": False, "retainAsPublished": False, "retainHandling": 0}

MQTTNET_TAKES = [
    # (raw packet, file, protocol, command, expect)
    ("c01-01-connect", "mqttnet-v5-connect-properties-will-user-password", "5", "client.ConnectAsync(" + NET_FULL + ")",
     conn("mqttnet-v5-full", keepAlive=30, cleanStart=True, userName="user1", password="secret1", properties={
         "Session Expiry Interval": 300, "Request Problem Information": 0, "Request Response Information": 1,
         "Receive Maximum": 10, "Topic Alias Maximum": 5, "Maximum Packet Size": 1048576,
         "User Property": [["app", "capture"], ["k", "v"]]},
         will={"topic": "will/topic", "payload": "gone", "qos": 1, "retain": True, "properties": {
             "Payload Format Indicator": 1, "Message Expiry Interval": 300, "Response Topic": "will/resp",
             "Correlation Data": "01020304", "Content Type": "text/plain", "User Property": [["wk", "wv"]],
             "Will Delay Interval": 10}})),
    # WithReasonString("bye") is asked for but MQTTnet 5.2.0.1603 does not send a Reason String here
    ("c01-02-disconnect", "mqttnet-v5-disconnect-reason-properties", "5",
     'client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage)'
     '.WithReasonString("bye").WithSessionExpiryInterval(60).WithUserProperty("dk", "dv").Build())',
     {"reasonCode": 4, "properties": {"Session Expiry Interval": 60, "User Property": [["dk", "dv"]]}}),
    ("c02-01-connect", "mqttnet-v5-connect", "5", net_connect("V500", "mqttnet-v5"),
     conn("mqttnet-v5", keepAlive=30, cleanStart=True, properties={}, will=None, userName=None, password=None)),
    ("c02-02-publish", "mqttnet-v5-publish-qos0-properties", "5", net_publish("test/topic", '"hello"', "AtMostOnce", NET_TEXT),
     {"topic": "test/topic", "payload": "hello", "qos": 0, "retain": False, "packetId": None,
      "properties": {"Content Type": "text/plain", "User Property": [["a", "b"]]}}),
    ("c02-03-publish", "mqttnet-v5-publish-qos1-retain-properties", "5",
     net_publish("test/topic", '"hello"', "AtLeastOnce", ".WithRetainFlag(true)" + NET_TEXT),
     {"topic": "test/topic", "payload": "hello", "qos": 1, "retain": True, "packetId": 1,
      "properties": {"Content Type": "text/plain", "User Property": [["a", "b"]]}}),
    ("c02-04-publish", "mqttnet-v5-publish-qos2-properties", "5", net_publish("test/json", '"{\\"n\\":1}"', "ExactlyOnce", NET_JSON),
     {"topic": "test/json", "payload": '{"n":1}', "qos": 2, "retain": False, "packetId": 2, "properties": {
         "Content Type": "application/json", "Correlation Data": b"corr-1".hex(), "Message Expiry Interval": 30,
         "Payload Format Indicator": 1, "Response Topic": "r/t", "User Property": [["x", "1"], ["x", "2"]]}}),
    ("c02-05-pubrel", "mqttnet-v5-pubrel", "5", "(sent by PublishAsync of the QoS 2 message on PUBREC)",
     {"packetId": 2, "reasonCode": 0, "properties": {}}),
    ("c02-06-subscribe", "mqttnet-v5-subscribe-options-subscription-id", "5", NET_V5_SUB,
     {"packetId": 3, "properties": {"Subscription Identifier": 300, "User Property": [["sk", "sv"]]}, "subscriptions": [
         {"filter": "a/b", "qos": 1, "noLocal": True, "retainAsPublished": True, "retainHandling": 2},
         {"filter": "c/+/d", "qos": 2, "noLocal": False, "retainAsPublished": False, "retainHandling": 1},
         dict(filter="e/#", qos=0, **SUB_DEFAULT)]}),
    ("c02-07-unsubscribe", "mqttnet-v5-unsubscribe-properties", "5", NET_UNSUB % '.WithUserProperty("uk", "uv")',
     {"packetId": 4, "properties": {"User Property": [["uk", "uv"]]}, "filters": ["a/b", "c/+/d"]}),
    ("c02-08-pingreq", "mqttnet-v5-pingreq", "5", NET_PING, {}),
    ("c02-09-disconnect", "mqttnet-v5-disconnect", "5", NET_DISC, {"reasonCode": 0, "properties": {}}),
    ("c03-01-connect", "mqttnet-v311-connect-will-user-password", "3.1.1", net_connect("V311", "mqttnet-v311", NET_WILL311),
     conn("mqttnet-v311", protocolLevel=4, keepAlive=30, cleanStart=True, userName="user1", password="secret1",
          will={"topic": "will/topic", "payload": "gone", "qos": 1, "retain": True})),
    ("c03-02-publish", "mqttnet-v311-publish-qos0", "3.1.1", net_publish("test/topic", '"hello"', "AtMostOnce"),
     {"topic": "test/topic", "payload": "hello", "qos": 0, "retain": False, "packetId": None}),
    ("c03-03-publish", "mqttnet-v311-publish-qos1-retain", "3.1.1", net_publish("test/topic", '"hello"', "AtLeastOnce", ".WithRetainFlag(true)"),
     {"topic": "test/topic", "payload": "hello", "qos": 1, "retain": True, "packetId": 1}),
    ("c03-04-publish", "mqttnet-v311-publish-qos2", "3.1.1", net_publish("test/json", '"{\\"n\\":1}"', "ExactlyOnce"),
     {"topic": "test/json", "payload": '{"n":1}', "qos": 2, "retain": False, "packetId": 2}),
    ("c03-05-pubrel", "mqttnet-v311-pubrel", "3.1.1", "(sent by PublishAsync of the QoS 2 message on PUBREC)", {"packetId": 2}),
    ("c03-06-subscribe", "mqttnet-v311-subscribe-multi", "3.1.1", NET_V311_SUB,
     {"packetId": 3, "subscriptions": [dict(filter="a/b", qos=1, **SUB_DEFAULT), dict(filter="c/+/d", qos=2, **SUB_DEFAULT),
                                       dict(filter="e/#", qos=0, **SUB_DEFAULT)]}),
    ("c03-07-unsubscribe", "mqttnet-v311-unsubscribe", "3.1.1", NET_UNSUB % "", {"packetId": 4, "filters": ["a/b", "c/+/d"]}),
    ("c03-08-pingreq", "mqttnet-v311-pingreq", "3.1.1", NET_PING, {}),
    ("c03-09-disconnect", "mqttnet-v311-disconnect", "3.1.1", NET_DISC, {}),
]


def run_mqttnet(dll):
    entries = {k: v for k, v in load_manifest().items() if not k.startswith("mqttnet-")}
    tmp = tempfile.mkdtemp(prefix="mqtt-captures-")
    try:
        raw = os.path.join(tmp, "mqttnet")
        record(["dotnet", dll, "{port}"], 60, raw, max_connections=3)
        for rawname, final, protocol, command, expect in MQTTNET_TAKES:
            keep(raw, rawname, final, protocol, MQTTNET_CLIENT, command, expect, entries)
    finally:
        shutil.rmtree(tmp)
    save_manifest(entries)


def main():
    if sys.argv[1:2] == ["mosquitto"]:
        run_mosquitto()
    elif sys.argv[1:2] == ["mqttnet"] and len(sys.argv) == 3:
        run_mqttnet(os.path.abspath(sys.argv[2]))
    else:
        sys.exit(__doc__)
    ok = decode.check(HERE)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
