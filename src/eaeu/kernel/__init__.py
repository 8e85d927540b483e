"""The kernel: what every other package may import and nothing else.

Settings, the error root, the clock, identifiers (UUIDv7 and national identifiers),
structured logging and the registry of member states. Imports only the standard
library and the small framework pieces named in each module.
"""
