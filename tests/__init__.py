"""Tests of the DashScope integration."""
