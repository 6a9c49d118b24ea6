#!/usr/bin/env python3
"""Builds the hand-checked frames of tests/messages.rs from the layouts of
JT/T 808-2013 and -2019, independently of the crate's encoder.

Run `python3 tests/vectors.py` to print each frame as the escaped bytes on
the wire (hex) plus the derived values the tests assert on.
"""
import datetime
import struct
from functools import reduce

UTC8 = datetime.timezone(datetime.timedelta(hours=8))


def bcd(digits):
    assert len(digits) % 2 == 0 and digits.isdigit()
    return bytes(int(digits[i]) << 4 | int(digits[i + 1]) for i in range(0, len(digits), 2))


def header(msg_id, body_len, phone, serial, v2019=False, protocol=1, package=None, encryption=0):
    props = body_len | encryption << 10
    if package:
        props |= 1 << 13
    if v2019:
        props |= 1 << 14
    h = struct.pack(">HH", msg_id, props)
    if v2019:
        h += bytes([protocol]) + bcd(phone.rjust(20, "0"))
    else:
        h += bcd(phone.rjust(12, "0"))
    h += struct.pack(">H", serial)
    if package:
        h += struct.pack(">HH", *package)
    return h


def frame(msg_id, body, phone, serial, **kw):
    content = header(msg_id, len(body), phone, serial, **kw) + body
    content += bytes([reduce(lambda a, b: a ^ b, content, 0)])
    esc = content.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")
    return b"\x7e" + esc + b"\x7e"


def pad(b, n):
    assert len(b) <= n
    return b + b"\0" * (n - len(b))


def t(y, mo, d, h, mi, s):
    """BCD[6] GMT+8 and the UTC epoch seconds it means."""
    dt = datetime.datetime(y, mo, d, h, mi, s, tzinfo=UTC8)
    return bcd(dt.strftime("%y%m%d%H%M%S")), int(dt.timestamp())


def basic(alarm, status, lat, lon, alt, speed, direction, when):
    return struct.pack(">IIIIHHH", alarm, status, lat, lon, alt, speed, direction) + when


def item(i, value):
    return bytes([i, len(value)]) + value


P13 = "013912345678"
P19 = "00000000013912345678"
out = {}

out["heartbeat_2013"] = frame(0x0002, b"", P13, 1)
out["heartbeat_2019"] = frame(0x0002, b"", P19, 2, v2019=True)
out["logout_2013"] = frame(0x0003, b"", P13, 3)
out["logout_2019"] = frame(0x0003, b"", P19, 3, v2019=True)
out["terminal_response_2013"] = frame(0x0001, struct.pack(">HHB", 0x0010, 0x8103, 0), P13, 4)
out["terminal_response_2019"] = frame(0x0001, struct.pack(">HHB", 0x0011, 0x8300, 3), P19, 4, v2019=True)
out["platform_response_2013"] = frame(0x8001, struct.pack(">HHB", 0x0102, 0x0200, 4), P13, 9)
out["platform_response_2019"] = frame(0x8001, struct.pack(">HHB", 0x0102, 0x0704, 1), P19, 9, v2019=True)

reg13 = (struct.pack(">HH", 44, 307) + b"70111" + pad(b"BSJ-GF-06", 20) + b"7654321"
         + bytes([1]) + "粤B12345".encode("gbk"))
assert len(reg13) == 37 + 8
out["register_2013"] = frame(0x0100, reg13, P13, 0)
reg19 = (struct.pack(">HH", 33, 100) + b"MANUF000011" + pad(b"JT-2019-MODEL", 30)
         + pad(b"ID42", 30) + bytes([2]) + "浙A88888".encode("gbk") + b"\0")
out["register_2019"] = frame(0x0100, reg19, P19, 0, v2019=True)
reg11 = (struct.pack(">HH", 11, 0) + b"70111" + pad(b"GF-06", 8) + b"1234567"
         + bytes([1]) + "京A12345".encode("gbk"))
