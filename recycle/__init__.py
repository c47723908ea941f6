"""The core of the waste bank: tenants, accounts, households, ledgers, audit. Knows nothing of HTTP."""
