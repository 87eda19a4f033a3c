#!/usr/bin/env python3
"""Writes pages.tsv: every page of the parquet-testing files that the codec and
encoding unit tests (tests/parquet/) decode, found by walking each column chunk's
page headers (Thrift compact protocol) from the file footer.

    tests/data/parquet-pages/make_manifest.py   (rerun when the file list changes)

One line per page: file, column, physical type, optional (0/1), codec, page type,
body offset, compressed size, uncompressed size, value count, encoding,
v2 repetition and definition level bytes (-1 for v1 pages), v2 is_compressed.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "conformance", "parquet-testing", "data")
FILES = [
    "alltypes_dictionary.parquet",
    "alltypes_plain.snappy.parquet",
    "byte_stream_split.zstd.parquet",
    "byte_stream_split_extended.gzip.parquet",
    "concatenated_gzip_members.parquet",
    "datapage_v2.snappy.parquet",
    "delta_binary_packed.parquet",
    "delta_byte_array.parquet",
    "delta_encoding_optional_column.parquet",
    "delta_encoding_required_column.parquet",
    "delta_length_byte_array.parquet",
    "float16_nonzeros_and_nans.parquet",
    "hadoop_lz4_compressed.parquet",
    "hadoop_lz4_compressed_larger.parquet",
    "int96_from_spark.parquet",
    "large_string_map.brotli.parquet",
    "lz4_raw_compressed.parquet",
    "lz4_raw_compressed_larger.parquet",
    "non_hadoop_lz4_compressed.parquet",
    "rle-dict-snappy-checksum.parquet",
    "rle_boolean_encoding.parquet",
]


class Compact:
    def __init__(self, buf, pos=0):
        self.buf, self.pos = buf, pos

    def byte(self):
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = value = 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    def zigzag(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def value(self, t):
        if t in (1, 2):
            return t == 1
        if t == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if t in (4, 5, 6):
            return self.zigzag()
        if t == 7:
            self.pos += 8
            return struct.unpack("<d", self.buf[self.pos - 8:self.pos])[0]
        if t == 8:
            n = self.varint()
            self.pos += n
            return bytes(self.buf[self.pos - n:self.pos])
        if t in (9, 10):
            h = self.byte()
            n, et = h >> 4, h & 0x0F
            if n == 15:
                n = self.varint()
            return [self.value(et) for _ in range(n)]
        if t == 11:
            n = self.varint()
            if n == 0:
                return {}
            kt = self.byte()
            return {self.value(kt >> 4): self.value(kt & 0x0F) for _ in range(n)}
        if t == 12:
            return self.struct()
        raise ValueError(f"thrift type {t}")

    def struct(self):
        fields, last = {}, 0
        while True:
            h = self.byte()
            if h == 0:
                return fields
            delta, t = h >> 4, h & 0x0F
            fid = last + delta if delta else self.zigzag()
            fields[fid] = self.value(t)
            last = fid


TYPES = ["BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"]


def pages(name):
    buf = open(os.path.join(DATA, name), "rb").read()
    (footer_len,) = struct.unpack("<I", buf[-8:-4])
    meta = Compact(buf, len(buf) - 8 - footer_len).struct()
    leaves = [e for e in meta[2] if 5 not in e or e[5] == 0]  # no children: a leaf
    for rg in meta[4]:
        for i, chunk in enumerate(rg[1]):
            cm = chunk[3]
            leaf = leaves[i]
            ptype = TYPES[cm[1]]
            if leaf.get(6) == 1 and ptype == "FIXED_LEN_BYTE_ARRAY":
                ptype += "(%d)" % leaf[2]
            elif ptype == "FIXED_LEN_BYTE_ARRAY":
                ptype += "(%d)" % leaf.get(2, 0)
            optional = 1 if leaf.get(3) == 1 else 0
            start = cm.get(11) or cm[9]
            if cm.get(11) and cm[11] > cm[9]:
                start = cm[9]
            end = start + cm[7]
            pos, seen = start, 0
            while pos < end and seen < cm[5]:
                r = Compact(buf, pos)
                h = r.struct()
                body = r.pos
                ptype_id, usize, csize = h[1], h[2], h[3]
                enc, rep, dfn, compressed, count = -1, -1, -1, 1, 0
                if ptype_id == 0:
                    count, enc = h[5][1], h[5][2]
                    seen += count
                elif ptype_id == 2:
                    count, enc = h[7][1], h[7][2]
                elif ptype_id == 3:
                    v2 = h[8]
                    count, enc = v2[1], v2[4]
                    rep, dfn = v2[6], v2[5]
                    compressed = 1 if v2.get(7, True) else 0
                    seen += count
                yield [name, ".".join(p.decode() for p in cm[3]), ptype, optional, cm[4],
                       ptype_id, body, csize, usize, count, enc, rep, dfn, compressed]
                pos = body + csize


def main():
    out = os.path.join(HERE, "pages.tsv")
    with open(out, "w") as f:
        f.write("# generated by make_manifest.py\n")
        for name in FILES:
            for row in pages(name):
                f.write("\t".join(str(x) for x in row) + "\n")


if __name__ == "__main__":
    sys.exit(main())
