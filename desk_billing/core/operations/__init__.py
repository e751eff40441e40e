"""core/operations"""
