"""The text cases of bench.py at the limit: LLM-sized rows and one value a line.

Each nncalc command races the NumPy script a user would write for the same
result, in a fresh process each (see bench.py):

- ``nncalc kl @p.csv @q.csv --logits`` on R x C logits CSVs (200 x 32,000
  and 100 x 128,256) against ``np.loadtxt`` of both + a max-shifted
  log-softmax KL in NumPy;
- ``nncalc softmax @p.csv`` (200 x 32,000, full precision to a file), with
  and without polars (``NNCALC_NO_POLARS=1``), against ``np.loadtxt`` +
  softmax + ``np.savetxt(fmt='%.17g')``;
- ``nncalc kl-approx @logp.txt @logq.txt`` on 1M samples, one a line,
  against ``np.loadtxt`` of both + the mean of k3.

The inputs are generated (seeded, ``%.7g``) in the bench's temp dir and
deleted with it. Every pair of results is checked: the KLs agree to 1e-12
(relative), the softmax text parses back to within 1e-12 of the script's and
is the same with and without polars.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
from runner import NNCALC, PYTHON, Contender, race, run_once, show

KL_SCRIPT = """
import sys
import numpy as np

def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

p = log_softmax(np.loadtxt(sys.argv[1], delimiter=",", ndmin=2))
q = log_softmax(np.loadtxt(sys.argv[2], delimiter=",", ndmin=2))
print(repr(float((np.exp(p) * (p - q)).sum(axis=1).mean())))
"""

SOFTMAX_SCRIPT = """
import sys
import numpy as np
z = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
e = np.exp(z - z.max(axis=1, keepdims=True))
np.savetxt(sys.stdout.buffer, e / e.sum(axis=1, keepdims=True), fmt="%.17g", delimiter=",")
"""

K3_SCRIPT = """
import sys
import numpy as np
log_r = np.loadtxt(sys.argv[1]) - np.loadtxt(sys.argv[2])
print(repr(float(np.mean(np.expm1(log_r) - log_r))))
"""


def write_csv(path: Path, values: np.ndarray) -> None:
    """``%.7g`` numbers, comma-separated, a row a line."""
    with open(path, "w") as handle:
        rows, width = values.shape if values.ndim == 2 else (len(values), 1)
        flat = values.reshape(rows, width)
        line = ",".join(["%.7g"] * width) + "\n"
        step = max(1, 1_000_000 // width)
        for start in range(0, rows, step):
            block = flat[start : start + step]
            handle.write((line * len(block)) % tuple(block.ravel().tolist()))


def logits_pair(workdir: Path, rows: int, width: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(width)
    p, q = workdir / f"p_{rows}x{width}.csv", workdir / f"q_{rows}x{width}.csv"
    if not p.exists():
        base = rng.normal(0.0, 3.0, size=(rows, width))
        write_csv(p, base)
        write_csv(q, base + rng.normal(0.0, 0.5, size=(rows, width)))
    return p, q


def printed(contender: Contender, out: Path) -> float:
    run_once(contender, out)
    return float(out.read_text().split()[-1])


def agree(contenders: list[Contender], out: Path) -> str:
    """The printed results, which must agree to 1e-12 (relative)."""
    values = [printed(c, out) for c in contenders]
    spread = (max(values) - min(values)) / abs(values[0])
    if spread > 1e-12:
        raise SystemExit(f"results disagree: {values}")
    return f"results agree (relative spread {spread:.1g})"


def ratio_line(name: str, ours: Contender, theirs: Contender, aim: str) -> float:
    """The wall-time ratio (and the CPU-time one, steadier on a shared machine)."""
    ratio = theirs.median / ours.median
    cpu = statistics.median(theirs.cpu) / statistics.median(ours.cpu)
    print(f"  {name:<44} {ratio:5.2f}x   CPU time {cpu:5.2f}x   ({aim})")
    return ratio


def kl_wide(rows: int, width: int, repeat: int, workdir: Path) -> dict[str, float]:
    p, q = logits_pair(workdir, rows, width)
    nncalc = Contender("nncalc kl --logits", [NNCALC, "kl", f"@{p}", f"@{q}", "--logits"])
    script = Contender("np.loadtxt both + NumPy KL", [PYTHON, "-c", KL_SCRIPT, str(p), str(q)])
    out = workdir / "out.txt"
    race([nncalc, script], repeat, out)
    verdict = agree([nncalc, script], out)
    size = (p.stat().st_size + q.stat().st_size) / 1e6
    print(f"\nkl --logits, {rows} x {width:,} logits, two CSVs ({size:.0f} MB), {repeat} runs")
    show([nncalc, script])
    ratio = ratio_line("script / nncalc", nncalc, script, "aim >= 1")
    print(f"  {verdict}")
    return {f"kl {rows}x{width}": ratio}


def softmax_wide(rows: int, width: int, repeat: int, workdir: Path) -> dict[str, float]:
    p, _ = logits_pair(workdir, rows, width)
    nncalc = Contender("nncalc softmax", [NNCALC, "softmax", f"@{p}"])
    numpy_only = Contender(
        "nncalc softmax (NNCALC_NO_POLARS=1)",
        [NNCALC, "softmax", f"@{p}"],
        env={"NNCALC_NO_POLARS": "1"},
    )
    script = Contender(
        "loadtxt + softmax + savetxt('%.17g')", [PYTHON, "-c", SOFTMAX_SCRIPT, str(p)]
    )
    out = workdir / "out.csv"
    race([nncalc, numpy_only, script], repeat, out)
    texts = []
    for contender in (nncalc, numpy_only, script):
        run_once(contender, out)
        texts.append(out.read_bytes())
    if texts[0] != texts[1]:
        raise SystemExit("nncalc's softmax text differs with and without polars")
    ours, theirs = (np.loadtxt(text.splitlines(), delimiter=",") for text in texts[::2])
    if not np.allclose(ours, theirs, rtol=1e-12, atol=0):
        raise SystemExit("nncalc's softmax disagrees with the script's")
    print(f"\nsoftmax, {rows} x {width:,} logits CSV -> full-precision CSV file, {repeat} runs")
    show([nncalc, numpy_only, script])
    ratios = {
        "softmax wide": ratio_line("script / nncalc", nncalc, script, "aim >= 1"),
        "softmax wide numpy": ratio_line(
            "script / nncalc (NumPy only)", numpy_only, script, "aim >= 1"
        ),
        "softmax wide fast": ratio_line(
            "nncalc NumPy only / with polars", nncalc, numpy_only, "aim >= 1"
        ),
    }
    print("  same text with and without polars; within 1e-12 of the script's")
    return ratios


def kl_approx_lines(samples: int, repeat: int, workdir: Path) -> dict[str, float]:
    logp, logq = workdir / f"logp_{samples}.txt", workdir / f"logq_{samples}.txt"
    if not logp.exists():
        rng = np.random.default_rng(samples)
        base = rng.normal(-2.0, 1.0, size=samples)
        write_csv(logp, base)
        write_csv(logq, base + rng.normal(0.0, 0.1, size=samples))
    nncalc = Contender("nncalc kl-approx", [NNCALC, "kl-approx", f"@{logp}", f"@{logq}"])
    script = Contender("np.loadtxt both + k3", [PYTHON, "-c", K3_SCRIPT, str(logp), str(logq)])
    out = workdir / "out.txt"
    race([nncalc, script], repeat, out)
    verdict = agree([nncalc, script], out)
    print(f"\nkl-approx, {samples:,} samples one a line, two files, {repeat} runs")
    show([nncalc, script])
    ratio = ratio_line("script / nncalc", nncalc, script, "aim >= 1")
    print(f"  {verdict}")
    return {"kl-approx": ratio}


def run_wide_cases(repeat: int, workdir: Path, *, quick: bool = False) -> None:
    shapes = [(20, 32_000)] if quick else [(200, 32_000), (100, 128_256)]
    for rows, width in shapes:
        kl_wide(rows, width, repeat, workdir)
    softmax_wide(*shapes[0], repeat, workdir)
    kl_approx_lines(100_000 if quick else 1_000_000, repeat, workdir)
    for path in workdir.glob("*_*.*"):
        if path.name.startswith(("p_", "q_", "logp_", "logq_")):
            path.unlink()
