"""What the pickup side tells the rest: a ticket's money is credited or reversed, a round's load arrived."""

from __future__ import annotations

from dataclasses import dataclass

from pickup.models import CollectionTicket, Handover, HandoverCorrection


@dataclass(frozen=True)
class TicketCredited:
    """A ticket became active (created, synced, approved, or issued as a correction)."""

    ticket: CollectionTicket


@dataclass(frozen=True)
class TicketsSynced:
    """A phone's offline batch created these active tickets at once: handlers may work set-based.

    Published instead of one TicketCredited per ticket; a handler with nothing to gain from the batch
    loops over `tickets` (api/bootstrap.py wires both)."""

    tickets: list[CollectionTicket]


@dataclass(frozen=True)
class TicketVoided:
    """An active ticket was voided (also the first half of a correction)."""

    ticket: CollectionTicket


@dataclass(frozen=True)
class HandoverRecorded:
    """A round's load was re-weighed at the centre."""

    handover: Handover


@dataclass(frozen=True)
class HandoverCorrected:
    """A handover's measured weights were corrected: `changes` says each line before and after."""

    handover: Handover
    correction: HandoverCorrection
