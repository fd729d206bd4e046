"""Adapters: everything that talks to the outside world (AWS, Git, files, GitHub, HTTP)."""
