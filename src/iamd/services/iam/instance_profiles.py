"""Instance profiles: a container for one role, handed to EC2 instances."""
