"""Results checked before they are written: what the physics guarantees, else a refusal or a recorded WARNING.

Every command passes its result through these checks before it writes a file:

* a refusal (:class:`ResultError`, exit code 2, naming the options that put the run there) where the
  result is not a physical answer at all: a C_l < 0 where the theory implies C_l >= 0 (the
  ensemble-averaged <|a_lm|^2>, KPM (4)), no dipole (C_1 = 0 or not finite), no power beyond the
  dipole (every C_l = 0 for l >= 2), a NaN with no reason;
* a WARNING, printed and recorded in the file's metadata under the one key :data:`WARNINGS` (a list
  of strings, :func:`record_warnings`), where the result is computed correctly but its premise fails
  or a part of it is undefined for a stated reason: a dipole amplitude 3 sqrt(C_1/4 pi) >= 1 (the
  relative intensity of KPM (3) would be negative somewhere: the linear theory fails; C_l/C_1 does
  not depend on it), a NaN where the l_max extrapolation has no limit or does not reach, Delta T
  or eta outside the validity range of the mixing equation (KPM Sec. 2.2.1, stated by the solver),
  a power budget (source = monopole + leak past l_max, the invariant of the mixing matrix) that
  does not close, any other non-finite entry of a table.

NaN is never written silently: :func:`table_warnings` finds every non-finite entry of a table that
no check has explained.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "WARNINGS",
    "ResultError",
    "check_spectrum",
    "dipole_amplitude",
    "ell_ranges",
    "power_budget_warning",
    "record_warnings",
    "table_warnings",
]

#: the metadata key of every table's (and run.json-like record's) warnings: a list of strings
WARNINGS = "warnings"
#: C_l below -NEGATIVE_TOLERANCE C_1 is negative, not round-off
NEGATIVE_TOLERANCE = 1e-9
#: |source - monopole - leak| / source above this: the power budget does not close
BUDGET_TOLERANCE = 1e-6


class ResultError(ValueError):
    """A result the physics rejects (module docstring); the message names the options that set the run."""


def record_warnings(meta: MutableMapping[str, Any], messages: Iterable[str]) -> list[str]:
    """Append ``messages`` to ``meta[WARNINGS]`` (created when absent), each once; returns the list."""
    recorded = [str(m) for m in meta.get(WARNINGS, [])]
    for message in messages:
        if message not in recorded:
            recorded.append(str(message))
    meta[WARNINGS] = recorded
    return recorded


def ell_ranges(ells: Iterable[int]) -> str:
    """(1, 2, 3, 7) -> '1-3, 7'."""
    runs: list[list[int]] = []
    for v in sorted({int(v) for v in ells}):
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def dipole_amplitude(c1: float) -> float:
    """The dipole amplitude 3 sqrt(C_1 / 4 pi) of the relative intensity with power C_1."""
    return 3.0 * math.sqrt(c1 / (4.0 * math.pi)) if c1 >= 0 else math.nan


def check_spectrum(label: str, C: Sequence[float] | np.ndarray, *, options: str, nan_reasons: dict[int, str] | None = None,
                   ) -> list[str]:
    """The checks of an ensemble-averaged <C_l>, l = 0..l_max (module docstring): warnings, or ResultError.

    ``label`` names the spectrum in messages (a rigidity), ``options`` the options that set it (named in
    a refusal); ``nan_reasons``: l -> why C_l is NaN there by design (the extrapolation).
    """
    C = np.asarray(C, dtype=float)
    reasons = nan_reasons or {}
    prefix = f"{label}: " if label else ""
    c1 = float(C[1]) if C.size > 1 else math.nan
    if not (math.isfinite(c1) and c1 > 0):
        raise ResultError(f"{prefix}C_1 = {c1:.3g}: the steady state carries no dipole, so no C_l or C_l/C_1 can be given; "
                          f"these parameters are outside the theory's range ({options})")
    ell = np.arange(C.size)
    bad = ~np.isfinite(C)
    unexplained = [int(i) for i in ell[bad] if int(i) not in reasons]
    if unexplained:
        raise ResultError(f"{prefix}C_l is not finite at l = {ell_ranges(unexplained)}: no result can be written ({options})")
    warnings = []
    for reason in sorted({reasons[int(i)] for i in ell[bad]}):
        where = [int(i) for i in ell[bad] if reasons[int(i)] == reason]
        warnings.append(f"{prefix}C_l is NaN at l = {ell_ranges(where)}: {reason}")
    finite = np.isfinite(C) & (ell >= 2)
    negative = finite & (C < -NEGATIVE_TOLERANCE * c1)
    if np.any(negative):
        worst = int(ell[negative][np.argmin(C[negative])])
        raise ResultError(f"{prefix}C_l < 0 at l = {ell_ranges(ell[negative])} (C_{worst}/C_1 = {C[worst] / c1:.3g}): an "
                          f"ensemble-averaged power cannot be negative; the mixing equation has no physical steady state "
                          f"at these parameters ({options})")
    if np.any(finite) and not np.any(np.abs(C[finite]) > NEGATIVE_TOLERANCE * c1):
        raise ResultError(f"{prefix}C_l = 0 for every l >= 2: the solution carries no power beyond the dipole, which no "
                          f"turbulence does; these parameters are outside the theory's range ({options})")
    amplitude = dipole_amplitude(c1)
    if amplitude >= 1.0:
        warnings.append(f"{prefix}dipole amplitude 3 sqrt(C_1/4 pi) = {amplitude:.3g} >= 1: the relative intensity would be "
                        "negative somewhere, so the linear theory (KPM (3)) fails at this gradient; C_l scales as the "
                        "inverse square of --gradient-length, C_l/C_1 does not depend on it")
    return warnings


def power_budget_warning(label: str, monopole_fraction: float, leak_fraction: float) -> list[str]:
    """A warning when source = monopole + leak (the invariant sum_l (2l+1) C_l of the mixing matrix) does not close."""
    total = monopole_fraction + leak_fraction
    if math.isfinite(total) and abs(total - 1.0) <= BUDGET_TOLERANCE:
        return []
    prefix = f"{label}: " if label else ""
    return [f"{prefix}the power budget does not close: monopole {monopole_fraction:.4g} + leak past l_max "
            f"{leak_fraction:.4g} of the injected power (expected 1 from the invariant of the mixing matrix)"]


def table_warnings(table: Any, name: str, *, explained: Iterable[str] = (), index: str | None = None) -> list[str]:
    """A warning per numeric column of ``table`` (astropy) with non-finite entries, except the ``explained`` columns.

    ``index``: the column whose values name the rows in the message (e.g. ``ell``); default the row numbers.
    """
    skip = set(explained)
    out = []
    for column in table.colnames:
        if column in skip or table[column].dtype.kind not in "fc":
            continue
        values = np.asarray(table[column], dtype=float if table[column].dtype.kind == "f" else complex)
        bad = ~np.isfinite(values)
        if np.any(bad):
            rows = np.asarray(table[index])[bad] if index is not None else np.flatnonzero(bad)
            where = ell_ranges(rows) if np.issubdtype(np.asarray(rows).dtype, np.integer) else ", ".join(map(str, rows[:5]))
            out.append(f"{name}: column {column} is not finite at {index or 'row'} {where}")
    return out
