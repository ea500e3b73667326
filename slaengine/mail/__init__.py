"""Inbound mail: parsing raw messages, classifying them, splitting replies."""
