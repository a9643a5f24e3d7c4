"""``python -m ops --stack STACK COMMAND``: operate a deployed (or local) pipeline.

Everything the commands need is found from the stack's SSM parameters (``contract.ssm``), through
the standard AWS credential chain and ``AWS_ENDPOINT_URL``:

- ``stack``: the stack's registry, read once;
- ``listing`` and ``join``: the source objects and outcome logs as sorted streams, and their join;
- ``inventory``: the same source stream from an S3 Inventory report instead of a listing;
- ``events`` and ``sender``: S3-event message bodies and batched, retried SendMessageBatch;
- ``backfill``, ``retry``, ``status``, ``report``, ``switch``: one command each;
- ``cli``: arguments, exit codes and the one-line errors.
"""
