"""Deterministic input families for the accuracy suite and the README table.

Every family is drawn from a fixed seed with NumPy's legacy ``RandomState``,
whose streams NumPy keeps stable across releases, so the cases (and the
table that ``scripts/accuracy_table.py`` prints from them) do not drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Pair = tuple[Array, Array]


def _rng(seed: int) -> np.random.RandomState:
    return np.random.RandomState(seed)


def near_pairs(eps: float, *, classes: int = 1000, count: int = 20, seed: int = 1) -> list[Pair]:
    """P ~ Dirichlet(1), Q = P (1 + eps * noise), both renormalised in float64.

    The regime of comparing a model's output distributions before and
    after a small change: KL ~ eps^2 / 2.
    """
    rng = _rng(seed)
    pairs = []
    for _ in range(count):
        p = rng.dirichlet(np.ones(classes))
        q = p * (1.0 + eps * rng.standard_normal(classes))
        pairs.append((p / p.sum(), q / q.sum()))
    return pairs


def random_pairs(*, classes: int = 10, count: int = 50, seed: int = 2) -> list[Pair]:
    """Independent Dirichlet(1) rows: KL of order 1."""
    rng = _rng(seed)
    return [
        (rng.dirichlet(np.ones(classes)), rng.dirichlet(np.ones(classes))) for _ in range(count)
    ]


def sparse_pairs(*, classes: int = 100, count: int = 30, seed: int = 3) -> list[Pair]:
    """P with ~90% exact zeros (0 log 0 = 0), Q dense."""
    rng = _rng(seed)
    pairs = []
    for _ in range(count):
        p = rng.dirichlet(np.ones(classes)) * (rng.random_sample(classes) < 0.1)
        p[rng.randint(classes)] += 0.5
        pairs.append((p / p.sum(), rng.dirichlet(np.ones(classes))))
    return pairs


def tiny_q_pairs(*, classes: int = 20, count: int = 30, seed: int = 4) -> list[Pair]:
    """Q with entries from 1e-300 to 1e-20 (and a subnormal) where P has mass."""
    rng = _rng(seed)
    pairs = []
    for _ in range(count):
        p = rng.dirichlet(np.ones(classes))
        q = rng.dirichlet(np.ones(classes))
        spots = rng.choice(classes, 4, replace=False)
        q[spots[:3]] = 10.0 ** rng.uniform(-300, -20, 3)
        q[spots[3]] = 5e-320
        pairs.append((p, q / q.sum()))
    return pairs


def renormalised_pairs(eps: float, *, seed: int = 5) -> list[Pair]:
    """Near pairs whose rows sum to 1 +- 9e-7 (inside the default --tol 1e-6)."""
    pairs = near_pairs(eps, classes=100, count=10, seed=seed)
    scales = [1.0 + 9e-7, 1.0 - 9e-7, 1.0 + 3e-10, 1.0 - 2e-16]
    return [(p * scales[i % 4], q * scales[(i + 1) % 4]) for i, (p, q) in enumerate(pairs)]


def long_pairs(eps: float | None, *, classes: int = 100_000, seed: int = 6) -> list[Pair]:
    """One 10^5-class pair: independent (eps None) or nearly equal."""
    rng = _rng(seed)
    p = rng.dirichlet(np.ones(classes))
    if eps is None:
        return [(p, rng.dirichlet(np.ones(classes)))]
    q = p * (1.0 + eps * rng.standard_normal(classes))
    return [(p, q / q.sum())]


@dataclass(frozen=True)
class KLFamily:
    """A named family of (P, Q) pairs and the issue's target for it."""

    name: str
    pairs: list[Pair]
    target: float


def kl_families(*, long: bool = True) -> list[KLFamily]:
    """The KL families of the README table (also asserted by the tests).

    Targets (relative error): <= 1e-12 when KL >= 1e-6; <= 1e-9 at
    eps = 1e-6; <= 1e-4 at eps = 1e-9 (KL ~ 1e-19). eps = 1e-3 (KL ~ 5e-7)
    and eps = 1e-12 (KL ~ 5e-25) are held to the neighbouring targets.
    """
    families = [
        KLFamily("P ≈ Q, ε = 1e-3 (1000 classes)", near_pairs(1e-3), 1e-12),
        KLFamily("P ≈ Q, ε = 1e-6 (1000 classes)", near_pairs(1e-6), 1e-9),
        KLFamily("P ≈ Q, ε = 1e-9 (1000 classes)", near_pairs(1e-9), 1e-4),
        KLFamily("P ≈ Q, ε = 1e-12 (1000 classes)", near_pairs(1e-12), 1e-4),
        KLFamily("P ≈ Q, ε = 1e-9, sums 1 ± 9e-7", renormalised_pairs(1e-9), 1e-4),
        KLFamily("random P, Q (10 classes)", random_pairs(), 1e-12),
        KLFamily("sparse P, 90% zeros (100 classes)", sparse_pairs(), 1e-12),
        KLFamily("Q entries down to 1e-300 and 5e-320", tiny_q_pairs(), 1e-12),
    ]
    if long:
        families += [
            KLFamily("random P, Q (10^5 classes)", long_pairs(None), 1e-12),
            KLFamily("P ≈ Q, ε = 1e-9 (10^5 classes)", long_pairs(1e-9), 1e-4),
        ]
    return families
