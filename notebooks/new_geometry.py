# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A new geometry from scratch: slab + 2D turbulence, theory against simulation
#
# A physicist's workflow for a turbulence geometry crmix was not written for (docs/architecture.md,
# "How to add a geometry"):
#
# 1. **Define it.**  The 2D part is written here from its tensor: wave vectors perpendicular to
#    B0 = B0 z^, ω perpendicular to both k and B0 (div B = 0, δB_z = 0), so at azimuth 0
#    (k^ = x^) the polarisation is y^y^ with unit trace on the line c = cos θ_k = 0, i.e.
#    P_ij = δ(k_∥) E(k⊥)/(2π k⊥) e1_i e1_j, e1 = k^ × z^ / |k^ × z^| (docs/physics.md).  Numerically and in
#    SymPy; the symbolic form is checked for unit power and k_i P_ij = 0.  The composite adds KPM's
#    slab (KPM (28)) with a slab fraction of the power (0.2 for the solar wind, Bieber et al. 1996),
#    and is registered under its own name, as a user would.
# 2. **Regenerate the kernels.**  The generic reduction's coupling weights do not depend on the
#    geometry (the geometry enters through its tensor only): `crmix codegen` renders them again from
#    `crmix.derive` into a scratch folder, and they must equal the shipped ones.
# 3. **Theory.**  M(ΔT) on helices through the generic path (the slab part by its closed form,
#    KPM (38), (47)); M is linear in the tensor, which is checked.  QLT: 2D alone has no resonant
#    scattering (k_∥ = 0), so τ_s comes from the slab part, and ΩΔT = 4(Ωτ_s)^{1/3} (KPM (51),
#    calibrated for slab only) is one explicit choice.
# 4. **Simulation** of the same model (`crmix.simulate`, the tensor synthesis of the registered
#    geometry), and **the comparison**: ⟨C_ℓ⟩^sub/⟨C_1⟩^sub against the steady state KPM (20), with
#    ΩΔT fitted by `crmix fit` (`crmix.fit.fit_run`).
#
# Presets: `"ci"` (under a minute: N_side 4, λ_min = r_g/3, 4 realisations; the tests run it),
# `"cpu"` (N_side 16, λ_min = r_g/10, 16 realisations, ℓ_max 30: tens of minutes on two cores) and
# `"paper"` (N_side 256, λ_min = r_g/150, ℓ_max 100; GPU-sized, CuPy backend).  Times in 1/Ω.

# %%
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import math
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from crmix.codegen.config import TARGETS
from crmix.codegen.generate import generate, generated_dir
from crmix.fit import fit_run, read_shape
from crmix.geometry import SLAB, Composite, Elementary, Part, register
from crmix.model import Spectrum, TurbulenceModel
from crmix.simulate.config import SimulationConfig
from crmix.simulate.runner import run_ensemble
from crmix.solver.axisymmetric import axisymmetric_mixing_matrix
from crmix.solver.dispatch import model_mixing_matrix
from crmix.solver.spectrum import angular_power_spectrum
from crmix.solver.timestep import KPM51_COEFFICIENT
from crmix.spectral_tensors import SUPPORTS, AxisymmetricTensor

# %% tags=["parameters"]
PRESET = os.environ.get("CRMIX_NOTEBOOK_PRESET", "ci")  # "ci", "cpu" or "paper"
PRESETS = {
    "ci": dict(nside=4, rg_over_lambda_min=3.0, realisations=4, rho=0.3, eta=0.5, slab_fraction=0.2,
               times=(10.0, 30.0, 60.0), ells=(2, 8), lmax=10, backend="numpy"),
    "cpu": dict(nside=16, rg_over_lambda_min=10.0, realisations=16, rho=0.1, eta=0.5, slab_fraction=0.2,
                times=(10.0, 30.0, 100.0, 300.0), ells=(2, 20), lmax=30, backend="numba"),
    "paper": dict(nside=256, rg_over_lambda_min=150.0, realisations=35, rho=8.9e-3, eta=0.5, slab_fraction=0.2,
                  times=(10.0, 100.0, 1000.0, 5000.0), ells=(2, 40), lmax=100, backend="cupy"),
}
SEED = 0
OUT = Path(os.environ.get("CRMIX_NOTEBOOK_OUT", "crmix-out"))

# %%
P = PRESETS[PRESET]
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## 1. The geometry: the 2D tensor in NumPy and SymPy, the composite, registered

# %%
c = sp.Symbol("c", real=True)  # cos theta_k; k^ = (sqrt(1 - c^2), 0, c) at azimuth 0


def two_d_polarisation(k, c, xp=np):
    """y^ y^ at azimuth 0: omega along k^ x z^ (k perpendicular to B0, dB perpendicular to k and B0)."""
    out = xp.zeros(xp.broadcast_shapes(xp.shape(k), xp.shape(c)) + (3, 3))
    out[..., 1, 1] = 1.0
    return out


def two_d_symbolic(c):
    return sp.diag(0, 1, 0)


TWO_D_MINE = Elementary(
    name="2d-notebook", support="2d", polarisation=two_d_polarisation, symbolic_polarisation=two_d_symbolic,
    needs_regular_field=True,  # dB has no component along B0: the regular field is B0
    closed_form_orbits=(),  # no closed form: the generic path
    parallel_fraction=0.0, resonant=False,  # k_par = 0: no QLT resonance
    synthesis=(("grid", "tensor_grid"), ("waves", "tensor_waves")),
)
GEOMETRY = register(Composite("slab+2d-notebook", (Part(SLAB, P["slab_fraction"]), Part(TWO_D_MINE, 1 - P["slab_fraction"]))),
                    replace_existing=True)

