"""Identity: people and organisations of this node's state, sign-in, cross-border assertions."""
