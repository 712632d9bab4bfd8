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
# # Steady-state angular power spectra: KPM Fig. 5 and MA19 Fig. 2 (theory curves)
#
# The mixing-matrix prediction of the steady-state spectrum C_ℓ/C_1 for
#
# 1. **slab turbulence** (KPM): Kolmogorov, η = 0.5, B_rms = 4 μG, L_c = 30 pc, at the four rigidities
#    of KPM Fig. 5 (10 TV, 100 TV, 1 PV, 10 PV ↔ ρ ≈ 9e-5 … 9e-2), with ΩΔT = 4(Ωτ_s)^{1/3} (KPM (51))
#    and the quasi-linear τ_s of `crmix.qlt`;
# 2. **isotropic turbulence** on straight lines (MA19): band-limited white noise with
#    k_out r_g = 1e-3, k_in r_g = 1e2, for several α = k_in ΔT, without and with a flat shot noise
#    added (MA19 Fig. 2, upper and lower panel).
#
# The simulations these curves are compared with: `notebooks/kpm_theory_vs_simulation.py` (KPM
# Figs. 5-7) and `notebooks/ma19_validation.py` (MA19 Fig. 1).
#
# Conventions and errata: `docs/physics.md`, `docs/errata.md`.  Set `LMAX` lower for a quick look.

# %%
import math
import os

import astropy.units as u
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from crmix import TurbulenceModel
from crmix.solver.spectrum import angular_power_spectrum, length_unit_pc

LMAX = int(os.environ.get("CRMIX_NOTEBOOK_LMAX", "100"))
OUT = os.environ.get("CRMIX_NOTEBOOK_OUT", "crmix-out")
os.makedirs(OUT, exist_ok=True)

# %% [markdown]
# ## 1. Slab turbulence at the rigidities of KPM Fig. 5

# %%
slab = {}
for rigidity in (10 * u.TV, 100 * u.TV, 1 * u.PV, 10 * u.PV):
    model = TurbulenceModel.from_physical("slab", rigidity=rigidity, b_rms=4 * u.uG, l_c=30 * u.pc, eta=0.5)
    gradient = 1000.0 / length_unit_pc(model)  # fbar/|d_z fbar| = 1 kpc (sets only the scale of C_l)
    slab[rigidity] = angular_power_spectrum(model, lmax=LMAX, gradient_length=gradient)
    s = slab[rigidity]
    print(f"{rigidity:>6.0f}: rho = {model.rho:.2e}, Omega tau_s = {s.timestep.tau_s:.4g}, "
          f"Omega dT = {s.timestep.omega_dt:.3g}, slope(5..30) = {s.slope:.2f}")

# %% [markdown]
# KPM find C_ℓ ∝ ℓ^{-2.7} for ℓ ≳ 5 at all rigidities, with a steeper fall at ℓ ≲ 5 for smaller rigidity.

# %%
fig, ax = plt.subplots(figsize=(6, 4.5))
for rigidity, s in slab.items():
    ell = s.ell[1:]
    ax.loglog(ell, s.ratio[1:], label=f"{rigidity:.0f}  (ΩΔT = {s.timestep.omega_dt:.3g})")
ref = np.arange(5, LMAX + 1)
ax.loglog(ref, 0.3 * (ref / 5.0) ** -2.7, "k:", label=r"$\ell^{-2.7}$")
ax.set(xlabel=r"multipole $\ell$", ylabel=r"$C_\ell / C_1$", title="slab, Kolmogorov, η = 0.5 (cf. KPM Fig. 5)")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(os.path.join(OUT, "kpm_fig5_theory.png"), dpi=120)

# %% [markdown]
# ## 2. Isotropic white-noise turbulence, MA19 Fig. 2
#
# The source is MA19's K|∇f̄/f̄|² = 1e-4 k_out (crmix's `MA19_SOURCE`, with the 8π/3 of
# docs/physics.md), so C_ℓ has MA19's absolute scale.  The lower panel adds a flat noise power
# N = 1.5e-9: MA19 Sec. 5 print "N ≃ 1.5 × 10^9", which cannot be a relative-intensity power (C_ℓ ≪ 1);
# the sign of the exponent is read as lost.

# %%
MA19_NOISE = 1.5e-9
iso = {}
for alpha in (10.0, 50.0, 200.0):
    model = TurbulenceModel.ma19(k_out_rg=1e-3, k_in_rg=1e2)
    iso[alpha] = angular_power_spectrum(model, lmax=LMAX, alpha=alpha)
    print(f"alpha = {alpha:>5.0f}: C_1 = {iso[alpha].C[1]:.3g}, slope(5..30) = {iso[alpha].slope:.2f}")

fig, (upper, lower) = plt.subplots(2, 1, figsize=(6, 8), sharex=True)
for alpha, s in iso.items():
    upper.loglog(s.ell[1:], s.C[1:], label=f"α = k_in ΔT = {alpha:g}")
    lower.loglog(s.ell[1:], s.C[1:] + MA19_NOISE, label=f"α = {alpha:g}, with noise")
lower.axhline(MA19_NOISE, color="k", ls="--", lw=1, label=f"noise N = {MA19_NOISE:g}")
upper.set(ylabel=r"$C_\ell$", title="MA19 Fig. 2: isotropic white noise, straight lines, $K|\nabla\bar f/\bar f|^2 = 10^{-4}k_{out}$")
upper.title.set_fontsize(9)
lower.set(xlabel=r"multipole $\ell$", ylabel=r"$C_\ell + \mathcal{N}$")
upper.legend(fontsize=8)
lower.legend(fontsize=8)
fig.tight_layout()
fig.savefig(os.path.join(OUT, "ma19_fig2_theory.png"), dpi=120)

# %% [markdown]
# MA19: with increasing α the spectrum falls off faster.  The ordering is a check on the whole chain.

# %%
slopes = [iso[a].slope for a in sorted(iso)]
print("C_10/C_1:", [f"{iso[a].ratio[10]:.3g}" for a in sorted(iso)])
assert all(np.diff([iso[a].ratio[10] for a in sorted(iso)]) < 0)
assert all(math.isfinite(v) and v < -1.5 for v in (s.slope for s in slab.values()))
