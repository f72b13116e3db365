"""PDF documents: plain data in, PDF bytes out. Nothing here knows the models."""
