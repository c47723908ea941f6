"""(being built)"""
from flask_restx import Namespace

ns = Namespace("game", path="/")
