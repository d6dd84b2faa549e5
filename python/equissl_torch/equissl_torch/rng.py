"""equissl's seeded, splittable random number generator (xoshiro128**), bit for bit.

A port of packages/core/src/rng.ts: the same seeding (splitmix32), the same
`fork(label)` derivation and the same draws (`uniform`, `between`, `int`,
`bernoulli`, `normal`, `permutation`), so that a stream forked the same way
gives the same numbers in TypeScript and here. That is what lets this package
read the same batches (the data order of `BatchStream`), render the same
procedural images and draw the same view augmentations and path parameters
as `equissl pretrain` with the same seed.

The state is four uint32 and round-trips through `state()` / `Rng.from_state`
(checkpoints store the data stream's seed state this way).
"""
import math

_M32 = 0xFFFFFFFF


def _imul(a, b):
    """Math.imul: the low 32 bits of a product, unsigned."""
    return (a * b) & _M32


def _splitmix32(seed):
    s = seed & _M32

    def nxt():
        nonlocal s
        s = (s + 0x9E3779B9) & _M32
        z = s
        z = _imul(z ^ (z >> 16), 0x85EBCA6B)
        z = _imul(z ^ (z >> 13), 0xC2B2AE35)
        return (z ^ (z >> 16)) & _M32

    return nxt


def _hash_string(s):
    """FNV-1a over UTF-16 code units, as rng.ts's hashString (charCodeAt)."""
    h = 0x811C9DC5
    units = s.encode("utf-16-le")
    for i in range(0, len(units), 2):
        code = units[i] | (units[i + 1] << 8)
        h = _imul(h ^ code, 0x01000193)
    return h


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & _M32


def _js_uint32(n):
    """`n >>> 0` for a JavaScript number label (an integer here)."""
    return int(n) & _M32


class Rng:
    """xoshiro128** with fork/split for independent streams (packages/core/src/rng.ts)."""

    __slots__ = ("s0", "s1", "s2", "s3", "_spare")

    def __init__(self, state):
        self.s0, self.s1, self.s2, self.s3 = (int(x) & _M32 for x in state)
        if (self.s0 | self.s1 | self.s2 | self.s3) == 0:
            self.s0 = 1
        self._spare = None

    @staticmethod
    def seeded(seed):
        """A generator seeded from an integer (the same seed gives the same numbers as Rng.seeded in TypeScript)."""
        nxt = _splitmix32(_js_uint32(seed))
        return Rng([nxt(), nxt(), nxt(), nxt()])

    @staticmethod
    def from_state(state):
        return Rng(state)

    def state(self):
        return [self.s0, self.s1, self.s2, self.s3]

    def next_uint32(self):
        result = _imul(_rotl(_imul(self.s1, 5), 7), 9)
        t = (self.s1 << 9) & _M32
        self.s2 ^= self.s0
        self.s3 ^= self.s1
        self.s1 ^= self.s2
        self.s0 ^= self.s3
        self.s2 ^= t
        self.s3 = _rotl(self.s3, 11)
        return result

    def uniform(self):
        """Uniform in [0, 1)."""
        return self.next_uint32() / 4294967296.0

    def between(self, lo, hi):
        return lo + (hi - lo) * self.uniform()

    def int(self, n):
        return math.floor(self.uniform() * n)

    def bernoulli(self, p):
        return self.uniform() < p

    def normal(self):
        """Standard normal (Box-Muller, the spare value kept for the next call)."""
        if self._spare is not None:
            v, self._spare = self._spare, None
            return v
        u = 1 - self.uniform()
        v = self.uniform()
        r = math.sqrt(-2 * math.log(u))
        self._spare = r * math.sin(2 * math.pi * v)
        return r * math.cos(2 * math.pi * v)

    def pick(self, items):
        return items[self.int(len(items))]

    def shuffle(self, items):
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.int(i + 1)
            out[i], out[j] = out[j], out[i]
        return out

    def permutation(self, n):
        out = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.int(i + 1)
            out[i], out[j] = out[j], out[i]
        return out

    def fork(self, label):
        """An independent generator derived from this state and `label` (str or int); this one does not advance."""
        h = _hash_string(label) if isinstance(label, str) else _js_uint32(label)
        nxt = _splitmix32((self.s0 ^ _imul(h, 0x9E3779B1) ^ _rotl(self.s2, 13)) & _M32)
        mix = _splitmix32((self.s1 ^ self.s3 ^ h) & _M32)
        return Rng([nxt() ^ mix(), nxt() ^ mix(), nxt(), mix()])

    def split(self):
        return Rng.seeded(self.next_uint32()).fork(self.next_uint32())
