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
# # Theory against simulation in slab turbulence: KPM Figs. 5-7
#
# For every rigidity ρ and turbulence level η of the parameter cell, one ensemble of backtracked
# test particles (`crmix.simulate`, Kolmogorov slab turbulence, the Liouville mapping KPM (3) with
# the QLT K_zz for every T, the gradient along B0 with |∇f̄/f̄| = 1/L_c) and the mixing-matrix
# theory of the same model (`crmix.solver`):
#
# * **Fig. 5** -- ⟨C_ℓ⟩^sub/⟨C_1⟩^sub with jackknife errors at the largest T, against the steady state
#   KPM (20) at the ΩΔT fitted to it (`crmix.fit`: χ² over the ℓ range of the parameter cell);
# * **Fig. 6** -- the fitted ΩΔT against Ωτ_s (QLT λ∥/v, and the simulation's 3K_zz(T_max)), the
#   fitted relation ΩΔT = c(Ωτ_s)^p (`crmix.fit.relation`) and KPM's 4(Ωτ_s)^{1/3} (KPM (51));
# * **Fig. 7** -- the dipole power three ways against ρ: ⟨C_1⟩^sub, ⟨C_1⟩^QLT = 4π|⟨Φ⟩|² (KPM (57)) and
#   ⟨C_1⟩^mat, the mixing-matrix steady state with the same gradient (and ×1/⟨cos α⟩², KPM Sec. 3.3);
# * the running K_zz(T)/K_zz^QLT of every run, which decides how far Ωτ_s^sim is converged.
#
# The table of all numbers goes to `kpm_theory_vs_simulation.ecsv`.  Times in 1/Ω (Ω = qB0/p);
# runs go into folders under `$CRMIX_NOTEBOOK_OUT/runs` named by their parameters (a rerun resumes).
# τ_s is crmix's λ∥/v = 3K_zz/v² (docs/physics.md; KPM print K_zz/3, docs/errata.md).
#
# Presets: `"ci"` (a minute; what the tests run), `"cpu"` (ρ ∈ {3e-2, 8.9e-3, 3e-3}, η ∈ {0.1, 0.5}, N_side 32, 16
# realisations, λ_min = r_g/30, T up to 5τ_s: about 35 minutes on two quiet cores, estimated from the
# 1.7e8 particle-steps/s of benchmarks/RESULTS.md; η = 0.1, ρ = 3e-3 is half of it) and
# `"paper"` (KPM: N_side 256, λ_min = r_g/150, 35 realisations, ρ from 8.9e-5: 1.9e15 particle-steps,
# 70% of them at η = 0.1, ρ = 8.9e-5; GPU-sized, CuPy backend).

# %%
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # healpy's OpenMP threads gain nothing on these maps and stall on busy cores

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from astropy.table import Table

from crmix.fit import fit_run
from crmix.fit.data import SimulatedShape, read_shape
from crmix.fit.relation import scaling_relation
from crmix.fit.shape import ShapeFit
from crmix.io import atomic_write
from crmix.model import Spectrum, TurbulenceModel
from crmix.qlt import qlt_scattering
from crmix.simulate.config import SimulationConfig
from crmix.simulate.ensemble import EnsembleSummary
from crmix.simulate.runner import run_ensemble
from crmix.simulate.store import run_parameters
from crmix.simulate.tables import summary_lines
from crmix.solver.spectrum import AngularSpectrum, angular_power_spectrum
from crmix.solver.timestep import KPM51_COEFFICIENT

