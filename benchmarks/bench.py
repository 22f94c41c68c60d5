"""nncalc side by side with what a user would otherwise write.

    python benchmarks/bench.py               # start-up, 100k-1M rows, wide rows, tensors
    python benchmarks/bench.py --quick       # a smoke run (small, few repeats)
    python benchmarks/bench.py --cases tensors --tensor-rows 1024   # one case

Needs the ``bench`` extra (pandas, scipy, polars): ``pip install -e ".[bench]"``.

Start-up: ``nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1"`` writing to a pipe, against
the floor ``python -c "import typer, numpy"`` and a scipy one-liner.

Batches: softmax of an N x 10 CSV of logits (generated here, seeded), CSV on
stdin and full-precision CSV on stdout (a file), against a pandas + scipy
script (read_csv -> scipy.special.softmax -> to_csv) and, when polars is
installed, a polars + NumPy script (read_csv -> NumPy softmax -> write_csv).
nncalc runs twice: as installed (polars formats large outputs when present)
and with NNCALC_NO_POLARS=1 (NumPy and the standard library only).

Wide rows and one value a line (``--cases wide``, text_cases.py): kl --logits
and softmax on 200 x 32,000 and 100 x 128,256 logits CSVs, kl-approx on 1M
samples, each against the np.loadtxt script that computes the same.

Tensors: two float32 .npy logits tensors of N x 128,256 (N = 1,024 and
4,096; 256 with --quick), ``nncalc kl --logits`` and ``nncalc compare``
against a whole-array NumPy/SciPy script and a chunked NumPy loop (see
tensors.py). The files take 0.5 GB per 1,024 rows each, in a temp dir.

Every contender runs in a fresh process, interleaved with the others, after a
warm-up run; the table shows the median wall time, the median CPU use (CPU time over
wall time: 200% is both cores busy) and CPU time, and, for output to a
file, the peak RSS (VmHWM, sampled every 5 ms). On a shared machine the
CPU times are the steadier comparison. Children run
without PYTHONDONTWRITEBYTECODE and PYTHONUNBUFFERED, as on a usual machine
(so byte code is cached, as after a pip install). Outputs are checked: nncalc's
CSV must parse back to exactly the float64 that nncalc.softmax gives, be the
same text with and without polars, and agree with scipy to 1e-14 (a few ulp).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from runner import NNCALC, PYTHON, Contender, race, run_once, show

FLOOR = "import typer, numpy"
SCIPY_ONE_LINER = (
    "from scipy.stats import entropy; print(entropy([0, 0, 1, 0], [0.1, 0.2, 0.6, 0.1]))"
)
PANDAS_SCRIPT = """
import sys
import pandas as pd
import scipy.special
frame = pd.read_csv(sys.stdin, header=None)
probabilities = scipy.special.softmax(frame.to_numpy(), axis=1)
pd.DataFrame(probabilities).to_csv(sys.stdout, header=False, index=False)
"""
POLARS_SCRIPT = """
import sys
import numpy as np
import polars as pl
z = pl.read_csv(sys.stdin.buffer, has_header=False).to_numpy()
e = np.exp(z - z.max(axis=1, keepdims=True))
pl.DataFrame(e / e.sum(axis=1, keepdims=True)).write_csv(sys.stdout.buffer, include_header=False)
"""


def startup(repeat: int) -> dict[str, float]:
    floor = Contender('python -c "import typer, numpy"', [PYTHON, "-c", FLOOR])
    nncalc = Contender(
        'nncalc kl "0,0,1,0" "0.1,0.2,0.6,0.1"', [NNCALC, "kl", "0,0,1,0", "0.1,0.2,0.6,0.1"]
    )
    scipy = Contender(
        "python -c 'from scipy.stats import entropy; ...'", [PYTHON, "-c", SCIPY_ONE_LINER]
    )
    race([floor, nncalc, scipy], repeat, None)
    print(f"Start-up ({repeat} runs each, stdout a pipe)")
    show([floor, nncalc, scipy])
    ratios = {
        "nncalc / floor": nncalc.median / floor.median,
        "scipy one-liner / nncalc": scipy.median / nncalc.median,
    }
    print(f"  nncalc / floor:            {ratios['nncalc / floor']:.2f}x   (target <= 1.15)")
    print(
        f"  scipy one-liner / nncalc:  {ratios['scipy one-liner / nncalc']:.2f}x   (target >= 2.5)"
    )
    return ratios


def make_logits(path: Path, rows: int) -> None:
    rng = np.random.default_rng(rows)
    logits = rng.normal(0.0, 2.0, size=(rows, 10))
    with open(path, "w") as handle:
        for start in range(0, rows, 100_000):
            block = logits[start : start + 100_000]
            handle.write(((",".join(["%.5f"] * 10) + "\n") * len(block)) % tuple(block.ravel()))


def check_output(logits: Path, nncalc_out: Path, numpy_out: Path, peer_out: Path) -> str:
    """nncalc's text round-trips, matches without polars, and agrees with scipy."""
    from nncalc import softmax

    expected = softmax(np.loadtxt(logits, delimiter=","))
    written = np.loadtxt(nncalc_out, delimiter=",")
    if not np.array_equal(written, expected):
        raise SystemExit("nncalc's output does not parse back to nncalc.softmax's float64")
    if nncalc_out.read_bytes() != numpy_out.read_bytes():
        raise SystemExit("nncalc's output differs with and without polars")
    peer = np.loadtxt(peer_out, delimiter=",")
    difference = float(np.max(np.abs(peer - written) / np.abs(peer)))
    if difference > 1e-14:
        raise SystemExit(f"nncalc and scipy disagree: relative difference {difference:.2g}")
    return (
        "round-trips exactly; same text with and without polars; "
        f"largest relative difference from scipy {difference:.1g}"
    )


