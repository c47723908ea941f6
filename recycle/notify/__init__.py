"""Notices to members: the outbox table, the channel interface (log, LINE) and the tasks that send them."""
