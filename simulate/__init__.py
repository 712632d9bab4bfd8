"""crmix.simulate: backtracking test particles through synthetic turbulence to sky maps and C_l."""
