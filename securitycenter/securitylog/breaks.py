"""What the verifier reports: the first place a chain (or the checkpoint it is checked against) breaks."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        return f"chain {self.chain} at seq {self.seq}: {self.problem}"
