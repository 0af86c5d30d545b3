"""What every service of the platform shares: JSON logging and database URLs."""
