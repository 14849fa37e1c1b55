"""Talking to Google Sheets and Drive for the ``gsheet`` source.

``auth`` finds the credentials (a service-account key file, a cached OAuth token, or Application
Default Credentials); ``client`` makes every request with a timeout, retries and messages a person
can act on; ``values`` turns sheet cells into syncd's table model and back; ``plan`` works out the
fewest changes that make a sheet hold the canonical. Only ``syncd.sources.gsheet`` uses them.
"""