assert len(reg11) == 25 + 8
out["register_2011"] = frame(0x0100, reg11, P13, 0)

out["auth_2013"] = frame(0x0102, b"AUTH1234", P13, 1)
auth19 = bytes([8]) + b"AUTH1234" + b"866123456789012" + pad(b"V1.2.3", 20)
out["auth_2019"] = frame(0x0102, auth19, P19, 1, v2019=True)

when13, epoch13 = t(2024, 3, 15, 10, 20, 30)
loc13 = basic(0x00000101, 0x00000003, 31230416, 121473701, 12, 605, 90, when13)
loc13 += b"".join([
    item(0x01, struct.pack(">I", 3980)),
    item(0x02, struct.pack(">H", 500)),
    item(0x03, struct.pack(">H", 600)),
    item(0x04, struct.pack(">H", 7)),
    item(0x11, bytes([1]) + struct.pack(">I", 2)),
    item(0x12, bytes([2]) + struct.pack(">I", 3) + bytes([1])),
    item(0x13, struct.pack(">IHB", 4, 120, 1)),
    item(0x25, struct.pack(">I", 3)),
    item(0x2A, struct.pack(">H", 1)),
    item(0x2B, struct.pack(">I", 0x00640032)),
    item(0x30, bytes([31])),
    item(0x31, bytes([12])),
    item(0xE1, bytes([0xAA, 0xBB, 0xCC])),
    item(0x01, bytes([1, 2, 3])),
    item(0x11, bytes([0])),
])
out["location_2013"] = frame(0x0200, loc13, P13, 0x0102)

when19, epoch19 = t(2019, 12, 31, 23, 59, 59)
loc19 = basic(0, 0x0000000E, 33448890, 70669265, 520, 0, 359, when19)
loc19 += item(0x05, bytes(range(30))) + item(0x06, bytes([0x80, 0x05])) + item(0x06, bytes([0x00, 0x19]))
loc19 += item(0x30, bytes([23])) + item(0x31, bytes([9]))
out["location_2019"] = frame(0x0200, loc19, P19, 0x7e7d, v2019=True)

when_a, epoch_a = t(2024, 1, 1, 5, 0, 0)
when_b, epoch_b = t(2024, 1, 1, 5, 0, 30)
it_a = basic(0, 2, 22300000, 114170000, 5, 100, 180, when_a)
it_b = basic(1 << 1, 3, 22300100, 114170100, 6, 1234, 181, when_b) + item(0x30, bytes([16])) + item(0x31, bytes([8]))
batch = struct.pack(">HB", 2, 1) + struct.pack(">H", len(it_a)) + it_a + struct.pack(">H", len(it_b)) + it_b
out["batch_2013"] = frame(0x0704, batch, P13, 0x0103)
out["batch_2019"] = frame(0x0704, struct.pack(">HB", 1, 0) + struct.pack(">H", len(it_a)) + it_a,
                          P19, 0x0104, v2019=True)

# Platform replies: to register_2013 (serial 0), own serial 5, success with
# the code AUTH1234; to register_2019, own serial 6, result 4 (no code).
out["reply_8100_2013"] = frame(0x8100, struct.pack(">HB", 0, 0) + b"AUTH1234", P13, 5)
out["reply_8100_2019"] = frame(0x8100, struct.pack(">HB", 0, 4), P19, 6, v2019=True)
# To location_2013 (serial 0x0102), own serial 0x7e00, success; to
# location_2019 (serial 0x7e7d), own serial 7, result 2.
out["reply_8001_2013"] = frame(0x8001, struct.pack(">HHB", 0x0102, 0x0200, 0), P13, 0x7e00)
out["reply_8001_2019"] = frame(0x8001, struct.pack(">HHB", 0x7e7d, 0x0200, 2), P19, 7, v2019=True)

for name, f in out.items():
    print(f'{name} = "{f.hex()}"')
print("epochs", epoch13, epoch19, epoch_a, epoch_b)