# %% tags=["parameters"]
PRESET = os.environ.get("CRMIX_NOTEBOOK_PRESET", "ci")  # "ci", "cpu" or "paper"
PRESETS = {
    # times_over_tau: backtracking times in units of the QLT tau_s; ells: the fitted multipoles;
    # fit_lmax: truncation of the theory in the fit and in the curves
    "ci": dict(nside=8, rg_over_lambda_min=10.0, realisations=6, rhos=(3e-2, 8.9e-3), etas=(0.1, 0.5),
               times_over_tau=(0.3, 1.0, 2.0), ells=(2, 10), fit_lmax=30, backend="numba"),
    "cpu": dict(nside=32, rg_over_lambda_min=30.0, realisations=16, rhos=(3e-2, 8.9e-3, 3e-3), etas=(0.1, 0.5),
                times_over_tau=(0.1, 0.3, 1.0, 2.0, 5.0), ells=(2, 20), fit_lmax=100, backend="numba"),
    "paper": dict(nside=256, rg_over_lambda_min=150.0, realisations=35, rhos=(8.9e-2, 8.9e-3, 8.9e-4, 8.9e-5),
                  etas=(0.1, 0.5), times_over_tau=(0.1, 0.3, 1.0, 2.0, 5.0), ells=(2, 20), fit_lmax=200, backend="cupy"),
}
SEED = 0
OUT = Path(os.environ.get("CRMIX_NOTEBOOK_OUT", "crmix-out"))

# %%
P = PRESETS[PRESET]
NSIDE, REALISATIONS, BACKEND, ELLS, FIT_LMAX = P["nside"], P["realisations"], P["backend"], P["ells"], P["fit_lmax"]
OUT.mkdir(parents=True, exist_ok=True)


def slab_model(rho: float, eta: float) -> TurbulenceModel:
    """Kolmogorov slab turbulence, L_max = 5 L_c, lambda_min = r_g / rg_over_lambda_min (KPM Sec. 2.1.3)."""
    return TurbulenceModel(geometry="slab", spectrum=Spectrum.kolmogorov(kmax=2 * math.pi * P["rg_over_lambda_min"] / rho),
                           eta=eta, rho=rho)


def run_folder(label: str, config: SimulationConfig) -> Path:
    """The run's folder: named by what the realisations depend on, so a rerun resumes and a change starts afresh."""
    key = hashlib.sha1(json.dumps(run_parameters(config), sort_keys=True).encode()).hexdigest()[:10]
    return OUT / "runs" / f"{label}-{key}"


@dataclass(frozen=True)
class Comparison:
    """One (rho, eta): the ensemble, its measured shape, the fit and the theory at the best fit."""

    model: TurbulenceModel
    tau_qlt: float
    summary: EnsembleSummary
    shape: SimulatedShape
    fit: ShapeFit
    theory: AngularSpectrum


# %% [markdown]
# ## Simulate, fit, and evaluate the theory at the fit
#
# Backtracking times are fixed fractions of each model's QLT τ_s.  The fit of ΩΔT is `crmix fit`'s
# (`crmix.fit.fit_run`: diagonal jackknife covariance, Δχ² = 1 interval); the theory curve and
# ⟨C_1⟩^mat are `crmix.solver.spectrum.angular_power_spectrum` at the best fit with the run's gradient.

# %%
comparisons: list[Comparison] = []
for eta in P["etas"]:
    for rho in P["rhos"]:
        model = slab_model(rho, eta)
        tau = qlt_scattering(model).tau_s
        config = SimulationConfig(model=model, nside=NSIDE, times=tuple(f * tau for f in P["times_over_tau"]), seed=SEED,
                                  backend=BACKEND)
        folder = run_folder(f"slab-rho{rho:.2g}-eta{eta:g}", config)
        summary = run_ensemble(config, folder, REALISATIONS)
        print(f"--- rho = {rho:g}, eta = {eta:g}: Omega tau_s^QLT = {tau:.4g}, dt = {config.dt:.3g}, {folder.name}")
        print("\n".join(summary_lines(summary)))
        shape = read_shape(folder, ells=ELLS)
        fit = fit_run(shape, [FIT_LMAX])[0]
        theory = angular_power_spectrum(model, lmax=FIT_LMAX, omega_dt=fit.best, gradient_length=model.L_c)
        print(f"fit: Omega dT = {fit.best:.4g} [{fit.low:.4g}, {fit.high:.4g}]{' at the ' + fit.at_bound + ' bound' if fit.at_bound else ''}, "
              f"chi2/dof = {fit.chi2:.3g}/{fit.dof}; C_1^mat = {theory.C[1]:.4g}, C_1^mat / (Fick, QLT K) = "
              f"{theory.metadata['C1_over_C1_QLT']:.3g}")
        comparisons.append(Comparison(model, tau, summary, shape, fit, theory))

