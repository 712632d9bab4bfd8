"""crmix.fit: theory meets simulation -- the mixing time fitted to simulated C_l/C_1, and its scaling with tau_s."""
