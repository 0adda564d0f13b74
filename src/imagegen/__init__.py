"""imagegen: the backend of an AI image-variation service."""
