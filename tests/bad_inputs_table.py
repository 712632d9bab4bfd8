"""The table of bad inputs: each is refused with exit code 2 and a message naming its option.

Read by tests/test_bad_inputs.py (which runs every row) and listed in docs/inputs.md (which the same
test compares with :func:`markdown_table`).  In ``args``, ``FILE`` stands for an existing ordinary
file and ``RUN`` for an empty folder (not the output of a crmix simulate run).  An excerpt is a
part of the message unlikely to change with its wording (the value echoed, where the range is
worded per geometry).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BAD_INPUTS", "BadInput", "markdown_table"]


@dataclass(frozen=True)
class BadInput:
    """One refused command line: ``crmix *args``, the option its message names, a part of the message."""

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
        ("--times 30,10", "--times", "must be strictly increasing"),
        ("--times 10,10", "--times", "must be strictly increasing"),
        ("--times=-1,2", "--times", "T > 0"),
        ("--times 1,inf", "--times", "T > 0"),
        ("--times 1,x", "--times", "comma-separated numbers"),
        ("--times 1e-9,2e-9", "--times", "closer than the step"),
        ("--spectrum foo", "--spectrum", "invalid choice"),
        ("--geometry planar", "--geometry", "invalid choice"),
        ("--eta 1", "--eta", "got 1.0"),
        ("--eta nan", "--eta", "got nan"),
        ("--geometry isotropic --eta 1.5", "--eta", "got 1.5"),
        ("--seed=-1", "--seed", "integer >= 0"),
        ("--realisations 0", "--realisations", "must be >= 1"),
        ("--lmax 99", "--lmax", "3 nside - 1"),
        ("--step=-1", "--step", "finite and > 0"),
        ("--step 10", "--step", "step must be <="),
        ("--steps-per-wavelength inf", "--steps-per-wavelength", "finite and >= 2"),
        ("--steps-per-gyration 4", "--steps-per-gyration", "finite and >= 8"),
        ("--diffusion 3e28", "--diffusion", "has no unit"),
        ("--diffusion fast", "--diffusion", "cannot read 'fast'"),
        ("--diffusion 3e28cm2/s,-1cm2/s", "--diffusion", "K_perp must be >= 0"),
        ("--geometry isotropic --eta 1 --diffusion qlt", "--diffusion", "qlt needs a QLT scattering time"),
        ("--slab-fraction 0.5", "--slab-fraction", "applies to --geometry composite only"),
        ("--geometry 2d --eta 1", "--eta", "got 1.0"),
        ("--geometry composite --slab-fraction 0", "--slab-fraction", "must be finite and > 0 and < 1"),
        ("--noise none", "--noise", "invalid choice"),
        ("--workers 0", "--workers", "integer >= 1"),
        ("--out /proc/crmix-x", "--out", "is not writable"),
        ("--out FILE", "--out", "exists and is not a folder"),
    ),
    *_rows(
        "spectrum",
        ("--rigidity 10", "--rigidity", "has no unit; give one, e.g. 10TV"),
        ("--rigidity 1e400PV", "--rigidity", "must be finite and > 0"),
        ("--rigidity=-1TV", "--rigidity", "must be finite and > 0"),
        ("--rigidity 10TV 10TV", "--rigidity", "values must differ"),
        ("--lmax 100000", "--lmax", "this run needs about"),
        ("--lmax 1", "--lmax", "must be >= 2"),
        ("--brms 4pc", "--brms", "unit pc is not convertible to G"),
        ("--lc 30kg", "--lc", "unit kg is not convertible to pc"),
        ("--gradient-length=-1kpc", "--gradient-length", "must be finite and > 0"),
        ("--eta 1", "--eta", "got 1.0"),
        ("--eta nan", "--eta", "got nan"),
        ("--geometry isotropic --eta 0.5", "--yes", "this run needs about"),
        ("--geometry isotropic", "--alpha", "is required for isotropic turbulence"),
        ("--geometry 2d --dt-rule kpm51", "--omega-dt", "needs a QLT scattering time, and 2d turbulence"),
        ("--geometry 2d", "--omega-dt", "is required for 2d turbulence"),
        ("--geometry isotropic --slab-fraction 0.3 --alpha 5", "--slab-fraction", "applies to --geometry composite only"),
        ("--geometry composite --slab-fraction 1.5", "--slab-fraction", "must be finite and > 0 and < 1"),
        ("--geometry composite --closure flux", "--closure", "needs the closed-form columns of M"),
        ("--omega-dt=-1", "--omega-dt", "must be finite and > 0"),
        ("--alpha inf", "--alpha", "must be finite and > 0"),
        ("--dt-coefficient 0", "--dt-coefficient", "must be finite and > 0"),
        ("--spectrum foo", "--spectrum", "invalid choice"),
        ("--extrapolate 50", "--extrapolate", "must be an lmax >= --lmax"),
        ("--closure flux --extrapolate", "--extrapolate", "applies to --closure truncated only"),
        ("--mixing-run RUN", "--mixing-run", "holds no mixing.npz"),
        ("--out /proc/crmix-x", "--out", "is not writable"),
        ("--out FILE", "--out", "exists and is not a folder"),
    ),
    *_rows(
        "fit",
        ("RUN", "run folder", "holds no ensemble_cl.ecsv"),
        ("RUN --ell 5:2", "--ell", "2 <= lo <= hi"),
        ("RUN --ell x", "--ell", "must be lo:hi"),
        ("RUN --lmax 1", "--lmax", "integers >= 2"),
        ("RUN --bounds 3:1", "--bounds", "0 < lo < hi"),
        ("RUN --covariance full-ish", "--covariance", "invalid choice"),
        ("RUN --mixing-run RUN --closure flux", "--mixing-run", "drop --closure flux"),
        ("RUN --out FILE", "--out", "exists and is not a folder"),
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
        ("--nside 8192", "--nside", "this run needs about"),
        ("--out FILE", "--out", "exists and is not a folder"),
    ),
]


def markdown_table() -> str:
    """The rows of docs/inputs.md's table, one per bad input, in the table's order."""
    lines = ["| command line | option named | message contains |", "|---|---|---|"]
    lines += [f"| `{row.line}` | `{row.flag}` | `{row.excerpt}` |" for row in BAD_INPUTS]
    return "\n".join(lines)