def batch(rows: int, repeat: int, workdir: Path) -> dict[str, float]:
    logits = workdir / f"logits_{rows}.csv"
    if not logits.exists():
        make_logits(logits, rows)
    size = logits.stat().st_size / 1e6
    nncalc = Contender("nncalc softmax", [NNCALC, "softmax"], stdin=logits)
    numpy_only = Contender(
        "nncalc softmax (NNCALC_NO_POLARS=1)",
        [NNCALC, "softmax"],
        env={"NNCALC_NO_POLARS": "1"},
        stdin=logits,
    )
    peer = Contender("pandas + scipy script", [PYTHON, "-c", PANDAS_SCRIPT], stdin=logits)
    polars = Contender("polars + NumPy script", [PYTHON, "-c", POLARS_SCRIPT], stdin=logits)
    has_polars = importlib.util.find_spec("polars") is not None
    out = workdir / "out.csv"
    race([nncalc, numpy_only, peer, *([polars] if has_polars else [])], repeat, out)
    outputs = {}
    for contender in (nncalc, numpy_only, peer):
        outputs[contender.name] = workdir / f"check_{len(outputs)}.csv"
        run_once(contender, outputs[contender.name])
    verdict = check_output(logits, *outputs.values())
    print(f"\nBatch softmax, {rows:,} x 10 ({size:.0f} MB of CSV), {repeat} runs each")
    show([nncalc, numpy_only, peer, *([polars] if has_polars else [])])
    ratios = {
        "peer / nncalc": peer.median / nncalc.median,
        "peer / nncalc (numpy only)": peer.median / numpy_only.median,
    }
    print(f"  pandas+scipy / nncalc:              {ratios['peer / nncalc']:.2f}x   (target >= 5)")
    numpy_ratio = ratios["peer / nncalc (numpy only)"]
    print(f"  pandas+scipy / nncalc (NumPy only): {numpy_ratio:.2f}x   (target >= 2)")
    if has_polars:
        ratios["polars / nncalc"] = polars.median / nncalc.median
        polars_ratio = ratios["polars / nncalc"]
        print(f"  polars script / nncalc:             {polars_ratio:.2f}x   (aim >= 1)")
    print(f"  output: {verdict}")
    for contender in (nncalc, numpy_only):
        ratios[f"rss {contender.name}"] = max(contender.rss_kb)
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per batch contender")
    parser.add_argument("--startup-repeat", type=int, default=30)
    parser.add_argument("--tensor-rows", type=int, nargs="*", default=[1024, 4096])
    parser.add_argument("--tensor-repeat", type=int, default=3)
    parser.add_argument(
        "--cases", default="startup,text,wide,tensors", help="which cases, comma-separated"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, few runs")
    parser.add_argument("--data", type=Path, help="keep generated CSVs here (default: a temp dir)")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeat, args.startup_repeat = [30_000], 2, 5
        args.tensor_rows, args.tensor_repeat = [256], 1
    cases = set(args.cases.split(","))
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs\n")
    if "startup" in cases:
        startup(args.startup_repeat)
    with tempfile.TemporaryDirectory() as temp:
        workdir = args.data or Path(temp)
        workdir.mkdir(parents=True, exist_ok=True)
        if "text" in cases:
            text_cases(args.rows, args.repeat, workdir)
        if "wide" in cases:
            from text_cases import run_wide_cases

            run_wide_cases(args.repeat, workdir, quick=args.quick)
        if "tensors" in cases:
            from tensors import run_tensor_cases

            run_tensor_cases(args.tensor_rows, args.tensor_repeat, workdir)


def text_cases(rows: list[int], repeat: int, workdir: Path) -> None:
    rss = {n: batch(n, repeat, workdir) for n in rows}
    if len(rss) > 1:
        small, large = min(rss), max(rss)
        print(f"\nPeak RSS, {large:,} rows / {small:,} rows (target <= 1.1):")
        for name in ("nncalc softmax", "nncalc softmax (NNCALC_NO_POLARS=1)"):
            key = f"rss {name}"
            print(f"  {name:<36} {rss[large][key] / rss[small][key]:.2f}")


if __name__ == "__main__":
    main()
