"""The emulated AWS IoT Greengrass v2 control plane, laid out like a moto service.

urls.py        which requests are Greengrass v2 and which operation they call (from the model)
app.py         the WSGI application: route, parse, validate, dispatch, check, serialize
responses.py   one small function per operation: parameters in, output dictionary out
models.py      the backend: state and rules of components, deployments and tags
exceptions.py  the service's errors with the HTTP status the model gives them
"""
