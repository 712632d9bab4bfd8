"""crmix.fit: theory meets simulation -- the mixing time fitted to simulated C_l/C_1, and its scaling with tau_s.

The calls a notebook makes: :func:`read_shape` (a ``crmix simulate`` run's C_l/C_1 with its
covariance), :func:`fit_run` (the fit at each l_max), :func:`scaling_relation` (Omega dT against
Omega tau_s over several fits); :class:`FitRequest` is what ``crmix fit`` fits, checked once.
They are imported on first use, so that ``crmix fit --help`` imports no astropy table or SciPy.
"""

from __future__ import annotations

from crmix.lazy import lazy_exports

__all__ = ["FitRequest", "fit_run", "read_shape", "scaling_relation"]

__getattr__ = lazy_exports(__name__, {
    "FitRequest": "crmix.fit.request",
    "fit_run": "crmix.fit.shape",
    "read_shape": "crmix.fit.data",
    "scaling_relation": "crmix.fit.relation",
})
