"""Models: GGUF import, graph building, ONNX inspection and editing, safety checks, the model catalog."""
