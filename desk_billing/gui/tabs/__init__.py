"""gui/tabs"""