# %%
table = Table({
    "rho": [c.model.rho for c in comparisons],
    "eta": [c.model.eta for c in comparisons],
    "Omega_T_max": [c.summary.times[-1] for c in comparisons],
    "Omega_tau_s_QLT": [c.tau_qlt for c in comparisons],
    "Omega_tau_s_sim": [c.summary.omega_tau_s for c in comparisons],
    "Omega_tau_s_sim_err": [c.summary.omega_tau_s_error for c in comparisons],
    "K_zz_converged": [str(c.summary.K_zz.converged) for c in comparisons],
    "Omega_dT": [c.fit.best for c in comparisons],
    "Omega_dT_low": [c.fit.low for c in comparisons],
    "Omega_dT_high": [c.fit.high for c in comparisons],
    "at_bound": [c.fit.at_bound for c in comparisons],
    "chi2_dof": [c.fit.reduced_chi2 for c in comparisons],
    "C1_sub": [c.summary.cl_sub[-1, 1] for c in comparisons],
    "C1_sub_err": [c.summary.cl_sub_error[-1, 1] for c in comparisons],
    "C1_QLT_sim": [c.summary.c1_qlt[-1] for c in comparisons],
    "C1_mat": [c.theory.C[1] for c in comparisons],
    "cos_alpha": [c.summary.cos_alpha for c in comparisons],
})
for name in table.colnames:  # every number here is in the models' units (Omega T, Omega tau_s) or a ratio: dimensionless
    if table[name].dtype.kind == "f":
        table[name].unit = ""
table.meta.update({"description": "KPM Figs. 5-7: simulated ensembles against the mixing-matrix theory at the fitted Omega dT "
                   "(ells fitted, theory truncated at fit_lmax); tau_s = lambda_par / v", "preset": PRESET, "parameters": P,
                   "realisations": REALISATIONS})
atomic_write(OUT / "kpm_theory_vs_simulation.ecsv", lambda tmp: table.write(tmp, format="ascii.ecsv", overwrite=True))
shown = table.copy()
for name in shown.colnames:
    if shown[name].dtype.kind == "f":
        shown[name].info.format = ".4g"
shown.pprint_all()

# %% [markdown]
# ## Fig. 5: C_ℓ/C_1, simulation against theory at the fitted ΩΔT
#
# Points: ⟨C_ℓ⟩^sub/⟨C_1⟩^sub at the largest T with jackknife errors (ℓ where it is positive; the
# log axis cannot show the rest); lines: the theory at the fitted ΩΔT.  The fitted range is shaded.

# %%
etas = list(P["etas"])
fig, axes = plt.subplots(1, len(etas), figsize=(6 * len(etas), 4.8), squeeze=False)
for ax, eta in zip(axes[0], etas):
    for j, c in enumerate(c for c in comparisons if c.model.eta == eta):
        s = c.summary
        ell = np.arange(2, s.lmax + 1)
        r, e = s.ratio[-1, 2:], s.ratio_error[-1, 2:]
        ok = r > 0
        color = f"C{j}"
        ax.errorbar(ell[ok], r[ok], yerr=e[ok], fmt="o", ms=3, capsize=2, color=color,
                    label=f"ρ = {c.model.rho:g}, ΩT = {s.times[-1]:.3g}")
        lt = np.arange(1, min(FIT_LMAX, s.lmax) + 1)
        ax.plot(lt, c.theory.ratio[lt], "-", color=color, label=f"theory, ΩΔT = {c.fit.best:.3g} (χ²/dof = {c.fit.reduced_chi2:.2g})")
    ax.axvspan(ELLS[0], ELLS[1], color="0.9", zorder=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel=r"multipole $\ell$", ylabel=r"$\langle C_\ell\rangle / \langle C_1\rangle$",
           title=f"KPM Fig. 5: slab, η = {eta:g}, N_side = {NSIDE}, {REALISATIONS} realisations, theory ℓ_max = {FIT_LMAX}")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(OUT / "kpm_fig5.png", dpi=110)
