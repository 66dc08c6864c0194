"""The only source of randomness: one Faker per API, seeded from the sandbox seed and the API's name, so
that two starts with the same seed produce the same data, and adding an API never shifts another's data."""

from __future__ import annotations

import zlib

from faker import Faker


def faker_for(api: str, seed: int, locale: str = "en_GB") -> Faker:
    fake = Faker(locale)
    fake.seed_instance(seed * 1_000_003 + zlib.crc32(api.encode()))
    return fake
