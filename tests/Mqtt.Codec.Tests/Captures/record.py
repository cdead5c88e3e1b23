#!/usr/bin/env python3
"""Tiny recording fake MQTT broker (python3 stdlib only).

Listens on 127.0.0.1:<port>, splits each TCP connection's bytes into MQTT
packets (fixed header + variable byte integer remaining length), saves each
packet's raw bytes as lowercase hex on one line, and answers just enough for a
client to go on:

  CONNECT     -> CONNACK     (v5: 20 03 00 00 00, v3.1.1/v3.1: 20 02 00 00)
  PUBLISH q1  -> PUBACK      40 02 <id>
  PUBLISH q2  -> PUBREC      50 02 <id>;  PUBREL -> PUBCOMP 70 02 <id>
  SUBSCRIBE   -> SUBACK      granting the asked QoS for every filter
                             (v5 with a property length byte 0)
  UNSUBSCRIBE -> UNSUBACK    (v5: reason code 0x00 for every filter)
  PINGREQ     -> PINGRESP    d0 00
  DISCONNECT  -> close the connection

v5 versus 3.1.1 is decided from the CONNECT's protocol level byte (5 = v5).

Output: <out>/c<NN>-<SS>-<type>.hex, NN = connection number (from 01),
SS = packet number in that connection (from 01), type = packet name in lower
case. A line per packet is also printed to stdout.

Usage:
  record.py --out DIR [--port N] [--port-file F] [--timeout S]
            [--max-connections N] [-- CLIENT COMMAND ...]

With a client command, "{port}" in its arguments is replaced by the listening
port, the command is run (bounded by --timeout) and the recorder stops when it
has exited and its connections are closed. Without one, the recorder serves
until --max-connections connections have closed or --timeout seconds passed.
--port 0 (the default) picks a free port; --port-file writes it to a file.
Never use 1883.
"""
import argparse
import os
import socket
import subprocess
import sys
import threading
import time

NAMES = {1: "connect", 2: "connack", 3: "publish", 4: "puback", 5: "pubrec",
         6: "pubrel", 7: "pubcomp", 8: "subscribe", 9: "suback",
         10: "unsubscribe", 11: "unsuback", 12: "pingreq", 13: "pingresp",
         14: "disconnect", 15: "auth"}


def read_vbi(buf, pos):
    """Variable byte integer at buf[pos:]; returns (value, next pos) or None if incomplete."""
    value, mult = 0, 1
    for i in range(4):
        if pos + i >= len(buf):
            return None
        b = buf[pos + i]
        value += (b & 0x7F) * mult
        if not b & 0x80:
            return value, pos + i + 1
        mult *= 128
    raise ValueError("malformed variable byte integer")


def protocol_level(body):
    """Protocol level byte of a CONNECT variable header."""
    name_len = (body[0] << 8) | body[1]
    return body[2 + name_len]


def filters_with_options(body, v5):
    """For SUBSCRIBE/UNSUBSCRIBE bodies: list of (filter bytes, options or None)."""
    pos = 2  # packet identifier
    if v5:
        plen, pos = read_vbi(body, pos)
        pos += plen
    out = []
    while pos < len(body):
        flen = (body[pos] << 8) | body[pos + 1]
        topic = body[pos + 2:pos + 2 + flen]
        pos += 2 + flen
        out.append(topic)
    return out, pos


def subscribe_qos_list(body, v5):
    pos = 2
    if v5:
        plen, pos = read_vbi(body, pos)
        pos += plen
    qos = []
    while pos < len(body):
        flen = (body[pos] << 8) | body[pos + 1]
        pos += 2 + flen
        qos.append(body[pos] & 0x03)
        pos += 1
    return qos


