"""Reading examples, prompts, tokenizers and the keyword model: everything about the user's data."""
