// FileOutput module.
