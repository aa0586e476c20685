"""Error types shared by every layer.

The split follows the CLI's exit codes: a `UserError` (bad source, bad input file, malformed plan
or proof) is reported as one clean message and exit code 2; a proof that parses but does not
check is *not* an exception here but a `Rejected` verdict (exit code 1).
"""

from __future__ import annotations


class ZkccError(Exception):
    """Base class for all errors zkcc reports to a user without a traceback."""


class UserError(ZkccError):
    """Something the user supplied is wrong (source, inputs, options)."""


class FormatError(UserError):
    """A plan, proof, key or input file is malformed: wrong magic, version, length or value."""


class WitnessError(UserError):
    """Witness generation failed: an assertion does not hold or a division by zero happened."""


class ProofRejected(ZkccError):
    """A well-formed proof failed a verification check; the message says which one."""
