"""The API's behaviour: plain functions over parsed input that return output shapes.

Functions here raise the typed errors of ``iamd.protocol.errors``; they never see HTTP.
Time and randomness come in through a ``Runtime``; only the edges read the clock.
"""
