"""Allowed value sets with the words an error message uses to describe them (TF-free).

Shared by `validate.py` and the architecture registry, which holds each
architecture's own keys and ranges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Allowed:
    """An allowed set of values: a predicate and the words that describe it."""

    test: Callable[[Any], bool]
    words: str


def at_least(low: float) -> Allowed:
    return Allowed(lambda v: v >= low, f">= {low:g}")


def above(low: float) -> Allowed:
    return Allowed(lambda v: v > low, f"> {low:g}")


def open_interval(low: float, high: float) -> Allowed:
    return Allowed(lambda v: low < v < high, f"in ({low:g}, {high:g})")


def half_open(low: float, high: float) -> Allowed:
    return Allowed(lambda v: low <= v < high, f"in [{low:g}, {high:g})")


def int_range(low: int, high: int) -> Allowed:
    return Allowed(lambda v: low <= v <= high, f"an integer in [{low}, {high}]")


def one_of(*choices: Any) -> Allowed:
    return Allowed(lambda v: v in choices, "one of " + ", ".join(map(str, choices)))


ANY = Allowed(lambda v: True, "any value")
