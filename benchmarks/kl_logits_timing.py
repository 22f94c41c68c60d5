"""Time kl_logits_rows against the plain log-softmax formula on 64 x 128,256 float64 logits.

    python benchmarks/kl_logits_timing.py

The plain formula is what PyTorch's kl_div(log_softmax(w), log_softmax(z),
log_target=True) computes, in NumPy: max-shifted log-softmax of both rows,
then sum(exp(lp) * (lp - lq)). Two inputs, seeded: independent rows (scale 3)
and nearly equal rows (w = z + 1e-9 noise). Best of 5 runs each (timeit).
"""

from __future__ import annotations

import timeit

import numpy as np

from nncalc.core.from_logits import kl_logits_rows

ROWS, CLASSES = 64, 128_256


def plain_kl(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    def log_softmax(a: np.ndarray) -> np.ndarray:
        shifted = a - a.max(axis=-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))

    lp, lq = log_softmax(z), log_softmax(w)
    return (np.exp(lp) * (lp - lq)).sum(axis=-1)


def main() -> None:
    rng = np.random.RandomState(0)
    z = 3.0 * rng.standard_normal((ROWS, CLASSES))
    inputs = {
        "independent rows": 3.0 * rng.standard_normal((ROWS, CLASSES)),
        "nearly equal rows (1e-9)": z + 1e-9 * rng.standard_normal((ROWS, CLASSES)),
    }
    for name, w in inputs.items():
        times = {}
        for label, function in (("kl_logits_rows", kl_logits_rows), ("plain", plain_kl)):
            times[label] = min(timeit.repeat(lambda f=function, w=w: f(z, w), number=1, repeat=5))
        ratio = times["kl_logits_rows"] / times["plain"]
        print(
            f"{name:26s} kl_logits_rows {times['kl_logits_rows'] * 1e3:6.0f} ms   "
            f"plain {times['plain'] * 1e3:6.0f} ms   ratio {ratio:.1f}"
        )


if __name__ == "__main__":
    main()
