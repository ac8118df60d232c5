"""The kdmarl wire format (docs/protocol.md, "Writing a client in another language").

Frames are single msgpack values. Objects are plain maps with string keys. Typed arrays travel
as msgpack extension 0x74: one type byte (Uint8 1, Int16 3, Float32 7, ...) then the array's
little-endian bytes; here they become numpy arrays and numpy arrays are written back that way.
"""

import msgpack
import numpy as np

PROTOCOL_VERSION = 1

#: First element of the per-tick array frames.
FRAME_OBS = 1
FRAME_ACT = 2
FRAME_STEP = 3
FRAME_RESULT = 4

TYPED_ARRAY_EXT = 0x74
#: Type byte -> little-endian numpy dtype, in msgpackr's order.
TYPED_ARRAY_DTYPES = {
    0: np.dtype("<i1"),
    1: np.dtype("<u1"),
    2: np.dtype("<u1"),
    3: np.dtype("<i2"),
    4: np.dtype("<u2"),
    5: np.dtype("<i4"),
    6: np.dtype("<u4"),
    7: np.dtype("<f4"),
    8: np.dtype("<f8"),
    9: np.dtype("<i8"),
    10: np.dtype("<u8"),
}
#: (numpy kind, item size) -> type byte.
_TYPE_BYTES = {("i", 1): 0, ("u", 1): 1, ("b", 1): 1, ("i", 2): 3, ("u", 2): 4, ("i", 4): 5, ("u", 4): 6, ("f", 4): 7, ("f", 8): 8, ("i", 8): 9, ("u", 8): 10}

CLOSE_CODES = {
    4000: "serverShutdown",
    4001: "protocolVersion",
    4002: "badFrame",
    4003: "badMessage",
    4004: "badToken",
    4005: "wrongSlot",
    4006: "slotReplaced",
    4007: "rateLimit",
    4008: "tooLarge",
    4009: "handshakeTimeout",
    4010: "notAllowed",
    4011: "scenarioChanged",
    4012: "agentRefused",
    4013: "wrongPath",
}
#: After these the same hello would fail again (or another connection holds the slot): do not reconnect.
FATAL_CLOSE_CODES = frozenset({4000, 4001, 4003, 4004, 4005, 4006, 4010, 4011, 4012})


def close_code_name(code):
    return CLOSE_CODES.get(code, str(code))


def _ext_hook(code, data):
    if code == TYPED_ARRAY_EXT and len(data) >= 1:
        dtype = TYPED_ARRAY_DTYPES.get(data[0])
        if dtype is not None:
            return np.frombuffer(data, dtype=dtype, offset=1).copy()
    if code == 0:
        # msgpackr's `undefined`: an absent value.
        return None
    return msgpack.ExtType(code, data)


def _default(value):
    if isinstance(value, np.ndarray):
        type_byte = _TYPE_BYTES.get((value.dtype.kind, value.dtype.itemsize))
        if type_byte is None:
            raise TypeError(f"numpy dtype {value.dtype} has no kdmarl typed-array form")
        little = value.dtype.newbyteorder("<") if value.dtype.kind != "b" else np.dtype("u1")
        data = np.ascontiguousarray(value, dtype=little).tobytes()
        return msgpack.ExtType(TYPED_ARRAY_EXT, bytes([type_byte]) + data)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(value):
    """One msgpack frame; numpy arrays become typed arrays."""
    return msgpack.packb(value, default=_default, use_bin_type=True)


def decode(frame):
    """One msgpack frame; typed arrays become numpy arrays."""
    return msgpack.unpackb(frame, ext_hook=_ext_hook, raw=False, strict_map_key=False)
