#!/usr/bin/env python3
"""mkpackages.py GOOD.zip OUTDIR — broken copies of a valid audit package.

Each file is one kind of damage the bad-input suite feeds to vigil-verify:
truncation, flipped bits, unsafe entry names (zip slip), duplicate names,
sizes declared far beyond the data (and a real compression bomb), a symlink
entry, a file that is no ZIP at all. Written with Python's zipfile and byte
patches, so each case holds exactly the one defect it is named after.
"""
import os
import struct
import sys
import warnings
import zipfile

warnings.simplefilter("ignore")  # zipfile warns about the duplicate name on purpose

good, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
data = open(good, "rb").read()
src = zipfile.ZipFile(good)
infos = src.infolist()
top = infos[0].filename.split("/")[0]


def write(name, blob):
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob)


def copy_with(name, extra):
    """The valid package plus extra entries: (ZipInfo or name, bytes)."""
    path = os.path.join(out, name)
    with zipfile.ZipFile(path, "w") as z:
        for i in infos:
            z.writestr(i, src.read(i.filename))
        for info, blob in extra:
            z.writestr(info, blob)


def local_header_offset(entry):
    return src.getinfo(entry).header_offset


# Truncated: half the bytes (no central directory), and the last byte cut.
write("truncated-half.zip", data[: len(data) // 2])
write("truncated-end.zip", data[:-1])

# A flipped bit inside the compressed data of case.json: CRC and hash fail.
case_json = top + "/data/case.json"
info = src.getinfo(case_json)
name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26: info.header_offset + 30])
start = info.header_offset + 30 + name_len + extra_len
flipped = bytearray(data)
flipped[start + info.compress_size // 2] ^= 0x10
write("bitflip-data.zip", bytes(flipped))

# A flipped bit in the stored signature.
sig = src.getinfo(top + "/tagmanifest-sha256.txt.sig")
name_len, extra_len = struct.unpack("<HH", data[sig.header_offset + 26: sig.header_offset + 30])
flipped = bytearray(data)
flipped[sig.header_offset + 30 + name_len + extra_len + 5] ^= 0x01
write("bitflip-signature.zip", bytes(flipped))

# Zip slip: names that leave the bag or the extraction directory.
copy_with("zipslip-dotdot.zip", [(top + "/data/../../evil.sh", b"echo owned\n")])
copy_with("zipslip-absolute.zip", [("/etc/cron.d/evil", b"* * * * * root true\n")])
copy_with("zipslip-backslash.zip", [(top + "/data\\..\\..\\evil.bat", b"echo owned\n")])

# Two entries with one name, the second a different case.json.
copy_with("duplicate-name.zip", [(case_json, b'{"forged": true}\n')])

# Symlink entry pointing outside.
link = zipfile.ZipInfo(top + "/data/media/passwd")
link.create_system = 3
link.external_attr = (0o120777 << 16)
copy_with("symlink.zip", [(link, b"/etc/passwd")])

# Declared sizes far beyond the data: case.json claims 4 GB in both headers.
patched = bytearray(data)
struct.pack_into("<I", patched, info.header_offset + 22, 0xFFFFFFF0)
eocd = data.rfind(b"PK\x05\x06")
cd_offset = struct.unpack("<I", data[eocd + 16: eocd + 20])[0]
pos = cd_offset
while data[pos: pos + 4] == b"PK\x01\x02":
    n, e, c = struct.unpack("<HHH", data[pos + 28: pos + 34])
    if data[pos + 46: pos + 46 + n].decode() == case_json:
        struct.pack_into("<I", patched, pos + 24, 0xFFFFFFF0)
    pos += 46 + n + e + c
write("huge-declared-size.zip", bytes(patched))
# Only the central directory claims 4 GB; the local header tells the truth.
patched = bytearray(data)
pos = cd_offset
while data[pos: pos + 4] == b"PK\x01\x02":
    n, e, c = struct.unpack("<HHH", data[pos + 28: pos + 34])
    if data[pos + 46: pos + 46 + n].decode() == case_json:
        struct.pack_into("<I", patched, pos + 24, 0xFFFFFFF0)
    pos += 46 + n + e + c
write("huge-size-central-only.zip", bytes(patched))

# A real compression bomb: 256 MiB of zeros deflated to about 250 KiB.
bomb = zipfile.ZipInfo(top + "/data/media/bomb.bin")
bomb.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(os.path.join(out, "zip-bomb.zip"), "w") as z:
    for i in infos:
        z.writestr(i, src.read(i.filename))
    with z.open(bomb, "w") as w:
        chunk = bytes(1 << 20)
        for _ in range(256):
            w.write(chunk)

# Not a ZIP at all, and an empty file.
write("not-a-zip.zip", b"this is not a zip file\n")
write("empty.zip", b"")
# A ZIP with no entries: well formed, but no bag.
write("no-entries.zip", b"PK\x05\x06" + bytes(18))
