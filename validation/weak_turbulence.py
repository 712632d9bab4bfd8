"""The first-order kernels against particles in weak turbulence: measured M - 1 against 2 M^(1a) + M^(1c).

    python validation/weak_turbulence.py RUN [RUN ...]

RUN: ``crmix mixing`` folders of one model at several eta, recorded at the same Delta T.  Prints
(1) per run with eta <= 0.05 and Delta T: chi^2 per element of the pulls over l, l0 = 1..lmax, the
largest |pull|, and chosen elements as measured / first order; (2) the residual R = M - M^(1) of
chosen elements divided by s^2 (s = <omega^2> = eta/(1 - eta)) at each eta, with the fit
R = A s^2 + B s^3 (crmix.fit.mixing.residual_scaling) -- a correct first order leaves R = O(s^2).
"""

from __future__ import annotations

import sys

import numpy as np
from common import MixingComparison, markdown_row, value_error

from crmix.fit.mixing import residual_scaling

TABLE_ETA_MAX = 0.05
ELEMENTS = ((1, 1), (2, 2), (8, 8), (2, 1), (1, 2), (4, 2), (2, 4))
SCALING_ELEMENTS = ((1, 1), (2, 2), (4, 4), (8, 8), (2, 1), (3, 1), (1, 2), (2, 4))


def element_table(runs: list[MixingComparison]) -> list[str]:
    names = [f"M_{i}{j}" + (" − 1" if i == j else "") for i, j in ELEMENTS]
    lines = [markdown_row("η", "ΩΔT", "χ²/n", "max\\|pull\\|", *names), "|" + "---|" * (4 + len(names))]
    for run in runs:
        if run.eta > TABLE_ETA_MAX:
            continue
        for k, dt in enumerate(run.times):
            pull = run.pulls(k)
            cells = [f"{value_error(run.measured[k, i, j] - (i == j), run.error[k, i, j])} / "
                     f"{run.first_order[k, i, j] - (i == j):.4g}" for i, j in ELEMENTS]
            lines.append(markdown_row(run.eta, f"{dt / np.pi:.0f}π", f"{np.mean(pull**2):.2f}", f"{np.max(np.abs(pull)):.1f}", *cells))
    return lines


def scaling_table(runs: list[MixingComparison]) -> list[str]:
    s = np.array([r.power for r in runs])
    lines = [markdown_row("element", "ΩΔT", *(f"R/s², η = {r.eta}" for r in runs), "A (R = A s² + B s³)", "χ²/dof"),
             "|" + "---|" * (4 + len(runs))]
    for k, dt in enumerate(runs[0].times):
        for i, j in SCALING_ELEMENTS:
            residual = np.array([r.measured[k, i, j] - r.first_order[k, i, j] for r in runs])
            error = np.array([r.error[k, i, j] for r in runs])
            (a, _), (da, _), chi2 = residual_scaling(s, residual, error)
            cells = [f"{x / p**2:.3g} ± {e / p**2:.2g}" for x, e, p in zip(residual, error, s)]
            lines.append(markdown_row(f"M_{i}{j}", f"{dt / np.pi:.0f}π", *cells, f"{a:.3g} ± {da:.2g}", f"{chi2:.1f}/{len(runs) - 2}"))
    return lines


def main(folders: list[str]) -> None:
    runs = sorted((MixingComparison.read(f) for f in folders), key=lambda r: r.eta)
    times = runs[0].times
    if any(r.times.shape != times.shape or not np.allclose(r.times, times, rtol=2e-3) for r in runs):
        raise SystemExit("the runs must be recorded at the same Delta T")
    print(f"realisations: {', '.join(f'η = {r.eta}: {r.realisations}' for r in runs)}; l_max = {runs[0].measured.shape[-1] - 1}\n")
    print("\n".join(element_table(runs)))
    print()
    if len(runs) >= 3:
        print("\n".join(scaling_table(runs)))


if __name__ == "__main__":
    main(sys.argv[1:])