# the symbolic tensor: unit power over each support, divergence-free, equal to the numeric one
kh = sp.Matrix([sp.sqrt(1 - c**2), 0, c])
for part in GEOMETRY.symbolic(c):
    on_line = [sp.nsimplify(v) for v in SUPPORTS[part.support].directions]  # both parts live on lines in k-space
    assert sp.simplify(sum(part.polarisation.trace().subs(c, v) for v in on_line) - 1) == 0, part.name
    assert all(sp.simplify((kh.T * part.polarisation).subs(c, v)) == sp.zeros(1, 3) for v in on_line), part.name
print([(p.name, p.support, p.fraction) for p in GEOMETRY.symbolic(c)])

model = TurbulenceModel(geometry=GEOMETRY.name, eta=P["eta"], rho=P["rho"],
                        spectrum=Spectrum.kolmogorov(kmax=2 * math.pi * P["rg_over_lambda_min"] / P["rho"]))
tensor = model.turbulence.tensor(model)
powers = [comp.power / model.omega_rms2 for comp in tensor.components]
assert np.allclose(powers, [P["slab_fraction"], 1 - P["slab_fraction"]], rtol=1e-9), powers
print(f"{model.geometry}: eta = {model.eta}, rho = {model.rho}, k in [{model.k_min:.3g}, {model.k_max:.3g}] Omega, "
      f"power fractions {np.round(powers, 12)}, orbit: {model.turbulence.orbit(model)}")

# %% [markdown]
# ## 2. The kernels, regenerated
#
# The generic path contracts the Gram blocks of any tensor with the coupling weights of
# `crmix.derive.axisymmetric_weights` (Edmonds' Clebsch-Gordan and 6j recouplings); nothing of the
# geometry is in them.  Rendering them again from the derivation must reproduce the shipped module.

# %%
with tempfile.TemporaryDirectory() as scratch:
    targets = [t for t in TARGETS if t.output == "axisymmetric_weights.py"]
    (outcome,) = generate(targets, out_dir=Path(scratch))
    fresh = Path(outcome.path).read_text()
shipped = (generated_dir() / "axisymmetric_weights.py").read_text()
assert fresh == shipped, "the generated coupling weights are stale: run crmix codegen"
print(f"regenerated {outcome.path.name}: {len(fresh.splitlines())} lines, identical to the shipped module")

# %% [markdown]
# ## 3. Theory: M on helices, QLT from the slab part, C_ℓ at the KPM (51) mixing time

# %%
LMAX = P["lmax"]
dt_check = 10.0
whole = model_mixing_matrix(model, dt_check, 6)
parts = [axisymmetric_mixing_matrix(AxisymmetricTensor((comp,)), model.Omega, dt_check, 6) for comp in tensor.components]
linear = max(np.max(np.abs(whole.m1c - sum(p.m1c for p in parts))), np.max(np.abs(whole.m1a - sum(p.m1a for p in parts))))
assert linear <= 1e-12 * np.max(np.abs(whole.m1c)), linear  # M is linear in the tensor
qlt = model.turbulence.qlt(model)
omega_dt_kpm = KPM51_COEFFICIENT * qlt.tau_s ** (1 / 3)
print(f"QLT from the slab part: Omega tau_s = {qlt.tau_s:.4g} (lambda_par; 2D adds no resonance); "
      f"KPM (51): Omega dT = {omega_dt_kpm:.3g}")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # validity warnings of the truncation: reported in the metadata
    theory_kpm = angular_power_spectrum(model, lmax=LMAX, gradient_length=model.L_c)
assert theory_kpm.metadata["mixing_path"] == "generic" and theory_kpm.timestep.source == "kpm51"
assert np.all(theory_kpm.ratio[1:] > 0)

# %% [markdown]
# ## 4. Simulation of the same model, and the comparison (`crmix fit`)

# %%
config = SimulationConfig(model=model, nside=P["nside"], times=P["times"], seed=SEED, backend=P["backend"])
folder = OUT / "runs" / f"new-geometry-{PRESET}"
summary = run_ensemble(config, folder, P["realisations"], progress=False)
shape = read_shape(folder, ells=P["ells"])
(fit,) = fit_run(shape, [LMAX])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    theory_fit = angular_power_spectrum(model, lmax=LMAX, omega_dt=fit.best, gradient_length=model.L_c)
print(f"simulation: {shape.n_realisations} realisations at T = {shape.time:.3g}, Omega tau_s^sim = "
      f"{shape.omega_tau_s:.3g}; fit: Omega dT = {fit.best:.3g} [{fit.low:.3g}, {fit.high:.3g}]"
      f"{' (at a bound: ' + fit.at_bound + ')' if fit.at_bound else ''}, chi2/dof = {fit.reduced_chi2:.2f}; "
      f"KPM (51) with the slab part's tau_s: {omega_dt_kpm:.3g}")
assert np.all(np.isfinite(shape.ratio)) and math.isfinite(fit.chi2)

fig, ax = plt.subplots(figsize=(6.4, 4.8))
ax.errorbar(shape.ells, shape.ratio, yerr=shape.error, fmt="o", ms=4, label=f"simulation, T = {shape.time:.3g}/Omega")
ell = np.arange(1, LMAX + 1)
ax.plot(ell, theory_fit.ratio[1:], label=f"theory, fitted Omega dT = {fit.best:.3g}")
ax.plot(ell, theory_kpm.ratio[1:], ls="--", label=f"theory, KPM (51): Omega dT = {omega_dt_kpm:.3g}")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel(r"multipole $\ell$")
ax.set_ylabel(r"$C_\ell / C_1$")
ax.set_title(f"slab + 2D ({P['slab_fraction']:.0%} slab), eta = {model.eta}, rho = {model.rho}")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUT / "new_geometry_theory_vs_simulation.png", dpi=120)
plt.close(fig)
