"""Forward image-classification results from AWS IoT Core to an HTTPS endpoint.

Runs on the Greengrass core device as the component com.acme.ImageUploader. It subscribes to the
topic the inference component publishes on (through the Greengrass IPC service), and POSTs each
result as JSON to --endpoint with the bearer token from $UPLOAD_TOKEN.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import urllib.request

from awsiot.greengrasscoreipc.clientv2 import GreengrassCoreIPCClientV2
from awsiot.greengrasscoreipc.model import IoTCoreMessage, QOS


def post(endpoint: str, token: str, payload: bytes) -> None:
    request = urllib.request.Request(
        endpoint,
        data=payload,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args()
    token = os.environ.get("UPLOAD_TOKEN", "")
    results: queue.Queue[bytes] = queue.Queue(maxsize=1000)

    def on_message(event: IoTCoreMessage) -> None:
        # Called on the IPC thread: hand over and return quickly.
        try:
            results.put_nowait(event.message.payload)
        except queue.Full:
            print("dropping a result: the endpoint is too slow", file=sys.stderr)

    client = GreengrassCoreIPCClientV2()
    client.subscribe_to_iot_core(
        topic_name=args.topic, qos=QOS.AT_LEAST_ONCE, on_stream_event=on_message
    )
    print(f"forwarding {args.topic} to {args.endpoint}", flush=True)
    while True:
        payload = results.get()
        try:
            json.loads(payload)  # forward only well-formed results
            post(args.endpoint, token, payload)
        except (ValueError, OSError) as error:
            print(f"could not forward a result: {error}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
