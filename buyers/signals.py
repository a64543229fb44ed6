"""Signals other apps listen to. Buyers only send them; the matching app connects later.

`sourcing_need_changed` is sent once the transaction that changed a need has committed, with
`need` (the SourcingNeed) and `action` ("created", "updated", "closed" or "reopened").
"""

from django.dispatch import Signal

sourcing_need_changed = Signal()
