"""Who sees personal data in full: recipients (name, phone, street address) and drivers
(ID number, phone).

Each role sees what its step needs. Supervisors and admins handle the exceptions (a wrong
address, a driver to identify) and the OMS sent the data, so they see it whole. The floor
(pickers, packers, dock, the other floor roles) and station PCs see it as the face sheet
and the handover slip print it: masked. Answers are masked unless a caller asks for more.
"""

from __future__ import annotations

from server.commands import Actor

FULL_VIEW_ROLES = frozenset({"supervisor", "admin", "oms"})


def sees_personal_data(actor: Actor) -> bool:
    return bool(actor.roles & FULL_VIEW_ROLES)
