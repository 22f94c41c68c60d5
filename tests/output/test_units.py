"""Byte counts for tables: binary and decimal units, 3 significant digits."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from nncalc.output.units import format_bytes


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1.00 KiB (1.02 kB)"),
        (1536, "1.50 KiB (1.54 kB)"),
        (10_240, "10.0 KiB (10.2 kB)"),
        (999_999, "977 KiB (1.00 MB)"),
        (1_024_000, "0.977 MiB (1.02 MB)"),
        (2**20, "1.00 MiB (1.05 MB)"),
        (1_320_702_443, "1.23 GiB (1.32 GB)"),
        (2**30, "1.00 GiB (1.07 GB)"),
        # GPT-2's embeddings at fp32: 38,597,376 parameters x 4 bytes.
        (154_389_504, "147 MiB (154 MB)"),
        # Llama 3 8B's untied embeddings at bf16: 2 x 128256 x 4096 x 2 bytes.
        (2_101_346_304, "1.96 GiB (2.10 GB)"),
        (10**18, "888 PiB (1.00 EB)"),
        (2**80, "1.00 YiB (1.21 YB)"),
        (10**30, "8.27e+05 YiB (1.00e+06 YB)"),
    ],
)
def test_format_bytes(count: int, text: str) -> None:
    assert format_bytes(count) == text


PART = re.compile(r"(\d+(?:\.\d+)?) (KiB|MiB|GiB|TiB|PiB|EiB|kB|MB|GB|TB|PB|EB)")
SCALE = {
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50, "EiB": 2**60,
    "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15, "EB": 10**18,
}  # fmt: skip


COUNTS = [1024 + 7 * k**5 for k in range(1, 400, 7)] + [10**n for n in range(4, 19)]


@pytest.mark.parametrize("count", COUNTS)
def test_each_part_is_the_count_to_three_significant_digits(count: int) -> None:
    parts = PART.findall(format_bytes(count))
    assert len(parts) == 2
    for number, unit in parts:
        value = Decimal(count) / SCALE[unit]
        digits = len(number.replace(".", "").lstrip("0"))
        assert digits == 3, number
        assert Decimal("0.1") <= value < 1000
        step = Decimal(1).scaleb(Decimal(number).adjusted() - 2)
        assert abs(value - Decimal(number)) <= step / 2 * (1 + Decimal("1e-12"))


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_format_bytes_refuses_what_is_not_a_count(bad: object) -> None:
    with pytest.raises(ValueError, match="byte count"):
        format_bytes(bad)  # type: ignore[arg-type]