plt.close(fig)

# %% [markdown]
# ## Fig. 6: the fitted ΩΔT against Ωτ_s
#
# Filled: against the QLT τ_s (what KPM (51) uses); open: against the simulation's 3K_zz(T_max)
# with its error (a lower bound where K_zz has not converged).  The relation ΩΔT = c(Ωτ_s)^p is
# fitted to each (`crmix.fit.relation.scaling_relation`, needs two fits or more).

# %%
tau_qlt = np.array([c.tau_qlt for c in comparisons])
tau_sim = np.array([c.summary.omega_tau_s for c in comparisons])
tau_sim_err = np.array([c.summary.omega_tau_s_error for c in comparisons])
best = np.array([c.fit.best for c in comparisons])
low = np.array([c.fit.low for c in comparisons])
high = np.array([c.fit.high for c in comparisons])
relations = {}
if len(comparisons) >= 2:
    relations["QLT"] = scaling_relation(tau_qlt, np.zeros_like(tau_qlt), best, low, high)
    relations["sim"] = scaling_relation(tau_sim, tau_sim_err, best, low, high)
for name, rel in relations.items():
    print(f"against tau_s ({name}): Omega dT = ({rel.c:.3g} +- {rel.c_error:.2g}) (Omega tau_s)^({rel.p:.3g} +- {rel.p_error:.2g}), "
          f"chi2/dof = {rel.chi2:.3g}/{rel.dof}; at p = 1/3: c = {rel.c_at_third:.3g} +- {rel.c_at_third_error:.2g}")

fig, ax = plt.subplots(figsize=(6.5, 5))
markers = dict(zip(etas, "osD^v"))
yerr = np.array([best - low, high - best])
for eta in etas:
    sel = np.array([c.model.eta == eta for c in comparisons])
    ax.errorbar(tau_qlt[sel], best[sel], yerr=yerr[:, sel], fmt=markers[eta], color="C0", capsize=2,
                label=rf"η = {eta:g}, against $\tau_s^{{QLT}}$")
    ax.errorbar(tau_sim[sel], best[sel], xerr=tau_sim_err[sel], yerr=yerr[:, sel], fmt=markers[eta], mfc="none", color="C1",
                capsize=2, label=rf"η = {eta:g}, against $3K_{{zz}}(T_{{max}})$")
x = np.geomspace(min(tau_sim.min(), tau_qlt.min()) / 1.5, max(tau_sim.max(), tau_qlt.max()) * 1.5, 100)
ax.plot(x, KPM51_COEFFICIENT * x ** (1 / 3), "k:", label=r"KPM (51): $4(\Omega\tau_s)^{1/3}$")
for (name, rel), color in zip(relations.items(), ("C0", "C1")):
    ax.plot(x, rel.c * x**rel.p, "-", color=color,
            label=rf"fit ({name}): $({rel.c:.2g}\pm{rel.c_error:.1g})(\Omega\tau_s)^{{{rel.p:.2f}\pm{rel.p_error:.2f}}}$")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set(xlabel=r"scattering time $\Omega\tau_s$", ylabel=r"fitted $\Omega\Delta T$",
       title=f"KPM Fig. 6: slab, N_side = {NSIDE}, ℓ = {ELLS[0]}…{ELLS[1]}, theory ℓ_max = {FIT_LMAX}")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(OUT / "kpm_fig6.png", dpi=110)
