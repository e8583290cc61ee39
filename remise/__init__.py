"""Remise: the inventory and refurbishment pipeline of a digital-inclusion network.

This package assembles the service: settings, authentication, the FastAPI app, the
web pages, the scheduler and the command line. It imports the stages only where it
mounts them (`app`, `cli`, `scheduler`, `web`); this module imports nothing.
"""

__version__ = "0.1.0"
