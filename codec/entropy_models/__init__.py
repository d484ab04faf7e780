"""Entropy models: factorised prior, Gaussian conditional, the MSP progressive model."""
