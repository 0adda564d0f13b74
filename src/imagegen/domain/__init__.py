"""The pure model: users, images, generation jobs and their rules."""
