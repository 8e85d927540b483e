"""Identity: people and organisations of a node's state, sign-in, cross-border assertions.

Aggregates:

- ``Person`` and ``Organisation`` (``model.py``, tables in ``orm.py``): who is registered
  at this node — validated national identifiers, names in the national script and in
  Latin letters (``translit.py``), roles, and argon2id password hashes (``passwords.py``).
- Sessions (``signin.py``): a *pending* session after the password, completed by a
  one-time code (with a fresh session id), idle and absolute expiry, and ``foreign``
  sessions of visitors admitted by another node's assertion; per-username and per-client
  lockout. Only digests of session ids and codes are stored.
- Identity assertions (``assertion.py``, used ids in ``assertion_orm.py``): a short-lived
  JWS by which the home node vouches for a person or an organisation to one other member
  state's node, verified there through the union trust list and used once.

Commands and use cases: register a person or an organisation, look them up
(``accounts.Accounts``); sign in with a password, confirm the one-time code, ask for a new
code, read and end a session, admit a foreign visitor (``signin.SignIn``); issue a person's
or an organisation's assertion and verify one (``assertion``); seed the demonstration
accounts (``seed.py``). The pages are in ``eaeu.web.identity_pages`` and
``eaeu.web.assertion_pages``.

Specifications: the eIDAS minimum data set (Implementing Regulation (EU) 2015/1501, Annex)
and levels of assurance (Implementing Regulation (EU) 2015/1502) for assertions; ICAO Doc
9303 Part 3 for Latin transliteration of names; OWASP ASVS 5.0 V6 (authentication:
passwords, one-time codes, lockout) and V7 (session management) for sign-in; RFC 9106
(argon2id) for passwords and RFC 7515 (JWS) for assertions.
"""
