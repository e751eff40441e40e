"""core/cache"""
