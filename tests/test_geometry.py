"""The geometry registry (crmix.geometry): each geometry's tensor, its normalisation and transversality, its
reduction and QLT, round trips through run records, and no branch on a geometry's name outside it."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from crmix.closed_forms import ISOTROPIC_CLOSED_FORM, SLAB_CLOSED_FORM
from crmix.geometry import COMPOSITE, GEOMETRIES, ISOTROPIC, SLAB, TWO_D, Composite, Part, geometry_for, register
from crmix.model import Spectrum, TurbulenceModel
from crmix.spectral_tensors import SUPPORTS

ROOT = Path(__file__).resolve().parents[1]
#: The layers searched for name branches, and the geometry modules that may name geometries.
LAYERS = ("crmix", "solver", "simulate", "fit", "observe", "derive")
GEOMETRY_MODULES = {"crmix/geometry.py", "crmix/spectral_tensors.py"}
#: Known name branches, counted per file so that a new one fails (none are left).
KNOWN: dict[str, int] = {}

_NAMES = "slab|isotropic|2d|composite"
_BRANCH = [
    # a comparison or membership test on something called geometry or support (not a registry lookup)
    re.compile(r"\w*(geometry|support)\w*(\.name)?\s*(==|!=|\bnot\s+in\b|\bin\b)\s*(?!SUPPORTS|_REGISTRY|GEOMETRIES)[\w\"'(\[{]"),
    re.compile(r"(==|!=)\s*\w*\.?(geometry|support)\b"),
    # a comparison with a name only geometries and supports have
    re.compile(r"(==|!=)\s*[\"'](slab|2d|composite)[\"']|[\"'](slab|2d|composite)[\"']\s*(==|!=)"),
    re.compile(r"\bin\s*[(\[{][^)\]}]*[\"'](slab|2d|composite)[\"']"),
    # a dict literal indexed by a geometry or support name
    re.compile(r"\}\s*\[\s*[\w.]*(geometry|support)\s*\]"),
    re.compile(rf"\{{\s*[\"']({_NAMES})[\"']\s*:[^}}]*\}}\s*(\.get\()?\s*\[?\s*[\w.]*(geometry|support)"),
]


def name_branches(text: str) -> list[str]:
    """Lines of ``text`` that branch on a geometry or support name (loops over names are not branches)."""
    found = []
    for line in text.splitlines():
        code = line.split("#", 1)[0]
        if re.match(r"\s*(async\s+)?for\b", code):  # a loop header iterates over names, it does not branch on one
            continue
        if any(p.search(code) for p in _BRANCH):
            found.append(line.strip())
    return found


def test_the_detector_catches_name_branches_and_passes_loops():
    caught = [
        'if model.geometry == "slab":',
        'if component.support != "2d" and omega > 0:',
        'upper_ok = eta < 1.0 or (eta == 1.0 and self.geometry == "isotropic")',
        'if geometry in ("slab", "isotropic"):',
        'build = {"slab": slab_tensor, "isotropic": isotropic_tensor}[model.geometry]',
        'kernel = {"slab": kernels.slab_m1a, "isotropic": kernels.isotropic_m1a}.get(geometry)',
        'full = any(c.support == "full" for c in tensor.components)',
        'prefix = "slab_m1c" if geometry == "slab" else "isotropic_m1c2"',
        'if name == "composite":',
    ]
    passed = [
        "for geometry, l0 in itertools.product(CLOSED, range(4)):",
        "if self.support not in SUPPORTS:",
        'if covariance == "full":',
        'if self.symmetry == "isotropic":',
        "directions = component.where.directions",
    ]
    assert [name_branches(line) for line in caught] == [[line] for line in caught]
    assert all(name_branches(line) == [] for line in passed)


def test_no_branch_on_a_geometry_name_outside_the_geometry_modules():
    found = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in GEOMETRY_MODULES:
                continue
            hits = name_branches(path.read_text())
            if hits:
                found[rel] = hits
    known = {rel: len(hits) for rel, hits in found.items() if rel in KNOWN}
    assert {rel: hits for rel, hits in found.items() if rel not in KNOWN} == {}
    assert all(known.get(rel, 0) <= n for rel, n in KNOWN.items()), known


def _model(geometry, eta: float = 0.5) -> TurbulenceModel:
    return TurbulenceModel(geometry=geometry, eta=eta, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.3))


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_every_registered_tensor_carries_omega_squared_and_is_transverse(name):
    geometry = GEOMETRIES[name]
    for eta in (0.3, 0.5) if geometry.needs_regular_field else (0.3, 1.0):
        model = _model(name, eta)
        tensor = geometry.tensor(model)
        assert tensor.power == pytest.approx(model.omega_rms2, rel=1e-9)
        assert model.omega_rms2 == pytest.approx(eta / (1 - eta) if eta < 1 else 1.0, rel=1e-15)
        for comp in tensor.components:
            c, _ = comp.where.nodes()
            for k in (comp.kmin, math.sqrt(comp.kmin * comp.kmax), comp.kmax):
                kh = np.stack([np.sqrt(1 - c * c), 0 * c, c], axis=-1)
                s = comp.density(np.full(c.shape, k), c, np)
                assert np.max(np.abs(np.einsum("...i,...ij->...j", kh, s))) <= 1e-13 * np.max(np.abs(s))


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_symbolic_tensor_is_normalised_transverse_and_equals_the_numeric_one(name):
    geometry = GEOMETRIES[name]
    c = sp.Symbol("c", real=True)
    kh = sp.Matrix([sp.sqrt(1 - c**2), 0, c])
    parts = geometry.symbolic(c)
    assert sum(p.fraction for p in parts) == pytest.approx(1.0, abs=1e-15)
    numeric = {e.name: e for e in geometry.elementary()}
    for part in parts:
        directions = SUPPORTS[part.support].directions
        trace = sp.simplify(part.polarisation.trace())
        total = sp.integrate(trace, (c, -1, 1)) if directions is None else sum(trace.subs(c, d) for d in directions)
        assert sp.simplify(total - 1) == 0
        for cv in (directions or (0.3, -0.8)):
            assert sp.simplify((kh.T * part.polarisation).subs(c, sp.nsimplify(cv))) == sp.zeros(1, 3)
            num = numeric[part.name].polarisation(np.array(1.0), np.array(cv), np)
            assert np.max(np.abs(np.asarray(sp.N(part.polarisation.subs(c, cv)), dtype=float) - num)) <= 1e-15


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_parallel_fraction_is_the_tensors_share_along_b0(name):
    model = _model(name)
    tensor = model.turbulence.tensor(model)
    zz, total = 0.0, 0.0
    for comp in tensor.components:
        c, w = comp.where.nodes()
        pol = comp.polarisation(np.full(c.shape, comp.kmin), c, np)
        zz += comp.power * float(np.sum(w * pol[..., 2, 2]))
        total += comp.power * float(np.sum(w * np.trace(pol, axis1=-2, axis2=-1)))
    assert model.turbulence.parallel_fraction == pytest.approx(zz / total, abs=1e-14)


def test_reductions_orbits_and_qlt_by_geometry():
    slab, iso_b0, ma19, two_d, comp = _model("slab"), _model("isotropic"), _model("isotropic", 1.0), _model("2d"), _model("composite")
    assert [m.turbulence.closed_form(m) for m in (slab, iso_b0, ma19, two_d, comp)] == [SLAB_CLOSED_FORM, None, ISOTROPIC_CLOSED_FORM, None, None]
    assert [m.turbulence.orbit(m) for m in (slab, iso_b0, ma19)] == ["helix", "helix", "straight line"]
    assert [m.turbulence.has_qlt(m) for m in (slab, iso_b0, ma19, two_d, comp)] == [True, True, False, False, True]
    assert two_d.turbulence.qlt(two_d) is None and ma19.turbulence.qlt(ma19) is None


def test_composite_qlt_comes_from_its_slab_part():
    """2D adds no resonance: the composite's lambda_par is the slab one with power f <omega^2>, i.e. 1/f times the pure slab's."""
    from crmix.qlt_axisymmetric import qlt_scattering

    slab, comp = _model("slab"), _model("composite")
    pure = qlt_scattering(slab.turbulence.tensor(slab), 1.0).lambda_par
    mixed = comp.turbulence.qlt(comp).lambda_par
    assert mixed == pytest.approx(pure / 0.2, rel=1e-10)
    half = _model(COMPOSITE.with_parameters(slab_fraction=0.5))
    assert half.turbulence.qlt(half).lambda_par == pytest.approx(pure / 0.5, rel=1e-10)


def test_closed_forms_through_the_geometry_match_the_direct_contraction_to_1e_14():
    """The dispatch changes no number: M of slab and MA19 equal the direct KPM (38)/(47), MA19 (3.15)/(3.21) contraction."""
    from crmix.solver.dispatch import model_mixing_matrix
    from crmix.solver.integrals import kappa, lambda_l
    from crmix.solver.mixing import m1a_diagonal, m1c_matrix

    lmax = 8
    for model, name, weight, dt in ((_model("slab"), "slab", 2.0, 6.0), (_model("isotropic", 1.0), "isotropic", 8 * math.pi, 0.5)):
        m = model_mixing_matrix(model, dt, lmax)

        def w(k, xp=np, model=model, weight=weight):
            return model.power(k, xp) / weight

        lam = lambda_l(w, model.k_min, model.k_max, dt, model.Omega, 2, rtol=1e-10)
        kap = kappa(w, model.k_min, model.k_max, dt, model.Omega, 2 * lmax, rtol=1e-10)
        m1a, _ = m1a_diagonal(float(lam.value[0]), float(lam.value[2]), lmax, name)
        m1c, _ = m1c_matrix(kap.value, lmax, name)
        assert np.max(np.abs(m.m1a - m1a)) <= 1e-14 * np.max(np.abs(m1a))
        assert np.max(np.abs(m.m1c - m1c)) <= 1e-14 * np.max(np.abs(m1c))


def test_generic_geometries_take_the_generic_path():
    from crmix.solver.axisymmetric import GenericMixingMatrix
    from crmix.solver.dispatch import model_mixing_matrix

    m = model_mixing_matrix(_model("2d"), 6.0, 4)
    assert isinstance(m, GenericMixingMatrix) and m.nodes > 0
    with pytest.raises(ValueError, match="no closed-form mixing matrix for isotropic turbulence on helix orbits"):
        from crmix.solver.mixing import mixing_matrix

        mixing_matrix(_model("isotropic"), 6.0, 4)


def test_describe_round_trips_geometry_and_parameters():
    for geometry in ("slab", "isotropic", "2d", COMPOSITE.with_parameters(slab_fraction=0.35)):
        model = _model(geometry)
        back = TurbulenceModel.from_description(model.describe(), dataclasses.asdict(model.spectrum))
        assert back == model and back.turbulence == model.turbulence
    d = _model(COMPOSITE.with_parameters(slab_fraction=0.35)).describe()
    assert d["geometry"] == "composite" and d["slab_fraction"] == 0.35
    assert "slab_fraction" not in _model("slab").describe()
    # a copy keeps the parameters; a new name resolves from the registry
    comp = _model(COMPOSITE.with_parameters(slab_fraction=0.35))
    assert comp.with_(eta=0.4).turbulence.parameters() == {"slab_fraction": 0.35}
    assert comp.with_(geometry="slab").turbulence is SLAB


def test_bad_geometry_input_names_the_parameter():
    for bad in (0.0, 1.0, 1.5, math.nan):
        with pytest.raises(ValueError, match="slab_fraction must be"):
            COMPOSITE.with_parameters(slab_fraction=bad)
    with pytest.raises(ValueError, match="slab_fraction is not a parameter of slab turbulence"):
        geometry_for("slab", slab_fraction=0.3)
    with pytest.raises(ValueError, match="0 < eta < 1 for 2d"):
        TurbulenceModel(geometry=TWO_D, eta=1.0)
    with pytest.raises(ValueError, match="geometry must be one of"):
        geometry_for("toroidal")
    with pytest.raises(ValueError, match="sum to 1"):
        Composite("bad", (Part(SLAB, 0.5), Part(TWO_D, 0.6)))


def test_a_user_geometry_is_registered_and_used(monkeypatch):
    """slab + isotropic at 30 : 70 with its own isotropic spectrum: registered, resolved by name, normalised."""
    import crmix.geometry as geometry_module

    monkeypatch.setattr(geometry_module, "_REGISTRY", dict(geometry_module._REGISTRY))
    monkeypatch.setattr(geometry_module, "GEOMETRIES", geometry_module.MappingProxyType(geometry_module._REGISTRY))
    mixed = Composite("slab+isotropic", (Part(SLAB, 0.3), Part(ISOTROPIC, 0.7, Spectrum.kraichnan(kmax=30.0))))
    register(mixed)
    model = _model("slab+isotropic")
    tensor = model.turbulence.tensor(model)
    assert [c.power / model.omega_rms2 for c in tensor.components] == pytest.approx([0.3, 0.7], rel=1e-9)
    assert tensor.components[1].kmax == pytest.approx(30.0 / model.L_c)
    assert model.turbulence.parallel_fraction == pytest.approx(0.7 / 3)
    assert model.turbulence.parameters() == {"slab_fraction": 0.3}
    with pytest.raises(ValueError, match="registered already"):
        register(dataclasses.replace(mixed, parts=(Part(SLAB, 0.4), Part(ISOTROPIC, 0.6))))


def test_mean_cos_field_angle_follows_the_parallel_fraction():
    from crmix.solver.spectrum import mean_cos_field_angle

    assert mean_cos_field_angle(_model("2d")) == mean_cos_field_angle(_model("slab"))
    assert mean_cos_field_angle(_model("composite")) == mean_cos_field_angle(_model("slab"))
    assert mean_cos_field_angle(_model("isotropic")) != pytest.approx(mean_cos_field_angle(_model("slab")), rel=1e-3)


def test_simulation_synthesisers_by_geometry():
    from crmix.simulate import synthesis
    from crmix.simulate.realisation import SYNTHESISERS, synthesiser

    assert SYNTHESISERS[synthesiser(_model("slab"), "grid")] is synthesis.slab_table
    assert SYNTHESISERS[synthesiser(_model("isotropic"), "grid")] is synthesis.nested_grids
    assert SYNTHESISERS[synthesiser(_model("isotropic"), "waves")] is synthesis.plane_waves
    assert synthesiser(_model("2d"), "grid") == "tensor_grid" and synthesiser(_model("composite"), "waves") == "tensor_waves"


def test_the_mixing_time_rule_is_replaceable_where_qlt_has_none():
    """2D: no QLT tau_s, so KPM (51) is refused and a rule of the model's own is taken as given."""
    from crmix.solver.spectrum import angular_power_spectrum
    from crmix.solver.timestep import mixing_time

    model = _model("2d")
    with pytest.raises(ValueError, match="needs a QLT scattering time"):
        mixing_time(model, rule="kpm51")

    def gyrations(m):
        return 4 * math.pi / m.Omega  # two gyrations

    step = mixing_time(model, rule=gyrations)
    assert step.dt == pytest.approx(4 * math.pi) and step.source == "rule gyrations" and step.tau_s is None
    res = angular_power_spectrum(model, lmax=4, dt_rule=gyrations)
    assert res.timestep.dt == step.dt and res.metadata["dt_source"] == "rule gyrations"
