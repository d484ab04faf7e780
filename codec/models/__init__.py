"""Neural networks of the codec: transforms and the full MSP codec model."""
