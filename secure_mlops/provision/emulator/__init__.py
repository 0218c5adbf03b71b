"""The embedded AWS emulator: a moto server on loopback, with this project's extensions.

- ``server``: start, find, reset and stop the server process (state lives as long as it runs).
- ``serve``: the process entry point (``python -m secure_mlops.provision.emulator.serve``);
  it loads ``extensions`` before serving, so every client sees the same, faithful emulator.
- ``extensions``: where moto's gaps are closed (resource handlers, properties, operations).
  Nothing outside this package special-cases the emulator.
"""
