"""Training of the MSP codec: data pipeline, loop, checkpoints, export."""
