"""The pipeline's contract: every name, default, limit and parsing rule its parts must agree on.

Plain Python with no dependencies, shipped in the scaler's Lambda archive and the worker's image,
and imported by the Pulumi components, ``python -m local`` and ``python -m ops``, so each fact of
``ARCHITECTURE.md``'s contracts is written once:

- ``ssm``: the stack's SSM path and the parameter names under it;
- ``env``: the worker's (and scaler's) environment variables and their defaults;
- ``values``: how values are spelled: whole numbers, flags, lists, sizes, resize modes, capacity;
- ``limits``: the AWS API limits more than one part works within;
- ``formats``: the image formats the worker decodes and the key suffixes they come with;
- ``layout``: where a source key's outputs and outcome log go in the destination bucket;
- ``config``: the stack config keys, their defaults, and their validation into one typed object.
"""
