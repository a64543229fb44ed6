"""Hooks other apps listen to. Sent after the review decision is committed, never inside it.

`listing_approved` is how matching learns that a listing became public (or that its public
content changed), so it can rescore just that row. Receivers get `product`: the public row.
"""

from django.dispatch import Signal

# Sent with `product` (the public listing) once an approval is committed.
listing_approved = Signal()
# Sent with `product` (the rejected listing or rejected revision) once a rejection is committed.
listing_rejected = Signal()
