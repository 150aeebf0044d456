"""Engine: numerics, ONNX, data, budget. Imports no Qt."""
