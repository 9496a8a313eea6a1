"""The Chatwoot connector's model: what Chatwoot sends and what the connector keeps.

Pure like ``core`` (the standard library and ``core`` only): records, the parsing of
Chatwoot's JSON into them, signature checks, and the two ports the connector's services
need (Chatwoot's REST API and the connector's own tables). Services import it; the
adapters in ``adapters/chatwoot`` implement its ports.
"""
