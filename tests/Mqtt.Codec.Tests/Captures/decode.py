#!/usr/bin/env python3
"""Small stand-alone MQTT 3.1.1 / 5 packet decoder (python3 stdlib only).

It gives the "fields" object of captures.json for one packet (see README.md
for the schema). It is written straight from the MQTT 5.0 and 3.1.1 specs and
shares no code with MqttCore, so it can be used to check the manifest.

  decode.py FILE.hex [--v5|--v311]   print the fields of one capture
  decode.py --check                  re-decode every capture listed in
                                     captures.json and compare with its fields

Packets other than CONNECT do not say their protocol version; pass --v5 or
--v311 (--check takes it from the manifest's "protocol").
"""
import json
import os
import sys

PACKET_NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC",
                6: "PUBREL", 7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK",
                10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
                14: "DISCONNECT", 15: "AUTH"}

# id -> (MQTT 5 spec name, type)
PROPS = {
    0x01: ("Payload Format Indicator", "byte"),
    0x02: ("Message Expiry Interval", "u32"),
    0x03: ("Content Type", "str"),
    0x08: ("Response Topic", "str"),
    0x09: ("Correlation Data", "bin"),
    0x0B: ("Subscription Identifier", "vbi"),
    0x11: ("Session Expiry Interval", "u32"),
    0x12: ("Assigned Client Identifier", "str"),
    0x13: ("Server Keep Alive", "u16"),
    0x15: ("Authentication Method", "str"),
    0x16: ("Authentication Data", "bin"),
    0x17: ("Request Problem Information", "byte"),
    0x18: ("Will Delay Interval", "u32"),
    0x19: ("Request Response Information", "byte"),
    0x1A: ("Response Information", "str"),
    0x1C: ("Server Reference", "str"),
    0x1F: ("Reason String", "str"),
    0x21: ("Receive Maximum", "u16"),
    0x22: ("Topic Alias Maximum", "u16"),
    0x23: ("Topic Alias", "u16"),
    0x24: ("Maximum QoS", "byte"),
    0x25: ("Retain Available", "byte"),
    0x26: ("User Property", "pair"),
    0x27: ("Maximum Packet Size", "u32"),
    0x28: ("Wildcard Subscription Available", "byte"),
    0x29: ("Subscription Identifier Available", "byte"),
    0x2A: ("Shared Subscription Available", "byte"),
}


class Reader:
    def __init__(self, data):
        self.d = data
        self.p = 0

    def left(self):
        return len(self.d) - self.p

    def byte(self):
        if self.p >= len(self.d):
            raise ValueError("truncated")
        b = self.d[self.p]
        self.p += 1
        return b

    def u16(self):
        return (self.byte() << 8) | self.byte()

    def u32(self):
        return (self.u16() << 16) | self.u16()

    def vbi(self):
        value, mult = 0, 1
        for _ in range(4):
            b = self.byte()
            value += (b & 0x7F) * mult
            if not b & 0x80:
                return value
            mult *= 128
        raise ValueError("malformed variable byte integer")

    def raw(self, n):
        if self.p + n > len(self.d):
            raise ValueError("truncated")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def binary(self):
        return self.raw(self.u16())

    def string(self):
        return self.binary().decode("utf-8")

    def properties(self):
        length = self.vbi()
        end = self.p + length
        out = {}
        while self.p < end:
            pid = self.vbi()
            name, kind = PROPS[pid]
            if kind == "byte":
                v = self.byte()
            elif kind == "u16":
                v = self.u16()
            elif kind == "u32":
                v = self.u32()
            elif kind == "vbi":
                v = self.vbi()
            elif kind == "str":
                v = self.string()
            elif kind == "bin":
                v = self.binary().hex()
            else:
                v = [self.string(), self.string()]
            if kind == "pair":
                out.setdefault(name, []).append(v)
            elif name in out:
                raise ValueError("property %s repeated" % name)
            else:
                out[name] = v
        if self.p != end:
            raise ValueError("property length mismatch")
        return out


