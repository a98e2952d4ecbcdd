// Vocabulary module.
