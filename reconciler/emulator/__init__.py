"""A local AWS emulator: Greengrass v2 of our own, S3/IoT/STS from moto, on one endpoint."""
