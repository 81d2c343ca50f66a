"""Counter-based randomness: every random value is a hash of (seed, stream, row key).

The demo desk grows in real time (lib/demo/feeder.py) and must stay identical to
a desk seeded fresh to the same end. Sequential generators (`rng.integers(n)`)
make each row's value depend on how many rows came before it in the same call,
so a desk seeded to 12:00 and one seeded to 13:00 would disagree about 11:00.
Here a row's draws depend only on its own key (its time, coin, order index...),
whatever window it is generated in. The hash is splitmix64's finaliser over
uint64 arrays: fast, vectorised, and well mixed for consecutive keys.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def _u64(k) -> np.ndarray:
    a = np.asarray(k)
    if a.dtype.kind == "f":
        a = a.astype(np.int64)
    return a.astype(np.int64).view(np.uint64) if a.dtype.kind == "i" else a.astype(np.uint64)


def hash64(seed: int, stream: int, *keys) -> np.ndarray:
    """A uint64 per element of the broadcast keys (ints or int arrays)."""
    with np.errstate(over="ignore"):
        h = _mix(np.asarray(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * _GOLDEN + np.uint64(stream), dtype=np.uint64))
        for k in keys:
            h = _mix(h ^ (_u64(k) + _GOLDEN))
    return np.atleast_1d(h)


def uniform(seed: int, stream: int, *keys) -> np.ndarray:
    """Uniform [0, 1) floats."""
    return (hash64(seed, stream, *keys) >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


def integers(seed: int, stream: int, lo: int, hi: int, *keys) -> np.ndarray:
    """Integers in [lo, hi)."""
    return lo + np.floor(uniform(seed, stream, *keys) * (hi - lo)).astype(np.int64)


def normal(seed: int, stream: int, *keys) -> np.ndarray:
    """Standard normals (Box-Muller on two independent uniforms)."""
    u1 = 1.0 - uniform(seed, stream, 1, *keys)  # (0, 1]
    u2 = uniform(seed, stream, 2, *keys)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2 * np.pi * u2)


def hex_ids(seed: int, stream: int, nbytes: int, *keys) -> np.ndarray:
    """'0x' + 2*nbytes hex digits per key (8 bytes per hash)."""
    words = [hash64(seed, stream, w, *keys) for w in range((nbytes + 7) // 8)]
    n = len(words[0])
    if n == 0:
        return np.zeros(0, dtype=object)
    raw = np.stack([w.astype(">u8") for w in words], axis=1).view(np.uint8).reshape(n, -1)[:, :nbytes]
    hexed = np.frombuffer(raw.tobytes().hex().encode(), dtype=f"S{2 * nbytes}").astype(str)
    return np.char.add("0x", hexed).astype(object)
