// SyntheticData module.
