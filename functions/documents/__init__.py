"""Tenant documents as PDF: templates, renderer, storage and delivery."""
