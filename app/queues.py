"""Names on Redis that the API and the workers share, kept here so neither imports the other."""

JOB = "deliver"
QUEUE = "herald:deliveries"  # not arq's default, so a Redis shared with other arq apps is fine
