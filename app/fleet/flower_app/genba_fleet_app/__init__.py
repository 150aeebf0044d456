"""The Flower ServerApp and ClientApp of a Genba Tuner fleet."""
