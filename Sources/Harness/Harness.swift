// Harness module.
