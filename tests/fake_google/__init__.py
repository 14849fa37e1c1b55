"""A local stand-in for the Google Sheets v4 / Drive v3 REST APIs and Google's OAuth token endpoint.

``FakeGoogle`` serves them over HTTP on 127.0.0.1 (random port) from a thread; point syncd's
``api_endpoint`` at ``google.url`` and use ``google.service_account_file(path)`` as ``credentials``.
"""

from fake_google.book import Person, Spreadsheet
from fake_google.server import PRIYA, SERVICE_ACCOUNT, FakeGoogle, Logged
from fake_google.sheets import FCell, python_value

__all__ = ["FakeGoogle", "Logged", "Person", "PRIYA", "SERVICE_ACCOUNT", "Spreadsheet", "FCell", "python_value"]
