"""The plan: a pure diff of desired against stored state, its document and its gates."""
