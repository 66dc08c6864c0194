"""What every emulated API shares: storage, clock, randomness, errors, validation, pagination, auth."""
