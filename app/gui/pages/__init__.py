"""One page per step of the side bar: model, examples, budget, tune, results."""
