#!/usr/bin/env python3
"""Writes the binary seed corpora of the fuzz targets into tests/data/fuzz/<target>/.

Each seed is one well-formed exchange in the wire format the target reads (adb transport
packets, sync requests and replies, outbox records), so libFuzzer starts from inputs that
reach deep paths. Run it again after changing a format; the files are committed.
"""
import os
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fuzz")


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def hex4(s):
    return b"%04x" % len(s) + s


def adb_packet(cmd, arg0, arg1, payload):
    c = struct.unpack("<I", cmd)[0]
    return struct.pack("<6I", c, arg0, arg1, len(payload), sum(payload) & 0xFFFFFFFF,
                       c ^ 0xFFFFFFFF) + payload


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def pb_bytes(field, value):
    return bytes([field << 3 | 2, len(value)]) + value


def pb_varint(field, value):
    out = bytes([field << 3])
    while True:
        b = value & 0x7F
        value >>= 7
        out += bytes([b | (0x80 if value else 0)])
        if not value:
            return out


def outbox_record(kind, payload):
    return u32(len(payload)) + u32(crc32c(bytes([kind]) + payload)) + bytes([kind]) + payload


def run_event(event_id, run_id, state=None, lines=None):
    ev = pb_bytes(1, event_id) + pb_bytes(2, run_id) + pb_varint(3, 1) + pb_varint(4, 1700000000000)
    if state is not None:
        ev += pb_varint(5, state)
    if lines is not None:
        ev += pb_bytes(7, b"".join(pb_bytes(1, l) for l in lines))
    return ev


def stat_v2(mode, size, mtime):
    return (b"STA2" + u32(0) + u64(2049) + u64(1234) + u32(mode) + u32(1) + u32(2000) + u32(2000)
            + u64(size) + u64(mtime) + u64(mtime) + u64(mtime))


SEEDS = {
    "devsim_adb_packet_fuzz": {
        "cnxn": adb_packet(b"CNXN", 0x01000001, 256 * 1024,
                           b"host::features=shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,abb_exec"),
        "open_shell": adb_packet(b"OPEN", 1, 0, b"shell,v2,raw:getprop ro.product.model\0"),
        "wrte": adb_packet(b"WRTE", 1, 7, b"STAT\x04\x00\x00\x00/sys"),
        "clse": adb_packet(b"CLSE", 1, 7, b""),
    },
    "devsim_sync_fuzz": {
        "stat": b"STAT" + u32(15) + b"/data/local/tmp" + b"QUIT" + u32(0),
        "sta2": b"STA2" + u32(8) + b"/sdcard/",
        "lis2": b"LIS2" + u32(15) + b"/data/local/tmp",
        "send": b"SEND" + u32(30) + b"/data/local/tmp/m.tflite,33188" + b"DATA" + u32(5) + b"TFL3x"
                + b"DONE" + u32(1700000000),
        "recv": b"RECV" + u32(17) + b"/proc/cpuinfo_max",
    },
    "agent_adb_fuzz": {
        "stat_v1": bytes([0]) + b"STAT" + u32(0o100644) + u32(4096) + u32(1700000000),
        "stat_v2": bytes([8]) + stat_v2(0o100644, 1 << 20, 1700000000),
        "pull": bytes([1]) + b"DATA" + u32(6) + b"{\"a\":1" + b"DATA" + u32(1) + b"}" + b"DONE" + u32(0),
        "pull_fail": bytes([1]) + b"FAIL" + u32(31) + b"open failed: No such file or dir",
        "shell_v1": bytes([2]) + b"34\n",
        "shell_v2": bytes([10]) + b"\x01" + u32(3) + b"34\n" + b"\x02" + u32(2) + b"e\n" + b"\x03" + u32(1) + b"\x00",
        "devices": bytes([3]) + b"OKAY" + hex4(
            b"127.0.0.1:40001        device product:husky model:Pixel_8_Pro device:husky transport_id:1\n"
            b"emulator-5554          offline transport_id:2\n"),
        "exec": bytes([4]) + b"MemTotal:        7869448 kB\n",
        "codecs": bytes([5]) + b"001cdevice '127.0.0.1:40001' not found",
    },
    "outbox_fuzz": {
        "events": outbox_record(1, run_event(b"r1/1/1", b"r1", state=5))
                  + outbox_record(1, run_event(b"r1/1/2", b"r1", lines=[b"INFO: count=50", b"x"]))
                  + outbox_record(2, pb_bytes(1, b"r1/1/1"))
                  + outbox_record(3, u64(3)),
        "torn_tail": outbox_record(1, run_event(b"r2/1/1", b"r2", state=4)) + u32(40) + b"\x01\x02",
    },
}


def main():
    for target, seeds in SEEDS.items():
        d = os.path.join(ROOT, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
