"""Invitations: personal survey links sent by e-mail, their tokens, the invitee list, reminders and opt-outs."""
