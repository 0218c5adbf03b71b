"""secure-mlops: provision a secure Amazon SageMaker environment and keep it secure."""

__version__ = "0.1.0"
