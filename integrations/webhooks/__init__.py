"""Outgoing webhooks (docs/webhooks.md): the owner's endpoints, fed by the outbox, sent by beat, signed.

- `events`: the event types offered, in one place.
- `services`: endpoints (create, edit, turn off and on, rotate the secret, delete), the deliveries the outbox
  subscriber makes, replays and test events, and the beat job that sends what is due.
- `signing`: the signature receivers check. `transport`: the address rule (SSRF) and the HTTP call.
- `selectors`, `views`, `urls`: the back-office pages.
"""
