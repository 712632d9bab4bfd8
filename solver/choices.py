"""The solver's named choices and default truncations, importable without SciPy (the commands' parsers read them).

crmix.solver.closure and crmix.solver.spectrum use them; ``crmix spectrum --help`` and ``crmix fit
--help`` build their choices from them without importing the solver.
"""

from __future__ import annotations

__all__ = ["CLOSURES", "DEFAULT_LMAX", "DEFAULT_LMAX_GENERIC", "MIN_LMAX_EXTRAPOLATION", "ZONAL_CLOSURES"]

#: What replaces the l_max truncation (crmix.solver.closure; docs/physics.md, Closures).
CLOSURES = ("truncated", "continuum", "flux", "bourret")
#: Closures built on the zonal columns of M (crmix.solver.closure.zonal_columns: the closed forms only).
ZONAL_CLOSURES = ("continuum", "flux")
#: The default l_max of the closed forms.
DEFAULT_LMAX = 100
#: The default l_max on the generic path (crmix.solver.axisymmetric: minutes of CPU for lines at 50,
#: benchmarks/RESULTS.md; the closed forms take DEFAULT_LMAX).
DEFAULT_LMAX_GENERIC = 50
#: Smallest l_max for the extrapolation (it fits l_max/2 .. l_max with at least 8 truncations).
MIN_LMAX_EXTRAPOLATION = 14
