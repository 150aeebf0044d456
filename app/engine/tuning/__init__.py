"""The run: budget, ZO steps, the exact head, checkpoints, the run loop and the export."""
