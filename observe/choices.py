"""The choices and defaults of a comparison, importable without healpy (``crmix compare --help`` reads them)."""

from __future__ import annotations

__all__ = ["COMPARE_SPECTRA", "DEFAULT_FIELD", "DEFAULT_LMAX", "DIPOLES", "FILTERS"]

#: l_max of the model: three times the largest measured l (41), near KPM's l_max = 100 at which
#: c = 4 of KPM (51) was calibrated (docs/observations.md: the truncation and errata entry 22)
DEFAULT_LMAX = 123
#: The local field direction from the HAWC-IceCube dipole at 10 TeV, ApJ 871, 96 (2019): RA, Dec (deg)
DEFAULT_FIELD = (229.2, 11.4)
#: The map-making filters (crmix.observe.sky): m0 removes the m = 0 modes in equatorial coordinates, none keeps them.
FILTERS = ("m0", "none")
#: b0: the predicted dipole along B0 (KPM (18)); isotropic: like the other multipoles.
DIPOLES = ("b0", "isotropic")
#: The slab spectra the comparison offers (a subset of crmix.model.NAMED_SPECTRA).
COMPARE_SPECTRA = ("kolmogorov", "kraichnan", "bendover")
