"""The live blueprint object, and the WebSocket routes' extension (Flask-Sock, bound to `bp`)."""

from flask import Blueprint
from flask_sock import Sock

bp = Blueprint("live", "myblog.live")
# routes declared with `sock.route(..., bp=bp)` are WebSocket routes of this blueprint; the
# extension needs no app of its own
sock = Sock()
