"""Fetching source records on the user's request (`msckg fetch`): the only code of msckg that uses the network."""