plt.close(fig)

# %% [markdown]
# ## Fig. 7: the dipole power against rigidity
#
# ⟨C_1⟩^sub (KPM (55), with its error), ⟨C_1⟩^QLT = 4π|⟨Φ⟩|² (KPM (57)) from the same runs, and the
# mixing-matrix ⟨C_1⟩^mat at the fitted ΩΔT with the same gradient (source KPM (18) with K_zz^QLT),
# also multiplied by 1/⟨cos α⟩² with ⟨cos α⟩ measured in the runs (KPM Sec. 3.3: ≈ 2 at η = 0.5).

# %%
fig, axes = plt.subplots(1, len(etas), figsize=(6 * len(etas), 4.5), squeeze=False)
for ax, eta in zip(axes[0], etas):
    sel = [c for c in comparisons if c.model.eta == eta]
    rho = np.array([c.model.rho for c in sel])
    c1_sub = np.array([c.summary.cl_sub[-1, 1] for c in sel])
    c1_err = np.array([c.summary.cl_sub_error[-1, 1] for c in sel])
    c1_mat = np.array([c.theory.C[1] for c in sel])
    cos_a = np.array([c.summary.cos_alpha for c in sel])
    ax.errorbar(rho, c1_sub, yerr=c1_err, fmt="o", color="tab:orange", capsize=2, label=r"$\langle C_1\rangle^{sub}$")
    ax.plot(rho, [c.summary.c1_qlt[-1] for c in sel], "s", color="tab:green", label=r"$\langle C_1\rangle^{QLT} = 4\pi|\langle\Phi\rangle|^2$")
    ax.plot(rho, c1_mat, "-", color="tab:blue", marker=".", label=r"$\langle C_1\rangle^{mat}$")
    ax.plot(rho, c1_mat / cos_a**2, ":", color="tab:blue", label=r"$\langle C_1\rangle^{mat}/\langle\cos\alpha\rangle^2$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel=r"reduced rigidity $\rho = r_g/L_c$", ylabel=r"dipole power $C_1$ ($|\nabla\bar f/\bar f| = 1/L_c$)",
           title=f"KPM Fig. 7: slab, η = {eta:g}, ΩT = {'/'.join(f'{c.summary.times[-1]:.3g}' for c in sel)}")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUT / "kpm_fig7.png", dpi=110)
plt.close(fig)

# %% [markdown]
# ## The running K_zz of every run
#
# K_zz(T)/K_zz^QLT with errors against T/τ_s^QLT: where it has not levelled off, Ωτ_s^sim in Fig. 6
# is a lower bound and the run's T_max is too short for the diffusive regime.

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.5))
for j, c in enumerate(comparisons):
    k_qlt = c.tau_qlt / 3.0
    state = {True: "converged", False: "not converged", None: "?"}[c.summary.K_zz.converged]
    ax.errorbar(c.summary.times / c.tau_qlt, c.summary.K_zz.value / k_qlt, yerr=c.summary.K_zz.error / k_qlt, fmt="o-",
                ms=3, capsize=2, color=f"C{j}", label=f"ρ = {c.model.rho:g}, η = {c.model.eta:g} ({state})")
ax.axhline(1.0, color="k", ls="--", label="QLT")
ax.set_xscale("log")
ax.set(xlabel=r"$T/\tau_s^{QLT}$", ylabel=r"$K_{zz}(T)/K_{zz}^{QLT}$", title=f"running parallel diffusion, N_side = {NSIDE}")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(OUT / "kpm_running_diffusion_runs.png", dpi=110)
plt.close(fig)

# %%
assert all(np.isfinite([c.fit.best, c.fit.chi2]).all() and c.fit.low <= c.fit.best <= c.fit.high for c in comparisons)
assert all(c.theory.C[1] > 0 for c in comparisons)