class Recorder:
    def __init__(self, out):
        self.out = out
        self.lock = threading.Lock()
        self.conn_count = 0
        self.closed = 0
        self.active = 0

    def handle(self, sock, conn_no, deadline):
        seq = 0
        v5 = False
        buf = b""
        try:
            while time.time() < deadline:
                sock.settimeout(max(0.1, min(1.0, deadline - time.time())))
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                buf += data
                closing = False
                while len(buf) >= 2:
                    r = read_vbi(buf, 1)
                    if r is None:
                        break
                    length, start = r
                    if len(buf) < start + length:
                        break
                    packet, buf = buf[:start + length], buf[start + length:]
                    body = packet[start:]
                    ptype, flags = packet[0] >> 4, packet[0] & 0x0F
                    seq += 1
                    name = NAMES.get(ptype, "type%d" % ptype)
                    fname = "c%02d-%02d-%s.hex" % (conn_no, seq, name)
                    with open(os.path.join(self.out, fname), "w") as f:
                        f.write(packet.hex() + "\n")
                    print("%s %s" % (fname, packet.hex()), flush=True)
                    reply = b""
                    if ptype == 1:
                        v5 = protocol_level(body) == 5
                        reply = bytes.fromhex("2003000000" if v5 else "20020000")
                    elif ptype == 3:
                        qos = (flags >> 1) & 3
                        tlen = (body[0] << 8) | body[1]
                        pid = body[2 + tlen:4 + tlen]
                        if qos == 1:
                            reply = b"\x40\x02" + pid
                        elif qos == 2:
                            reply = b"\x50\x02" + pid
                    elif ptype == 6:
                        reply = b"\x70\x02" + body[:2]
                    elif ptype == 8:
                        codes = bytes(subscribe_qos_list(body, v5))
                        vh = body[:2] + (b"\x00" if v5 else b"")
                        reply = b"\x90" + bytes([len(vh) + len(codes)]) + vh + codes
                    elif ptype == 10:
                        if v5:
                            n = len(filters_with_options(body, True)[0])
                            rest = body[:2] + b"\x00" + b"\x00" * n
                            reply = b"\xb0" + bytes([len(rest)]) + rest
                        else:
                            reply = b"\xb0\x02" + body[:2]
                    elif ptype == 12:
                        reply = b"\xd0\x00"
                    elif ptype == 14:
                        closing = True
                    if reply:
                        sock.sendall(reply)
                    if closing:
                        break
                if closing:
                    break
            if buf:
                print("c%02d: %d trailing bytes not a whole packet: %s"
                      % (conn_no, len(buf), buf.hex()), flush=True)
        except (OSError, ValueError) as e:
            print("c%02d: %s" % (conn_no, e), flush=True)
        finally:
            sock.close()
            with self.lock:
                self.closed += 1
                self.active -= 1


def main():
    ap = argparse.ArgumentParser(description="Recording fake MQTT broker")
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--timeout", type=float, default=20.0,
                    help="hard limit in seconds for the whole run")
    ap.add_argument("--max-connections", type=int, default=50)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.port == 1883:
        sys.exit("refusing port 1883")
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    os.makedirs(a.out, exist_ok=True)
    deadline = time.time() + a.timeout

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(8)
    srv.settimeout(0.2)
    port = srv.getsockname()[1]
    if a.port_file:
        with open(a.port_file, "w") as f:
            f.write("%d\n" % port)
    print("listening on 127.0.0.1:%d" % port, flush=True)

    rec = Recorder(a.out)
    proc = None
    if cmd:
        argv = [x.replace("{port}", str(port)) for x in cmd]
        proc = subprocess.Popen(argv)
    threads = []
    try:
        while time.time() < deadline:
            if rec.conn_count >= a.max_connections and rec.active == 0:
                break
            if proc is not None and proc.poll() is not None and rec.active == 0:
                break
            try:
                s, _ = srv.accept()
            except socket.timeout:
                continue
            if rec.conn_count >= a.max_connections:
                s.close()
                continue
            with rec.lock:
                rec.conn_count += 1
                rec.active += 1
            t = threading.Thread(target=rec.handle, args=(s, rec.conn_count, deadline),
                                 daemon=True)
            t.start()
            threads.append(t)
    finally:
        srv.close()
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(3)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            print("client exit code %d" % proc.returncode, flush=True)
        for t in threads:
            t.join(max(0.1, deadline - time.time() + 1))
    print("done: %d connection(s)" % rec.conn_count, flush=True)


if __name__ == "__main__":
    main()
