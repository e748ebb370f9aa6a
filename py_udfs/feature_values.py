"""Feast's online-store encoding, read without Feast: the entity key as
Feast serializes it (version 3) and its ValueProto values, so SQL can serve
the same values the Feast SDK does."""
import struct

_STRING, _INT64 = 2, 4  # feast.value_type.ValueType


def entity_key(join_key, value):
    """The serialized key of a single int64 join key (serialize_entity_key, v3)."""
    name = join_key.encode()
    return (struct.pack("<I", 1) + struct.pack("<I", _STRING) + struct.pack("<I", len(name)) + name
            + struct.pack("<I", _INT64) + struct.pack("<I", 8) + struct.pack("<q", value))


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def decode_value(blob):
    """A ValueProto's scalar: bytes, string, int32, int64, double, float,
    bool or unix timestamp (fields 1-8); None when unset."""
    buf = bytes(blob)
    if not buf:
        return None
    key, i = _varint(buf, 0)
    field, wire = key >> 3, key & 7
    if wire == 0:
        raw, _ = _varint(buf, i)
        if field == 7:
            return bool(raw)
        return raw - (1 << 64) if raw >= 1 << 63 else raw
    if wire == 1:
        return struct.unpack("<d", buf[i:i + 8])[0]
    if wire == 5:
        return struct.unpack("<f", buf[i:i + 4])[0]
    if wire == 2:
        n, i = _varint(buf, i)
        data = buf[i:i + n]
        return data.decode() if field == 2 else data
    raise ValueError(f"unsupported ValueProto wire type {wire} (field {field})")
