"""One small module per rule; `nrcms.policy.settle` runs them in order."""
