"""Wire machinery derived from botocore service models: routing, parsing, validation, serializing.

Nothing here knows about Greengrass: every rule comes from the model (`requestUri`, member
locations, required members, enums, lengths, ranges, patterns, error shapes), so the emulator
speaks exactly the protocol the SDKs were generated from.
"""
