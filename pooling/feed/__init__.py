"""The partner feed as an integration package: payloads in, typed objects out.

Parsers here never touch the database; services in `pooling.services.feed_*`
store what they return.
"""