def payload_text(b):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode(packet, v5=None):
    """Decode one whole packet (bytes). Returns (packet name, protocol or None, fields)."""
    r = Reader(packet)
    first = r.byte()
    ptype, flags = first >> 4, first & 0x0F
    rl = r.vbi()
    if r.left() != rl:
        raise ValueError("remaining length %d but %d bytes follow" % (rl, r.left()))
    name = PACKET_NAMES[ptype]
    f = {}
    protocol = None
    if ptype == 1:
        f["protocolName"] = r.string()
        level = r.byte()
        f["protocolLevel"] = level
        v5 = level == 5
        protocol = {5: "5", 4: "3.1.1", 3: "3.1"}[level]
        cf = r.byte()
        if cf & 1:
            raise ValueError("reserved connect flag set")
        f["keepAlive"] = r.u16()
        f["cleanStart"] = bool(cf & 0x02)
        if v5:
            f["properties"] = r.properties()
        f["clientId"] = r.string()
        if cf & 0x04:
            w = {}
            if v5:
                w["properties"] = r.properties()
            w["topic"] = r.string()
            wp = r.binary()
            w["payload"] = payload_text(wp)
            w["payloadLength"] = len(wp)
            w["qos"] = (cf >> 3) & 3
            w["retain"] = bool(cf & 0x20)
            f["will"] = w
        else:
            f["will"] = None
        f["userName"] = r.string() if cf & 0x80 else None
        f["password"] = r.binary().decode("utf-8") if cf & 0x40 else None
    elif ptype == 3:
        f["topic"] = r.string()
        f["qos"] = (flags >> 1) & 3
        f["retain"] = bool(flags & 1)
        f["dup"] = bool(flags & 8)
        f["packetId"] = r.u16() if f["qos"] > 0 else None
        if v5:
            f["properties"] = r.properties()
        body = r.raw(r.left())
        f["payload"] = payload_text(body)
        f["payloadLength"] = len(body)
    elif ptype in (4, 5, 6, 7):
        f["packetId"] = r.u16()
        if v5:
            f["reasonCode"] = r.byte() if r.left() else 0
            f["properties"] = r.properties() if r.left() else {}
    elif ptype == 8:
        f["packetId"] = r.u16()
        if v5:
            f["properties"] = r.properties()
        subs = []
        while r.left():
            flt = r.string()
            o = r.byte()
            subs.append({"filter": flt, "qos": o & 3, "noLocal": bool(o & 4),
                         "retainAsPublished": bool(o & 8), "retainHandling": (o >> 4) & 3})
        f["subscriptions"] = subs
    elif ptype == 10:
        f["packetId"] = r.u16()
        if v5:
            f["properties"] = r.properties()
        filters = []
        while r.left():
            filters.append(r.string())
        f["filters"] = filters
    elif ptype in (12, 13):
        pass
    elif ptype in (14, 15):
        if v5:
            f["reasonCode"] = r.byte() if r.left() else 0
            f["properties"] = r.properties() if r.left() else {}
    else:
        raise ValueError("decoder does not handle %s" % name)
    if r.left():
        raise ValueError("%d bytes left over" % r.left())
    return name, protocol, f


def read_hex(path):
    with open(path) as fh:
        text = fh.read()
    if text != text.strip().lower() + "\n" or not text.strip():
        raise ValueError("%s: not one line of lowercase hex" % path)
    return bytes.fromhex(text.strip())


def check(folder):
    with open(os.path.join(folder, "captures.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    listed = set()
    bad = 0
    for e in manifest:
        listed.add(e["file"])
        name, _, f = decode(read_hex(os.path.join(folder, e["file"])), e["protocol"] == "5")
        if name != e["packet"] or f != e["fields"]:
            bad += 1
            print("MISMATCH %s\n  manifest %s %s\n  decoded  %s %s"
                  % (e["file"], e["packet"], json.dumps(e["fields"]), name, json.dumps(f)))
    for fn in sorted(os.listdir(folder)):
        if fn.endswith(".hex") and fn not in listed:
            bad += 1
            print("NOT IN MANIFEST %s" % fn)
    print("%d captures checked, %d problems" % (len(manifest), bad))
    return bad == 0


def main():
    args = sys.argv[1:]
    if args == ["--check"]:
        sys.exit(0 if check(os.path.dirname(os.path.abspath(__file__))) else 1)
    if not args:
        sys.exit(__doc__)
    v5 = None
    if "--v5" in args:
        v5 = True
    if "--v311" in args:
        v5 = False
    path = [a for a in args if not a.startswith("--")][0]
    name, protocol, f = decode(read_hex(path), v5)
    print(json.dumps({"packet": name, "protocol": protocol, "fields": f},
                     indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
