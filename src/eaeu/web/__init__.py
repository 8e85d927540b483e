"""The web edge: the FastAPI app factory, the API, portal pages and the error table.

Routes only translate: they parse input, call the domain, and render a page or a JSON
document. Errors become RFC 9457 problem documents through one table in ``errors.py``.
"""
