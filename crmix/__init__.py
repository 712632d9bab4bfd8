"""crmix: cosmic-ray small-scale anisotropies from magnetic turbulence.

Layers (one import namespace; docs/architecture.md):

* :mod:`crmix.commands`  -- the command line: every command, its options, its files.
* :mod:`crmix.theory`    -- the theory in physical units: SpectrumRequest and its spectra.
* :mod:`crmix.derive`    -- SymPy: the operator algebra and identities of the seed papers, checked.
* :mod:`crmix.codegen`   -- jinja2 templates that turn derive's expressions into kernels.
* :mod:`crmix.generated` -- the emitted NumPy/CuPy kernels (committed, never edited by hand).
* :mod:`crmix.solver`    -- Lambda/kappa integrals, mixing matrix, steady state, time evolution.
* :mod:`crmix.simulate`  -- test-particle backtracking through synthetic turbulence.
* :mod:`crmix.fit`       -- the theory fitted to simulated ensembles.
* :mod:`crmix.observe`   -- the prediction through a detector against measured spectra.

The core (model, geometry, units, validation) is imported here; the rest on first use.
Seed papers: MA19 = Mertsch & Ahlers (2019), JCAP 11, 048; KPM = Kuhlen, Phan & Mertsch (2022).
"""

from crmix.lazy import lazy_exports
from crmix.model import Spectrum, TurbulenceModel

#: crmix's version: the one place it is written (pyproject.toml, provenance and ``crmix --version`` read it).
__version__ = "0.1.0"

__all__ = ["SimulationConfig", "Spectrum", "SpectrumRequest", "TurbulenceModel", "__version__", "angular_power_spectra", "spectrum_table"]

__getattr__ = lazy_exports(__name__, {
    "SpectrumRequest": "crmix.theory",
    "angular_power_spectra": "crmix.theory",
    "spectrum_table": "crmix.theory",
    "SimulationConfig": "crmix.simulate.config",
})
