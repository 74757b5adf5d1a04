"""The network edge shared by the live checks and the feed downloads.

The address guard (which addresses may be contacted), the resolvers (system DNS,
pinned and static answers, each judged by the guard) and the TLS contexts. Both
``reconciler.checks`` and ``reconciler.allowlist.fetch`` connect only through these.
"""
