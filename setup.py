"""The one compiled part: elapsed business time (see slaengine/_elapsed.c).

Everything else is in setup.cfg. The extension is optional: without a C
compiler the package installs and ``slaengine.calendars`` answers every
question on its general path, only more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "slaengine._elapsed",
            sources=["slaengine/_elapsed.c"],
            optional=True,
        )
    ]
)
