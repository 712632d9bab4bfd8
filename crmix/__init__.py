"""crmix: cosmic-ray small-scale anisotropies from magnetic turbulence.

Layers (one import namespace):

* :mod:`crmix.derive`    -- SymPy: the operator algebra and identities of the seed papers, checked.
* :mod:`crmix.codegen`   -- jinja2 templates that turn derive's expressions into kernels.
* :mod:`crmix.generated` -- the emitted NumPy/CuPy kernels (committed, never edited by hand).
* :mod:`crmix.solver`    -- Lambda/kappa integrals, mixing matrix, steady state, time evolution.
* :mod:`crmix.simulate`  -- test-particle backtracking through synthetic turbulence.

Seed papers: MA19 = Mertsch & Ahlers (2019), JCAP 11, 048; KPM = Kuhlen, Phan & Mertsch (2022).
"""

from crmix.model import Spectrum, TurbulenceModel

__all__ = ["Spectrum", "TurbulenceModel"]
__version__ = "0.1.0"
