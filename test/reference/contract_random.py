"""CONTRACTS.md section 2's Random(seed, key).index(n), written from the contract
alone in plain Python (integers masked to 32 bits): the reference the pinned
numbers of test/ir/random.test.ts and test/data/batches.test.ts came from.

    /usr/bin/python3 test/reference/contract_random.py
"""
import math

MASK = 0xFFFFFFFF


def imul(a, b):
    return (a * b) & MASK


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK


class Random:
    def __init__(self, seed, key=""):
        h = 0x811C9DC5  # FNV-1a over the code points of f"{seed}:{key}"
        for ch in f"{seed}:{key}":
            h = imul(h ^ ord(ch), 0x01000193)
        self.s = []
        for _ in range(4):  # splitmix32-style words
            h = (h + 0x9E3779B9) & MASK
            z = imul(h ^ (h >> 16), 0x85EBCA6B)
            z = imul(z ^ (z >> 13), 0xC2B2AE35)
            self.s.append(z ^ (z >> 16))

    def next_uint32(self):  # xoshiro128**
        s0, s1, s2, s3 = self.s
        result = imul(rotl(imul(s1, 5), 7), 9)
        t = (s1 << 9) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def index(self, n):
        a = self.next_uint32() >> 5
        b = self.next_uint32() >> 6
        u = (a * 67108864 + b) / 9007199254740992
        return math.floor(u * n)


if __name__ == "__main__":
    r = Random(0, "data.batch.1")
    print("words", [r.next_uint32() for _ in range(4)])
    r = Random(0, "data.batch.1")
    print("index(10^6)", [r.index(1000000) for _ in range(8)])
    r = Random(1234, "data.batch.7")
    print("index(2^53), index(10)", [r.index(2**53) for _ in range(3)], [r.index(10) for _ in range(5)])
    r = Random(42, "data.batch.3")
    print("index(123456789)", [r.index(123456789) for _ in range(4)])
    for step in (1, 2, 1000):  # batch starts: seed 7, N - C = 70 - 16
        r = Random(7, f"data.batch.{step}")
        print("starts", step, [r.index(54) for _ in range(4)])
