"""The table of bad inputs: each is refused with exit code 2 and a message naming its option or file.

Read by tests/test_bad_inputs.py (which runs every row) and listed in docs/inputs.md (which the same
test compares with :func:`markdown_table`).  In ``args`` the placeholders of :data:`PLACEHOLDERS`
stand for files the test makes (an ordinary file, an empty folder, a reduced run folder and its
damaged copies, measured tables).  An excerpt is a part of the message unlikely to change with its
wording (the value echoed, where the range is worded per geometry).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BAD_INPUTS", "PLACEHOLDERS", "BadInput", "markdown_table"]

#: what each placeholder of a command line stands for (tests/test_bad_inputs.py makes them)
PLACEHOLDERS = {
    "FILE": "an existing ordinary file",
    "RUN": "an empty folder (not the output of a crmix simulate run)",
    "NOPE": "a path that does not exist",
    "LONG": "a path whose last name has 300 characters",
    "RUN_OK": "a reduced crmix simulate run folder (Nside 2, T = 1, 2, 3 realisations)",
    "RUN_NAN": "RUN_OK with NaN written into C_sub of ensemble_realisations.ecsv",
    "RUN_NO_TRANSPORT": "RUN_OK without ensemble_transport.ecsv",
    "RUN_CUT": "RUN_OK with ensemble_cl.ecsv cut to its first 400 bytes",
    "RUN_MIXED": "RUN_OK whose ensemble_transport.ecsv comes from another reduction (its digest differs)",
    "RUN_NO_COLUMN": "RUN_OK whose ensemble_realisations.ecsv lacks the column C_sub",
    "RUN_MAPS_CHANGED": "RUN_OK with one bit of realisation_00001.fits flipped after the run",
    "DATA_OK": "a measured table (ell, Cl_tilde, err) of one tier, l = 1..20",
    "DATA_NAN": "DATA_OK with a NaN in Cl_tilde",
    "DATA_NO_COLUMN": "DATA_OK without the column Cl_tilde",
}


@dataclass(frozen=True)
class BadInput:
    """One refused command line: ``crmix *args``, the option or file its message names, a part of the message."""

    args: tuple[str, ...]
    flag: str
    excerpt: str

    @property
    def command(self) -> str:
        return self.args[0]

    @property
    def line(self) -> str:
        return "crmix " + " ".join(self.args)


def _rows(command: str, *rows: tuple[str, str, str]) -> list[BadInput]:
    return [BadInput((command, *args.split()), flag, excerpt) for args, flag, excerpt in rows]


_SIM = "--nside 2 --times 1,2 --rigidity 30PV --rg-over-lambda-min 5"

BAD_INPUTS: list[BadInput] = [
    *_rows(
        "simulate",
        ("--rigidity 1000", "--rigidity", "has no unit; give one, e.g. 1PV"),
        ("--rigidity 1e400PV", "--rigidity", "must be finite and > 0"),
        ("--rigidity nanPV", "--rigidity", "cannot read 'nanPV'"),
        ("--rigidity=-1PV", "--rigidity", "must be finite and > 0"),
        ("--rigidity 1TV", "--rigidity", "this run needs about"),
        ("--rg-over-lambda-min 1e6", "--rg-over-lambda-min", "this run needs about"),
        ("--rg-over-lambda-min nan", "--rg-over-lambda-min", "must be > 0"),
        ("--nside 8192", "--nside", "this run needs about"),
        ("--nside 1024", "--nside", "this run needs about"),
        ("--nside 6", "--nside", "must be a power of two"),
        ("--nside abc", "--nside", "invalid int value"),
        ("--brms 4pc", "--brms", "unit pc is not convertible to G"),
        ("--lc 30", "--lc", "has no unit"),
        ("--gradient-length 0pc", "--gradient-length", "must be finite and > 0"),
        ("--gradient-length 1e-300pc", "--gradient-length", "must be between"),
        ("--gradient-length 1e300pc", "--gradient-length", "must be between"),
        ("--times 30,10", "--times", "must be strictly increasing"),
        ("--times 10,10", "--times", "must be strictly increasing"),
        ("--times=-1,2", "--times", "T > 0"),
        ("--times 1,inf", "--times", "T > 0"),
        ("--times 1,x", "--times", "comma-separated numbers"),
        ("--times 1e-9,2e-9", "--times", "closer than the step"),
        ("--times 1e17", "--times", "Boris steps"),
        ("--times 1e15 --yes", "--times", "Boris steps"),
        ("--spectrum foo", "--spectrum", "invalid choice"),
        ("--geometry planar", "--geometry", "invalid choice"),
        ("--eta 1", "--eta", "got 1.0"),
        ("--eta nan", "--eta", "got nan"),
        ("--geometry isotropic --eta 1.5", "--eta", "got 1.5"),
        ("--seed=-1", "--seed", "integer >= 0"),
        ("--realisations 0", "--realisations", "must be >= 1"),
        ("--realisations 1.5", "--realisations", "invalid int value"),
        ("--lmax 99", "--lmax", "3 nside - 1"),
        ("--lmax 0", "--lmax", "between 1 and"),
        ("--step=-1", "--step", "finite and > 0"),
        ("--step nan", "--step", "finite and > 0"),
        ("--step 10", "--step", "step must be <="),
        ("--steps-per-wavelength inf", "--steps-per-wavelength", "finite and >= 2"),
        ("--steps-per-gyration 4", "--steps-per-gyration", "finite and >= 8"),
        ("--diffusion 3e28", "--diffusion", "has no unit"),
        ("--diffusion fast", "--diffusion", "cannot read 'fast'"),
        ("--diffusion 3e28cm2/s,-1cm2/s", "--diffusion", "K_perp must be >= 0"),
        ("--diffusion 3e28cm2/s,1cm2/s,2cm2/s", "--diffusion", "K_zz[,K_perp]"),
        ("--geometry isotropic --eta 1 --diffusion qlt", "--diffusion", "qlt needs a QLT scattering time"),
        ("--slab-fraction 0.5", "--slab-fraction", "applies to --geometry composite only"),
        ("--geometry 2d --eta 1", "--eta", "got 1.0"),
        ("--geometry composite --slab-fraction 0", "--slab-fraction", "must be finite and > 0 and < 1"),
        ("--noise none", "--noise", "invalid choice"),
        ("--workers 0", "--workers", "integer >= 1"),
        ("--scheduler dask", "--scheduler", "must be one of"),
        (f"{_SIM} --scheduler tcp://127.0.0.1:9", "--scheduler", "no Dask scheduler answers"),
        ("--cluster-config FILE", "--cluster-config", "needs --cluster slurm"),
        ("--cluster slurm --cluster-config FILE", "--cluster-config", "has no 'jobqueue: slurm:' section"),
        ("--out /proc/crmix-x", "--out", "is not writable"),
        ("--out FILE", "--out", "exists and is not a folder"),
        ("--out FILE/sub", "--out", "is not a folder"),
        ("--out LONG", "--out", "longer than the system allows"),
        ("--out RUN_OK", "--out", "holds a run with other parameters"),
    ),
    *_rows(
        "spectrum",
        ("--rigidity 10", "--rigidity", "has no unit; give one, e.g. 10TV"),
        ("--rigidity 1e400PV", "--rigidity", "must be finite and > 0"),
        ("--rigidity=-1TV", "--rigidity", "must be finite and > 0"),
        ("--rigidity 10TV 10TV", "--rigidity", "values must differ"),
        ("--lmax 100000", "--lmax", "this run needs about"),
        ("--lmax 1", "--lmax", "must be >= 2"),
        ("--lmax 2.5", "--lmax", "invalid int value"),
        ("--brms 4pc", "--brms", "unit pc is not convertible to G"),
        ("--lc 30kg", "--lc", "unit kg is not convertible to pc"),
        ("--gradient-length=-1kpc", "--gradient-length", "must be finite and > 0"),
        ("--gradient-length 1e-300pc", "--gradient-length", "must be between"),
        ("--gradient-length 1e300pc", "--gradient-length", "must be between"),
        ("--eta 1", "--eta", "got 1.0"),
        ("--eta 0", "--eta", "got 0.0"),
        ("--eta nan", "--eta", "got nan"),
        ("--rg-over-lambda-min 0", "--rg-over-lambda-min", "must be finite and > 0"),
        ("--rg-over-lambda-min 1e-6", "--rg-over-lambda-min", "is too small"),
        ("--geometry isotropic --eta 0.5", "--yes", "this run needs about"),
        ("--geometry isotropic", "--alpha", "is required for isotropic turbulence"),
        ("--geometry isotropic --alpha 0.01", "--alpha", "C_l < 0 at l = 2"),
        ("--closure bourret --eta 0.999", "--closure", "C_l = 0 for every l >= 2"),
        ("--omega-dt 1e12", "--omega-dt", "this run needs about"),
        ("--geometry 2d --dt-rule kpm51", "--omega-dt", "needs a QLT scattering time, and 2d turbulence"),
        ("--geometry 2d", "--omega-dt", "is required for 2d turbulence"),
        ("--geometry isotropic --slab-fraction 0.3 --alpha 5", "--slab-fraction", "applies to --geometry composite only"),
        ("--geometry composite --slab-fraction 1.5", "--slab-fraction", "must be finite and > 0 and < 1"),
        ("--geometry composite --closure flux", "--closure", "needs the closed-form columns of M"),
        ("--geometry isotropic --alpha 5 --cos-alpha-correction", "--cos-alpha-correction", "needs a regular field"),
        ("--omega-dt=-1", "--omega-dt", "must be finite and > 0"),
        ("--omega-dt 5 --alpha 5", "--alpha", "not allowed with argument --omega-dt"),
        ("--alpha inf", "--alpha", "must be finite and > 0"),
        ("--dt-coefficient 0", "--dt-coefficient", "must be finite and > 0"),
        ("--dt-coefficient nan", "--dt-coefficient", "must be finite and > 0"),
        ("--spectrum foo", "--spectrum", "invalid choice"),
        ("--extrapolate 50", "--extrapolate", "must be an lmax >= --lmax"),
        ("--extrapolate x", "--extrapolate", "must be an lmax >= --lmax or inf"),
        ("--closure flux --extrapolate", "--extrapolate", "applies to --closure truncated only"),
        ("--mixing-run RUN", "--mixing-run", "holds no mixing.npz"),
        ("--out /proc/crmix-x", "--out", "is not writable"),
        ("--out FILE", "--out", "exists and is not a folder"),
        ("--out LONG", "--out", "longer than the system allows"),
    ),
    *_rows(
        "fit",
        ("RUN", "run folder", "holds no ensemble_cl.ecsv"),
        ("NOPE", "run folder", "does not exist"),
        ("FILE", "run folder", "is not a folder"),
        ("RUN_OK --ell 5:2", "--ell", "2 <= lo <= hi"),
        ("RUN_OK --ell x", "--ell", "must be lo:hi"),
        ("RUN_OK --ell 30:40", "--ell", "the l_max of"),
        ("RUN_OK --lmax 1", "--lmax", "integers >= 2"),
        ("RUN_OK --lmax x", "--lmax", "comma-separated integers"),
        ("RUN_OK --lmax 100000", "--lmax", "this run needs about"),
        ("RUN_OK --bounds 3:1", "--bounds", "0 < lo < hi"),
        ("RUN_OK --bounds 0:5", "--bounds", "0 < lo < hi"),
        ("RUN_OK --bounds 1:inf", "--bounds", "0 < lo < hi"),
        ("RUN_OK --time nan", "--time", "must be a backtracking time > 0"),
        ("RUN_OK --time inf", "--time", "must be a backtracking time > 0"),
        ("RUN_OK --time 7", "--time", "is not a backtracking time"),
        ("RUN_OK --covariance full", "--covariance", "needs more than"),
        ("RUN_OK --covariance full-ish", "--covariance", "invalid choice"),
        ("RUN_OK --closure foo", "--closure", "invalid choice"),
        ("RUN_OK --mixing-run RUN --closure flux", "--mixing-run", "drop --closure flux"),
        ("RUN_NAN", "ensemble_realisations.ecsv", "column C_sub holds"),
        ("RUN_NO_TRANSPORT", "ensemble_transport.ecsv", "does not exist"),
        ("RUN_CUT", "ensemble_cl.ecsv", "cut short"),
        ("RUN_MIXED", "ensemble_transport.ecsv", "different reductions"),
        ("RUN_NO_COLUMN", "ensemble_realisations.ecsv", "has no column C_sub"),
        ("RUN_OK --out FILE", "--out", "exists and is not a folder"),
        ("RUN_OK --out LONG", "--out", "longer than the system allows"),
    ),
    *_rows(
        "compare",
        ("--seed=-1", "--seed", "integer >= 0"),
        ("--omega-dt-range 1 inf", "--omega-dt-range", "must be finite"),
        ("--omega-dt-range 0 5", "--omega-dt-range", "must be finite and > 0"),
        ("--omega-dt-range 5 1", "--omega-dt-range", "0 < LO < HI"),
        ("--lmax 100000", "--lmax", "this run needs about"),
        ("--lmax 10", "--lmax", "the largest measured l"),
        ("--grid 100000", "--grid", "pass --yes"),
        ("--grid 2", "--grid", "integer >= 3"),
        ("--realisations 1", "--realisations", "integer >= 2"),
        ("--nside 8192", "--nside", "this run needs about"),
        ("--nside 3", "--nside", "must be a power of two"),
        ("--nside 8", "--nside", "3 nside - 1 >= 41"),
        ("--charge 0", "--charge", "integer >= 1"),
        ("--eta 1", "--eta", "0 < eta < 1"),
        ("--eta nan", "--eta", "0 < eta < 1"),
        ("--brms 4pc", "--brms", "not convertible"),
        ("--lc 30", "--lc", "has no unit"),
        ("--field-direction 400 0", "--field-direction", "RA (deg) must be finite"),
        ("--field-direction 0 95", "--field-direction", "Dec (deg) must be finite"),
        ("--coverage band:10,-10", "--coverage", "dec_min < dec_max"),
        ("--coverage band:x", "--coverage", "must read band:DEC1,DEC2"),
        ("--coverage FILE", "--coverage", "is not a HEALPix map"),
        ("--coverage NOPE", "--coverage", "does not exist"),
        ("--data FILE", "--data", "needs columns ell and Cl_tilde"),
        ("--data NOPE", "--data", "does not exist"),
        ("--data DATA_NAN --energy 300TeV", "--data", "Cl_tilde must be finite"),
        ("--data DATA_NO_COLUMN --energy 300TeV", "--data", "needs columns ell and Cl_tilde"),
        ("--data DATA_OK", "--energy", "is required"),
        ("--tiers 9", "--tiers", "not ['9']"),
        ("--energy 300TeV", "--energy", "one value per compared tier"),
        ("--energy 300 900 2300 6600", "--energy", "has no unit"),
        ("--events 1 2 3 4 --noise-level 1", "--noise-level", "not allowed with argument --events"),
        ("--events -1 1 1 1", "--events", "must be finite and > 0"),
        ("--noise-level nan 1 1 1", "--noise-level", "must be finite and >= 0"),
        ("--time 3", "--time", "needs --maps"),
        ("--maps RUN_OK", "--time", "is required with --maps"),
        ("--maps RUN --time 2", "--maps", "holds no ensemble_cl.ecsv"),
        ("--maps RUN_OK --time 7", "--maps", "is not a backtracking time"),
        ("--maps RUN_MAPS_CHANGED --time 2", "realisation_00001.fits", "SHA-256"),
        ("--spectrum foo", "--spectrum", "invalid choice"),
        ("--out FILE", "--out", "exists and is not a folder"),
        ("--out LONG", "--out", "longer than the system allows"),
    ),
    *_rows(
        "mixing",
        ("--rigidity 1000", "--rigidity", "has no unit; give one, e.g. 1PV"),
        ("--lmax 99", "--lmax", "3 nside - 1"),
        ("--nside 8192", "--nside", "this run needs about"),
        ("--times 30,10", "--times", "must be strictly increasing"),
        ("--scheduler local", "--scheduler", "runs its realisations serially"),
        ("--noise kpm", "--noise", "has no noise bias"),
        ("--realisations 0", "--realisations", "must be >= 1"),
        ("--out FILE", "--out", "exists and is not a folder"),
    ),
    *_rows(
        "scan",
        ("--rigidity 1PV 1PV", "--rigidity", "values must be distinct"),
        ("--rigidity 1PV 1000", "--rigidity", "has no unit"),
        ("--eta 0.5 1.0", "--eta", "got 1.0"),
        ("--eta 0.5 0.5", "--eta", "values must be distinct"),
        ("--nside 8192", "--nside", "this run needs about"),
        ("--times 1e17", "--times", "Boris steps"),
        ("--realisations 0", "--realisations", "must be >= 1"),
        (f"{_SIM} --scheduler tcp://127.0.0.1:9", "--scheduler", "no Dask scheduler answers"),
        ("--out FILE", "--out", "exists and is not a folder"),
        ("--out LONG", "--out", "longer than the system allows"),
    ),
    *_rows(
        "derive",
        ("--only nosuch", "--only", "unknown check"),
        ("--only", "--only", "expected one argument"),
        ("--frobnicate", "--frobnicate", "unrecognized arguments"),
    ),
    *_rows(
        "codegen",
        ("--out-dir FILE", "--out-dir", "must be an existing folder"),
        ("--out-dir NOPE", "--out-dir", "must be an existing folder"),
        ("--check --frobnicate", "--frobnicate", "unrecognized arguments"),
    ),
]


def markdown_table() -> str:
    """The rows of docs/inputs.md's table, one per bad input, in the table's order."""
    lines = ["| command line | option or file named | message contains |", "|---|---|---|"]
    lines += [f"| `{row.line}` | `{row.flag}` | `{row.excerpt}` |" for row in BAD_INPUTS]
    return "\n".join(lines)
