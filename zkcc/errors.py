"""Error types shared by every layer.

The split follows the CLI's exit codes: a `UserError` (bad source, bad input file, malformed plan
or proof) is reported as one clean message and exit code 2; a proof that parses but does not
check is *not* an exception here but a `Rejected` verdict (exit code 1). An `InternalError` is
a bug zkcc caught itself: exit code 3, as for an unexpected exception.
"""

from __future__ import annotations


class ZkccError(Exception):
    """Base class for all errors zkcc reports to a user without a traceback."""


class UserError(ZkccError):
    """Something the user supplied is wrong (source, inputs, options)."""


class FormatError(UserError):
    """A plan, proof, key or input file is malformed: wrong magic, version, length or value."""


class WitnessError(UserError):
    """Witness generation failed: an assertion does not hold or a division by zero happened.

    Says `what` at source location `loc`; `under(root)` gives the same error shown with the
    source found under `root` (zkcc.ir.source.located)."""

    def __init__(self, what: str, loc=None, root=None) -> None:
        super().__init__(what)
        self.what, self.loc, self.root = what, loc, root

    def __str__(self) -> str:
        from zkcc.ir.source import located

        return located(self.loc, self.what, self.root) if self.loc is not None else self.what

    def under(self, root) -> WitnessError:
        return WitnessError(self.what, self.loc, root)


class InternalError(ZkccError):
    """zkcc's check of its own work failed (a circuit that disagrees with the witness it was
    built beside, say): a bug in zkcc, reported with exit code 3 like any other, but with
    the message that names what disagreed instead of a traceback."""


class ProofRejected(ZkccError):
    """A well-formed proof failed a verification check; the message says which one."""
