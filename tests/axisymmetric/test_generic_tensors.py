"""The axisymmetric spectral tensors (crmix.spectral_tensors): normalisation, composites, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from generic_models import white

from crmix.model import TurbulenceModel
from crmix.spectral_tensors import (
    SLAB_FRACTION_SOLAR_WIND,
    AxisymmetricTensor,
    TensorComponent,
    composite_tensor,
    isotropic_tensor,
    model_spectrum,
    slab_tensor,
    tensor_from_model,
    two_d_tensor,
)


@pytest.mark.parametrize("build", [slab_tensor, isotropic_tensor, two_d_tensor])
def test_power_is_the_integral_of_the_spectrum(build):
    tensor = build(lambda k, xp=np: k ** (-5.0 / 3.0), 0.5, 50.0)
    exact = 1.5 * (0.5 ** (-2.0 / 3.0) - 50.0 ** (-2.0 / 3.0))
    assert math.isclose(tensor.power, exact, rel_tol=1e-10)


@pytest.mark.parametrize("geometry, eta", [("slab", 0.5), ("isotropic", 0.3), ("isotropic", 1.0)])
def test_model_tensor_carries_the_model_power(geometry, eta):
    model = TurbulenceModel(geometry=geometry, eta=eta, rho=0.3)
    assert math.isclose(tensor_from_model(model).power, model.omega_rms2, rel_tol=1e-9)
    k = np.geomspace(model.k_min, model.k_max, 7)
    np.testing.assert_allclose(model_spectrum(model)(k), model.power(k), rtol=1e-14)


def test_densities_match_the_seed_tensors():
    """slab: per-line density E/4 in xx, yy (R_xx(0) = int G, G = E/2); isotropic: (E/4)(1 - k^k^); 2D: E y^y^."""
    e = white(2.0)
    s = slab_tensor(e, 1.0, 2.0).components[0].density(np.array(1.5), np.array(1.0))
    np.testing.assert_allclose(s, np.diag([0.5, 0.5, 0.0]))
    c = 0.6
    kh = np.array([0.8, 0.0, c])
    iso = isotropic_tensor(e, 1.0, 2.0).components[0].density(np.array(1.5), np.array(c))
    np.testing.assert_allclose(iso, 0.5 * (np.eye(3) - np.outer(kh, kh)), atol=1e-15)
    np.testing.assert_allclose(iso @ kh, 0.0, atol=1e-15)  # divergence-free
    two_d = two_d_tensor(e, 1.0, 2.0).components[0].density(np.array(1.5), np.array(0.0))
    np.testing.assert_allclose(two_d, np.diag([0.0, 2.0, 0.0]))


def test_composite_fractions():
    slab, two_d = slab_tensor(white(1.0), 0.5, 2.0), two_d_tensor(white(3.0), 0.5, 1.0)
    assert SLAB_FRACTION_SOLAR_WIND == 0.2
    comp = composite_tensor(slab, two_d)
    powers = [c.power for c in comp.components]
    assert [c.support for c in comp.components] == ["slab", "2d"]
    np.testing.assert_allclose(powers, [0.2 * 1.5, 0.8 * 1.5], rtol=1e-12)
    assert len(composite_tensor(slab, two_d, 1.0).components) == 1
    with pytest.raises(ValueError, match="slab_fraction"):
        composite_tensor(slab, two_d, 1.2)


def test_component_validation():
    pol = slab_tensor(white(1.0), 1.0, 2.0).components[0].polarisation
    with pytest.raises(ValueError, match="support"):
        TensorComponent("x", "cone", white(1.0), 1.0, 2.0, pol)
    with pytest.raises(ValueError, match="kmin < kmax"):
        TensorComponent("x", "slab", white(1.0), 2.0, 1.0, pol)
    with pytest.raises(ValueError, match="must be 1"):
        TensorComponent("x", "slab", white(1.0), 1.0, 2.0, lambda k, c, xp=np: 2 * pol(k, c, xp))
    with pytest.raises(ValueError, match="Hermitian"):
        TensorComponent("x", "2d", white(1.0), 1.0, 2.0,
                        lambda k, c, xp=np: np.broadcast_to(np.array([[0.5, 1.0, 0], [0, 0.5, 0], [0, 0, 0]]), np.shape(c) + (3, 3)))
    with pytest.raises(ValueError, match="at least one"):
        AxisymmetricTensor(())
