"""crmix.observe: the theory's <C_l> (or simulated skies) through a detector, against measured pseudo-spectra.

* :mod:`~crmix.observe.data`      -- measured tables; the shipped IceTop 11-year spectra
* :mod:`~crmix.observe.sky`       -- coverage, the m = 0 map-making filter, rotation to the field direction
* :mod:`~crmix.observe.coupling`  -- the kernel K: full-sky <C_l> -> expected pseudo-<C~_l> (exact for a band)
* :mod:`~crmix.observe.forward`   -- sky realisations (Gaussian, or simulated maps) through the detector
* :mod:`~crmix.observe.simulated` -- reading the sky maps of a ``crmix simulate`` run
* :mod:`~crmix.observe.theory`    -- the prediction C_l/C_1 at a mixing time, cached
* :mod:`~crmix.observe.fit`       -- chi^2 with asymmetric errors, per-tier and joint (KPM (51)) fits
* :mod:`~crmix.observe.onesky`    -- chi^2 with the one-sky covariance at the best fit, refitted until it stays
* :mod:`~crmix.observe.namaster`  -- partial skies through NaMaster: mode coupling, bandpowers, Gaussian covariance
* :mod:`~crmix.observe.budget`    -- the predictions and time a comparison will take, estimated before it starts
* :mod:`~crmix.observe.request`   -- CompareRequest: what ``crmix compare`` compares, checked once (the command: crmix.commands)

What the comparison assumes and what limits it: docs/observations.md.
"""

from __future__ import annotations

from crmix.lazy import lazy_exports

__all__ = ["CompareRequest", "Comparison", "icetop11", "read_measured", "run_comparison"]

__getattr__ = lazy_exports(__name__, {
    "CompareRequest": "crmix.observe.request",
    "Comparison": "crmix.observe.compare",
    "icetop11": "crmix.observe.data",
    "read_measured": "crmix.observe.data",
    "run_comparison": "crmix.observe.compare",
})
