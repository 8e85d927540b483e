"""Cross-border services of the union, one package per service (travel, …).

Services build on the kernel, trust, exchange and the identity, consent and documents
domains; only the edges (``eaeu.web``, ``eaeu.cli``) and ``eaeu.bootstrap`` import them.
"""
