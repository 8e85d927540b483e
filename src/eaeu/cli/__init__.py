"""The ``eaeu`` command: one root, one sub-command group per domain.

Commands translate arguments into calls of the domain and print the result; a
``PlatformError`` becomes one line on standard error and a non-zero exit code, never a
traceback.
"""
