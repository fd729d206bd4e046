"""Simulated Greengrass core devices: a fleet file, devices that apply deployments like the
nucleus, the IoT jobs that carry deployments to them, and a discrete-event simulation on the
emulator's clock (real or virtual) that moves it all on whenever a request arrives."""
