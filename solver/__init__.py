"""crmix.solver: Lambda/kappa integrals, the mixing matrix, steady state and time evolution."""
