print("upload, now with retries")
