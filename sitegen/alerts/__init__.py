"""Alerts and digests: tell staff when a case opens or a control chart signals, and e-mail the weekly figures.

Events are queued in the store's outbox (`sitegen.store.outbox`) by whatever caused them; `sender` delivers them
to the recipients `rules` find, through the channel kinds of `channels` (e-mail over SMTP, signed webhooks);
`signals` finds a build's new control-chart signals; `digest` renders the weekly e-mail from scorecard.json.
"""
