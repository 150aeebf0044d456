"""Genba Tuner: zeroth-order fine-tuning of language models with ONNX Runtime only."""

__version__ = "0.1.0"
