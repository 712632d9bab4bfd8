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
# # Isotropic white-noise turbulence: MA19 Fig. 1, theory against simulation
#
# MA19 Sec. 4 validate the mixing-matrix theory with test particles backtracked through isotropic
# turbulence with a band-limited white-noise spectrum, k_out r_g = 1e-3, k_in r_g = 1e2, and no
# regular field (η = 1; times in 1/Ω with Ω the gyrofrequency in the RMS field).  Here:
#
# * the ensemble-averaged, noise-subtracted ⟨C_ℓ⟩^sub at three backtracking times (`crmix.simulate`,
#   nested grids, the Liouville mapping KPM (3) with the ensemble's K at the largest T), with the shot
#   noise N_ℓ of each as a dashed line;
# * the steady state MA19 (3.7) for several α = k_in ΔT, and at the α fitted to the simulation at
#   each T (`crmix.fit`, χ² of C_ℓ/C_1 over the ℓ range of the parameter cell).  MA19 find α ≈ 50.
#
# Everything is shown as C_ℓ/⟨C_1⟩^sub: the theory's normalisation (MA19's K|∇f̄/f̄|² = 1e-4 k_out)
# and the simulation's gradient differ, the shape is what is compared.  MA19 Fig. 2 (the theory
# alone, with and without noise) is drawn by `notebooks/angular_spectra.py`.
#
# Presets: `"ci"` (seconds; what the tests run), `"cpu"` (N_side 32, 32 realisations: a few minutes
# on two quiet cores), `"paper"` (MA19's 100 realisations; MA19 do not state N_side, KPM's 256 is
# used: 2e11 particle-steps through nine nested grids, GPU-sized, CuPy backend).  Without a regular
# field crmix has no QLT K, so the Liouville mapping takes the ensemble's ⟨rr⟩/(2T_max): the maps
# depend on the largest T of the run.
# Runs go into folders under `$CRMIX_NOTEBOOK_OUT/runs` named by their parameters (a rerun resumes).

# %%
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # healpy's OpenMP threads gain nothing on these maps and stall on busy cores

import hashlib
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from crmix.fit import fit_run
from crmix.fit.data import read_shape
from crmix.model import TurbulenceModel
from crmix.simulate.config import SimulationConfig
from crmix.simulate.runner import run_ensemble
from crmix.simulate.store import run_parameters
from crmix.simulate.tables import summary_lines
from crmix.solver.family import SpectrumFamily

# %% tags=["parameters"]
PRESET = os.environ.get("CRMIX_NOTEBOOK_PRESET", "ci")  # "ci", "cpu" or "paper"
PRESETS = {
    # times: the three backtracking times (1/Omega, RMS field); ells: the fitted multipoles; fit_lmax: the theory's truncation
    "ci": dict(nside=8, realisations=4, times=(1.0, 3.0, 10.0), ells=(2, 10), fit_lmax=30, backend="numba"),
    "cpu": dict(nside=32, realisations=32, times=(3.0, 10.0, 30.0), ells=(2, 20), fit_lmax=100, backend="numba"),
    "paper": dict(nside=256, realisations=100, times=(3.0, 10.0, 30.0), ells=(2, 20), fit_lmax=100, backend="cupy"),
}
K_OUT_RG, K_IN_RG = 1e-3, 1e2  # MA19 Sec. 4
ALPHAS = (10.0, 50.0, 200.0)  # theory curves drawn besides the fits (MA19: alpha ~ 50 fits)
SEED = 0
OUT = Path(os.environ.get("CRMIX_NOTEBOOK_OUT", "crmix-out"))

# %%
P = PRESETS[PRESET]
NSIDE, REALISATIONS, ELLS, FIT_LMAX = P["nside"], P["realisations"], P["ells"], P["fit_lmax"]
OUT.mkdir(parents=True, exist_ok=True)

model = TurbulenceModel.ma19(k_out_rg=K_OUT_RG, k_in_rg=K_IN_RG)
config = SimulationConfig(model=model, nside=NSIDE, times=P["times"], seed=SEED, backend=P["backend"])
key = hashlib.sha1(json.dumps(run_parameters(config), sort_keys=True).encode()).hexdigest()[:10]
run = OUT / "runs" / f"ma19-white-isotropic-{key}"
summary = run_ensemble(config, run, REALISATIONS)
print("\n".join(summary_lines(summary)))

# %% [markdown]
# ## The fit of α = k_in ΔT at each backtracking time

# %%
family = SpectrumFamily(model, FIT_LMAX)  # the theory curves of the figure (cached per alpha)
fits = {}
for t in summary.times:
    fit = fit_run(read_shape(run, time=t, ells=ELLS), [FIT_LMAX])[0]
    fits[t] = fit
    flag = f" (at the {fit.at_bound} bound)" if fit.at_bound else ""
    print(f"Omega T = {t:6.3g}: alpha = {fit.best:.4g} [{fit.low:.4g}, {fit.high:.4g}]{flag}, chi2/dof = {fit.chi2:.3g}/{fit.dof}")

# %% [markdown]
# ## MA19 Fig. 1

# %%
fig, ax = plt.subplots(figsize=(10, 5))
ell = np.arange(summary.lmax + 1)
lt = np.arange(1, FIT_LMAX + 1)
for k, t in enumerate(summary.times):
    c1 = summary.cl_sub[k, 1]
    r, e = summary.ratio[k, 1:], summary.ratio_error[k, 1:]
    ok = r > 0
    ax.errorbar(ell[1:][ok], r[ok], yerr=e[ok], fmt="o", ms=3, capsize=2, color=f"C{k}", label=rf"simulation, $\Omega T$ = {t:.3g}")
    ax.axhline(summary.noise[k, 1] / c1, color=f"C{k}", ls="--", lw=1, label=rf"shot noise $\mathcal{{N}}_\ell$, $\Omega T$ = {t:.3g}")
    ax.plot(lt, family.ratio(family.dt_from("alpha", fits[t].best))[lt], "-", color=f"C{k}", lw=1.5,
            label=rf"theory, fitted $\alpha$ = {fits[t].best:.3g} ($\chi^2$/dof = {fits[t].reduced_chi2:.2g})")
for alpha, style in zip(ALPHAS, (":", "-.", (0, (5, 1, 1, 1)))):
    ax.plot(lt, family.ratio(family.dt_from("alpha", alpha))[lt], color="0.35", ls=style, lw=1, label=rf"theory, $\alpha$ = {alpha:g}")
ax.axvspan(ELLS[0], ELLS[1], color="0.93", zorder=0)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlim(0.9, max(summary.lmax, ELLS[1]) * 1.5)
ax.set(xlabel=r"multipole $\ell$", ylabel=r"$\langle C_\ell\rangle^{sub} / \langle C_1\rangle^{sub}$",
       title=f"MA19 Fig. 1: isotropic white noise, $k_{{out}}r_g$ = {K_OUT_RG:g}, $k_{{in}}r_g$ = {K_IN_RG:g}, "
       f"N_side = {NSIDE}, {REALISATIONS} realisations, theory ℓ_max = {FIT_LMAX}")
ax.title.set_fontsize(8)
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
fig.tight_layout()
fig.savefig(OUT / "ma19_fig1.png", dpi=110)
plt.close(fig)

# %%
assert np.all(np.diff(summary.noise[:, 1]) > 0), "the shot noise grows with T"
assert all(np.isfinite([f.best, f.chi2]).all() and f.low <= f.best <= f.high for f in fits.values())
