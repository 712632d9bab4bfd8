"""kappa for multipoles far beyond the support of the time factors (l >> k_max dT).

There kappa_ll falls super-exponentially; the error target is floored relative to the largest
multipole (``SCALE_FLOOR``), so the k quadrature must not chase relative accuracy on values at the
rounding level.  Regression: MA19's alpha = 50 with l up to 120 once needed ~1e6 k nodes and GBs.
"""

from __future__ import annotations

import numpy as np

import crmix.solver.integrals as integrals
from crmix import TurbulenceModel
from crmix.solver.mixing import spectral_weight


def test_kappa_beyond_support_is_cheap_and_within_its_target(monkeypatch):
    model = TurbulenceModel.ma19()
    dt = 50.0 / model.k_max  # alpha = k_in dT = 50
    nodes = []
    evaluate = integrals._evaluate

    def counting(sample, todo, gram, xp):
        nodes.append(sum(n for _, _, n in todo))
        return evaluate(sample, todo, gram, xp)

    monkeypatch.setattr(integrals, "_evaluate", counting)
    rtol = 1e-10
    res = integrals.kappa(spectral_weight(model), model.k_min, model.k_max, dt, model.Omega, 120, rtol=rtol)
    assert sum(nodes) < 20_000
    diag = np.sqrt(np.diag(res.value))
    assert diag[100] < 1e-6 * diag[0]  # l = 100 is far outside kX <= 50
    d = np.maximum(diag, integrals.SCALE_FLOOR * diag.max())
    assert np.all(res.error <= rtol * np.outer(d, d))
    # the values inside the support are unchanged by the floor: compare with the l <= 40 result
    small = integrals.kappa(spectral_weight(model), model.k_min, model.k_max, dt, model.Omega, 40, rtol=rtol)
    np.testing.assert_allclose(res.value[:41, :41], small.value, rtol=1e-9, atol=1e-12 * diag.max() ** 2)
