"""`herald worker`: the dispatcher (log -> delivery rows -> queue) and the delivery jobs."""
