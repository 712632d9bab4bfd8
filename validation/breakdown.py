"""Where the first order leaves the particles: measured M against 1 + 2 M^(1a) + M^(1c) over eta and Omega dT.

    python validation/breakdown.py RUN [RUN ...]

RUN: ``crmix mixing`` folders of one model at several eta (Omega dT up to ~ tau_s).  Prints per run
and Delta T the chi^2 per element of the pulls (l, l0 >= 1), chosen elements as measured / first
order, and per element the first Omega dT at which it leaves the first order (|pull| > 3 and a
relative deviation > 10 %), with the run's QLT Omega tau_s.
"""

from __future__ import annotations

import sys

import numpy as np
from common import MixingComparison, markdown_row

from crmix.fit.mixing import MeasuredMixing

ELEMENTS = ((1, 1), (2, 2), (4, 4), (8, 8), (12, 12), (2, 1), (4, 2), (8, 1), (1, 2), (2, 4), (1, 8))
SHOWN = ((1, 1), (4, 4), (12, 12), (2, 1), (8, 1), (1, 8))
PULL, RELATIVE = 3.0, 0.1


def name(i: int, j: int) -> str:
    return f"M_{i},{j}" + (" − 1" if i == j else "")


def first_departures(run: MixingComparison) -> dict[str, float]:
    """Per element the first Omega dT with |pull| > PULL and |M - M^(1)| > RELATIVE |M - delta|."""
    found: dict[str, float] = {}
    for k, dt in enumerate(run.times):
        for i, j in ELEMENTS:
            if i >= run.measured.shape[-1] or name(i, j) in found:
                continue
            m, t, e = run.measured[k, i, j], run.first_order[k, i, j], run.error[k, i, j]
            if abs(m - t) > PULL * e and abs(m - t) > RELATIVE * abs(m - (i == j)):
                found[name(i, j)] = float(dt)
    return found


def main(folders: list[str]) -> None:
    runs = sorted((MixingComparison.read(f) for f in folders), key=lambda r: r.eta)
    shown = [(i, j) for i, j in SHOWN if i < runs[0].measured.shape[-1]]
    print(markdown_row("η", "Ωτ_s (QLT)", "ΩΔT", "χ²/n", *(name(i, j) + ": measured / first order" for i, j in shown)))
    print("|" + "---|" * (4 + len(shown)))
    departures = {}
    for run in runs:
        model = MeasuredMixing.read(run.run).model
        omega_tau = model.Omega * model.turbulence.qlt(model).tau_s
        for k, dt in enumerate(run.times):
            cells = [f"{run.measured[k, i, j] - (i == j):.3g} / {run.first_order[k, i, j] - (i == j):.3g}" for i, j in shown]
            print(markdown_row(run.eta if k == 0 else "", f"{omega_tau:.0f}" if k == 0 else "", f"{dt * model.Omega:.3g}",
                               f"{np.mean(run.pulls(k) ** 2):.3g}", *cells))
        departures[run.eta] = (omega_tau, first_departures(run))
    print(f"\nFirst Omega dT at which an element leaves the first order (|pull| > {PULL:g} and > {RELATIVE:.0%} of M − δ):\n")
    names = [name(i, j) for i, j in ELEMENTS]
    print(markdown_row("η", "Ωτ_s", *names))
    print("|" + "---|" * (2 + len(names)))
    for eta, (omega_tau, found) in departures.items():
        print(markdown_row(eta, f"{omega_tau:.0f}", *(f"{found[n]:.3g}" if n in found else "—" for n in names)))


if __name__ == "__main__":
    main(sys.argv[1:])
